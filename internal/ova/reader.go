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
// Every member is checked as it streams past (Checker: names, types, order, and the digests
// of the OVA's manifest), so that build's verification and the vSphere import apply one set
// of rules in one pass. Opened with Open, every byte also passes through a SHA-256 of the
// whole file computed on another goroutine (hashedFile); opened with OpenTrusted, the file
// is trusted through its manifest instead and hashed only member by member. Nothing is
// extracted or held in memory beyond the descriptor and the manifest. Errors name the OVA's
// path.
type Reader struct {
	path    string
	f       *os.File
	file    source
	tr      *tar.Reader
	check   Checker
	desc    Descriptor
	members []string
	// cur is the member being streamed, checked when the next one is read; tapped when its
	// hash is fed by the source (source.tap) rather than by reading it.
	cur     string
	curHash hash.Hash
	tapped  bool
	// peeked is set when the header after the descriptor (or the end, peekedErr io.EOF) was
	// read by manifestNext and is yet to be returned by next.
	peeked    bool
	peekedHdr *tar.Header
	peekedErr error
	buf       []byte // for members read by Reader itself
}

// source is the file as the tar walk reads it, counted, and hashed whole or not.
type source interface {
	io.Reader
	// sum returns the size read so far and the file's digest (nil when not hashed); stop
	// ends what sum would wait for.
	sum() (int64, []byte)
	stop()
	// tap, when it returns true, hashes the next size bytes of the file into h as they are
	// read or skipped; tapSum waits until those read so far are hashed.
	tap(h hash.Hash, size int64) bool
	tapSum()
}

// Open opens the OVA at path for reading, hashing the whole file (Image.SHA256); Close
// releases it.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open OVA: %w", err)
	}
	return newReader(path, f, newHashedFile(f, sha256.New())), nil
}

// OpenTrusted opens the OVA at path for reading through a chain of trust anchored on
// manifestSHA256, the SHA-256 of its manifest as build recorded it after checking every
// member against that manifest: the manifest's bytes must have that digest, every member
// (the descriptor included) must be listed in it with SHA-256 or SHA-512 and match, and the
// file is not hashed whole (Image.SHA256 is empty). Each member's bytes are then hashed
// once, against the manifest, and nothing read from the OVA escapes the chain.
func OpenTrusted(path, manifestSHA256 string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open OVA: %w", err)
	}
	r := newReader(path, f, &countedFile{r: f})
	r.check.Trust(manifestSHA256)
	return r, nil
}

func newReader(path string, f *os.File, file source) *Reader {
	r := &Reader{path: path, f: f, file: file}
	r.tr = tar.NewReader(file)
	return r
}

// Close stops the hashing and closes the file.
func (r *Reader) Close() error {
	r.file.stop()
	return r.f.Close()
}

// Descriptor reads the OVF descriptor, which must be the first member and at most 16 MiB.
// Call it first, once. When the manifest comes next, as in Image Builder's OVAs, it is read
// too, so that the descriptor handed out has been checked against the manifest (and, opened
// with OpenTrusted, the manifest against its trusted digest) before anyone acts on it.
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
	if err := r.manifestNext(); err != nil {
		return Descriptor{}, err
	}
	return r.desc, nil
}

// manifestNext reads the next member if it is the manifest; any other member's header (or
// the end of the archive) is kept for the next call of next.
func (r *Reader) manifestNext() error {
	h, err := r.next()
	if err == nil && IsManifest(h.Name) {
		_, err = r.stream(h, false)
		return err
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	r.peeked, r.peekedHdr, r.peekedErr = true, h, err
	return nil
}

// Member advances to the member called name (compared by base name, as the descriptor's
// references are) and returns its bytes, to be read whole, and its size. Members are read in
// archive order, which the OVF specification makes the order of the descriptor's references;
// those passed over (the manifest) are read and checked too.
func (r *Reader) Member(name string) (io.Reader, int64, error) {
	return r.member(name, false)
}

// ManifestDigest returns the digest the OVA's manifest lists for member name (compared by
// base name); ok is false when no manifest listing it has been read yet. Image Builder's OVAs
// put the manifest right after the descriptor, so it is known before any disk.
func (r *Reader) ManifestDigest(name string) (d Digest, ok bool) {
	_, d, ok = r.check.Listed(name)
	return d, ok
}

// MemberHandedOff advances to member name like Member, for a caller that hands its bytes to
// a receiver which hashes them itself (vCenter computes the SHA-256 of an NFC upload when
// asked): they are not hashed here, and the receiver's digest must be given to Confirm before
// Finish, which fails otherwise. The member must be listed in a manifest already read
// (ManifestDigest).
func (r *Reader) MemberHandedOff(name string) (io.Reader, int64, error) {
	return r.member(name, true)
}

// Confirm compares the digest the receiver of a member read with MemberHandedOff computed of
// the bytes it received with the manifest's digest of that member.
func (r *Reader) Confirm(name string, got Digest) error {
	if err := r.check.Confirm(name, got); err != nil {
		return r.errorf(err)
	}
	return nil
}

func (r *Reader) member(name string, handOff bool) (io.Reader, int64, error) {
	for {
		h, err := r.next()
		if errors.Is(err, io.EOF) {
			return nil, 0, fmt.Errorf("%s: member %q not found after the ones already read (members must follow the descriptor's order)", r.path, name)
		}
		if err != nil {
			return nil, 0, err
		}
		want := path.Base(h.Name) == path.Base(name)
		if want && handOff {
			return r.handOff(h)
		}
		m, err := r.stream(h, !want)
		if err != nil {
			return nil, 0, err
		}
		if want {
			return m, h.Size, nil
		}
		if err := r.pass(m); err != nil {
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
		m, err := r.stream(h, true)
		if err == nil {
			err = r.pass(m)
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
	return Image{Size: size, SHA256: hex.EncodeToString(sum), ManifestSHA256: r.check.Chained(), Members: r.members,
		Product: r.desc.Product, Version: r.desc.Version, Properties: r.desc.Properties}, nil
}

// next checks the member streamed last, then reads the next member's header and checks it;
// io.EOF passes through unwrapped at the end of the archive.
func (r *Reader) next() (*tar.Header, error) {
	if r.peeked {
		r.peeked = false
		return r.peekedHdr, r.peekedErr
	}
	// Next skips what is left of the member streamed last: through the tap it is still
	// hashed, through the reader it is not and the check fails. A file that ends early
	// explains any digest, so it is reported first.
	h, err := r.tr.Next()
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, r.errorf(truncated("read tar header", err))
	}
	if r.cur != "" {
		name := r.cur
		r.cur = ""
		if r.tapped {
			r.file.tapSum()
		}
		if err := r.check.Check(name, r.curHash); err != nil {
			return nil, r.errorf(err)
		}
	}
	if err != nil {
		return nil, err
	}
	if err := r.check.Next(h); err != nil {
		return nil, r.errorf(err)
	}
	r.members = append(r.members, h.Name)
	return h, nil
}

// stream returns the reader member h's bytes are checked through; the manifest is read whole
// instead (an empty reader is returned). With skip, the member is only passed over, and its
// hash is fed by the source when it can (tap: off this goroutine, without a copy); otherwise
// it is hashed as it is read, and a member not read whole fails the next check: the rest of
// its bytes are skipped unhashed.
func (r *Reader) stream(h *tar.Header, skip bool) (io.Reader, error) {
	r.tapped = false
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
	if r.tapped = skip && r.file.tap(unpipelined(hash), h.Size); r.tapped {
		return memberReader{r: r.tr, what: r.path + ": read " + h.Name}, nil
	}
	return memberReader{r: io.TeeReader(r.tr, hash), what: r.path + ": read " + h.Name}, nil
}

// handOff returns the reader of member h's bytes without hashing them: the manifest waits for
// their receiver's digest instead.
func (r *Reader) handOff(h *tar.Header) (io.Reader, int64, error) {
	if err := r.check.HandOff(h.Name); err != nil {
		return nil, 0, r.errorf(err)
	}
	r.tapped = false
	return memberReader{r: r.tr, what: r.path + ": read " + h.Name}, h.Size, nil
}

// pass passes over the rest of member m: when the source hashes it (tapped), the next
// header's read skips it; otherwise it is read for the hash it passes through.
func (r *Reader) pass(m io.Reader) error {
	if r.tapped {
		return nil
	}
	return r.drain(m)
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

// countedFile is the file read as it is, counted: the source of a Reader that trusts the OVA
// through its manifest.
type countedFile struct {
	r io.Reader
	n int64
}

func (f *countedFile) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	f.n += int64(n)
	return n, err
}

func (f *countedFile) sum() (int64, []byte)             { return f.n, nil }
func (f *countedFile) stop()                            {}
func (f *countedFile) tap(h hash.Hash, size int64) bool { return false }
func (f *countedFile) tapSum()                          {}
