package vsphere

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

	"github.com/imagegrid/imagegrid/internal/ova"
)

// ovaStream reads an OVA (a tar archive) once, front to back, straight from the file: the
// descriptor first (as the OVF specification orders it), then the members the import asks
// for. Every byte passes through a SHA-256, so the whole file is verified against its build
// record in the same pass that uploads it, and every member is checked with build's rules
// (ova.Checker: names, types, order, and the digests of the OVA's manifest) as it streams,
// so a wrong member fails the import before the template exists. Nothing is extracted or
// held in memory beyond the descriptor and the manifest.
type ovaStream struct {
	path  string
	f     *os.File
	sum   hash.Hash
	n     counter
	tr    *tar.Reader
	check ova.Checker
	// cur is the member being streamed, checked when the next one is read.
	cur     string
	curHash hash.Hash
}

type counter struct{ n int64 }

func (c *counter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func openOVA(path string) (*ovaStream, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, permanent(fmt.Errorf("open OVA: %w", err))
	}
	s := &ovaStream{path: path, f: f, sum: sha256.New()}
	s.tr = tar.NewReader(io.TeeReader(f, io.MultiWriter(s.sum, &s.n)))
	return s, nil
}

// descriptor returns the OVF descriptor, which must be the first member.
func (s *ovaStream) descriptor() ([]byte, error) {
	h, err := s.next()
	if errors.Is(err, io.EOF) {
		return nil, permanent(fmt.Errorf("OVA %s holds no member: an OVA starts with its .ovf descriptor", s.path))
	}
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(s.tr)
	if err != nil {
		return nil, permanent(fmt.Errorf("read OVF descriptor of %s: %w", s.path, err))
	}
	s.check.Descriptor(h.Name, data)
	return data, nil
}

// member advances to the member the descriptor calls name and returns it for streaming.
// Members are read in archive order, which the OVF specification makes the order of the
// descriptor's references; those passed over (the manifest) are read and checked too.
func (s *ovaStream) member(name string) (io.Reader, int64, error) {
	for {
		h, err := s.next()
		if errors.Is(err, io.EOF) {
			return nil, 0, permanent(fmt.Errorf("OVA %s: member %q not found after the ones already read (members must follow the descriptor's order)", s.path, name))
		}
		if err != nil {
			return nil, 0, err
		}
		r, err := s.stream(h)
		if err != nil {
			return nil, 0, err
		}
		if path.Base(h.Name) == path.Base(name) {
			return r, h.Size, nil
		}
		if _, err := io.Copy(io.Discard, r); err != nil {
			return nil, 0, err
		}
	}
}

// stream returns the reader of the member h that its bytes are checked through; the
// manifest is read whole instead (an empty reader is returned). Reading the OVA fails
// permanently: the file, not the network, is at fault.
func (s *ovaStream) stream(h *tar.Header) (io.Reader, error) {
	if ova.IsManifest(h.Name) {
		if err := s.check.ReadFrom(h.Name, h.Size, s.tr); err != nil {
			return nil, permanent(fmt.Errorf("OVA %s: %w", s.path, err))
		}
		return strings.NewReader(""), nil
	}
	hash, err := s.check.Hash(h.Name)
	if err != nil {
		return nil, permanent(fmt.Errorf("OVA %s: %w", s.path, err))
	}
	s.cur, s.curHash = h.Name, hash
	return fileReader{r: io.TeeReader(s.tr, hash), path: s.path}, nil
}

// fileReader marks the errors of reading the OVA as permanent.
type fileReader struct {
	r    io.Reader
	path string
}

func (f fileReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = permanent(fmt.Errorf("read OVA %s: %w", f.path, err))
	}
	return n, err
}

// next checks the member streamed last, then reads the next member's header and checks it
// as build's verification does; io.EOF passes through unwrapped at the end of the archive.
func (s *ovaStream) next() (*tar.Header, error) {
	if err := s.checkCurrent(); err != nil {
		return nil, err
	}
	h, err := s.tr.Next()
	if errors.Is(err, io.EOF) {
		return nil, err
	}
	if err != nil {
		return nil, permanent(fmt.Errorf("read OVA %s: %w", s.path, err))
	}
	if err := s.check.Next(h); err != nil {
		return nil, permanent(fmt.Errorf("OVA %s: %w", s.path, err))
	}
	return h, nil
}

// checkCurrent compares the member streamed last with the manifest. A member the upload
// did not read whole fails: the rest of its bytes are skipped unhashed.
func (s *ovaStream) checkCurrent() error {
	if s.cur == "" {
		return nil
	}
	name := s.cur
	s.cur = ""
	if err := s.check.Check(name, s.curHash); err != nil {
		return permanent(fmt.Errorf("OVA %s: %w", s.path, err))
	}
	return nil
}

// verify reads and checks the members after the last one uploaded, then the rest of the
// file, and compares its size and digest with the build record's.
func (s *ovaStream) verify(size int64, sha string) error {
	for {
		h, err := s.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		r, err := s.stream(h)
		if err == nil {
			_, err = io.Copy(io.Discard, r)
		}
		if err != nil {
			return err
		}
	}
	if err := s.check.Done(); err != nil {
		return permanent(fmt.Errorf("OVA %s: %w", s.path, err))
	}
	if _, err := io.Copy(io.Discard, io.TeeReader(s.f, io.MultiWriter(s.sum, &s.n))); err != nil {
		return permanent(fmt.Errorf("read OVA %s: %w", s.path, err))
	}
	if size > 0 && s.n.n != size {
		return permanent(fmt.Errorf("OVA %s is %d bytes; its build record says %d", s.path, s.n.n, size))
	}
	if got := hex.EncodeToString(s.sum.Sum(nil)); sha != "" && !strings.EqualFold(got, sha) {
		return permanent(fmt.Errorf("OVA %s has sha256 %s; its build record says %s", s.path, got, sha))
	}
	return nil
}

func (s *ovaStream) Close() error { return s.f.Close() }

// permanentError is a failure that trying again cannot fix: the OVA is missing, unreadable
// or not what its build record and manifest say. The publisher does not retry it.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

func permanent(err error) error { return permanentError{err} }

// isPermanent reports whether err, or an error it wraps, is permanent.
func isPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}
