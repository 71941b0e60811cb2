package ova

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path"
	"strings"
)

// Reader reads an OVA once, front to back, straight from the file: the descriptor first (as
// the OVF specification orders it), then the members its caller asks for, then the rest.
// Every byte passes through a SHA-256 computed on another goroutine (hashedFile), and every
// member is checked as it streams past (Checker: names, types, order, and the digests of the
// OVA's manifest), so that build's verification and the vSphere import apply one set of
// rules in one pass. Nothing is extracted or held in memory beyond the descriptor and the
// manifest. Errors name the OVA's path.
type Reader struct {
	path    string
	f       *os.File
	file    *hashedFile
	tr      *tar.Reader
	check   Checker
	desc    Descriptor
	members []string
	// cur is the member being streamed, checked when the next one is read.
	cur     string
	curHash hash.Hash
	buf     []byte // for members read by Reader itself
}

// Open opens the OVA at path for reading; Close releases it.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open OVA: %w", err)
	}
	r := &Reader{path: path, f: f, file: newHashedFile(f, sha256.New())}
	r.tr = tar.NewReader(r.file)
	return r, nil
}

// Close stops the hashing and closes the file.
func (r *Reader) Close() error {
	r.file.stop()
	return r.f.Close()
}

// Descriptor reads the OVF descriptor, which must be the first member and at most 16 MiB.
// Call it first, once.
func (r *Reader) Descriptor() (Descriptor, error) {
	h, err := r.next()
	if errors.Is(err, io.EOF) {
		return Descriptor{}, fmt.Errorf("%s holds no member: an OVA starts with its .ovf descriptor", r.path)
	}
	if err != nil {
		return Descriptor{}, err
	}
	data, err := io.ReadAll(r.tr)
	if err != nil {
		return Descriptor{}, r.errorf(truncated("read "+h.Name, err))
	}
	r.check.Descriptor(h.Name, data)
	if r.desc, err = parseOVF(h.Name, data); err != nil {
		return Descriptor{}, r.errorf(err)
	}
	return r.desc, nil
}

// Member advances to the member called name (compared by base name, as the descriptor's
// references are) and returns its bytes, to be read whole, and its size. Members are read in
// archive order, which the OVF specification makes the order of the descriptor's references;
// those passed over (the manifest) are read and checked too.
func (r *Reader) Member(name string) (io.Reader, int64, error) {
	for {
		h, err := r.next()
		if errors.Is(err, io.EOF) {
			return nil, 0, fmt.Errorf("%s: member %q not found after the ones already read (members must follow the descriptor's order)", r.path, name)
		}
		if err != nil {
			return nil, 0, err
		}
		m, err := r.stream(h)
		if err != nil {
			return nil, 0, err
		}
		if path.Base(h.Name) == path.Base(name) {
			return m, h.Size, nil
		}
		if err := r.drain(m); err != nil {
			return nil, 0, err
		}
	}
}

// Finish reads and checks the members after the last one read, then the rest of the file
// (the tar's end blocks and padding are part of the digest), checks that every file the
// descriptor references is a member and that the manifest lists no other, and returns what
// it learned, with the file's size and SHA-256.
func (r *Reader) Finish() (Image, error) {
	for {
		h, err := r.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Image{}, err
		}
		m, err := r.stream(h)
		if err == nil {
			err = r.drain(m)
		}
		if err != nil {
			return Image{}, err
		}
	}
	if err := r.check.Done(); err != nil {
		return Image{}, r.errorf(err)
	}
	for _, ref := range r.desc.References {
		if !r.check.seen[ref] {
			return Image{}, fmt.Errorf("%s: %s references %q, which is not in the OVA", r.path, r.desc.Name, ref)
		}
	}
	if err := r.drain(r.file); err != nil {
		return Image{}, fmt.Errorf("%s: read: %w", r.path, err)
	}
	size, sum := r.file.sum()
	return Image{Size: size, SHA256: hex.EncodeToString(sum), Members: r.members,
		Product: r.desc.Product, Version: r.desc.Version, Properties: r.desc.Properties}, nil
}

// next checks the member streamed last, then reads the next member's header and checks it;
// io.EOF passes through unwrapped at the end of the archive.
func (r *Reader) next() (*tar.Header, error) {
	if r.cur != "" {
		name := r.cur
		r.cur = ""
		if err := r.check.Check(name, r.curHash); err != nil {
			return nil, r.errorf(err)
		}
	}
	h, err := r.tr.Next()
	if errors.Is(err, io.EOF) {
		return nil, err
	}
	if err != nil {
		return nil, r.errorf(truncated("read tar header", err))
	}
	if err := r.check.Next(h); err != nil {
		return nil, r.errorf(err)
	}
	r.members = append(r.members, h.Name)
	return h, nil
}

// stream returns the reader member h's bytes are checked through; the manifest is read whole
// instead (an empty reader is returned). A member not read whole fails the next check: the
// rest of its bytes are skipped unhashed.
func (r *Reader) stream(h *tar.Header) (io.Reader, error) {
	if IsManifest(h.Name) {
		if err := r.check.ReadFrom(h.Name, h.Size, r.tr); err != nil {
			return nil, r.errorf(err)
		}
		return strings.NewReader(""), nil
	}
	hash, err := r.check.Hash(h.Name)
	if err != nil {
		return nil, r.errorf(err)
	}
	r.cur, r.curHash = h.Name, hash
	return memberReader{r: io.TeeReader(r.tr, hash), what: r.path + ": read " + h.Name}, nil
}

// drain reads m to its end in large reads, for the hashes it passes through.
func (r *Reader) drain(m io.Reader) error {
	if r.buf == nil {
		r.buf = make([]byte, fileChunk)
	}
	_, err := io.CopyBuffer(discard{}, m, r.buf)
	return err
}

// discard is io.Discard without ReadFrom, so that io.CopyBuffer uses the large buffer.
type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func (r *Reader) errorf(err error) error { return fmt.Errorf("%s: %w", r.path, err) }

// memberReader names the OVA and member in the errors of reading it.
type memberReader struct {
	r    io.Reader
	what string
}

func (m memberReader) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = truncated(m.what, err)
	}
	return n, err
}
