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
// record in the same pass that uploads it; nothing is extracted or held in memory beyond the
// descriptor.
type ovaStream struct {
	path string
	f    *os.File
	sum  hash.Hash
	n    counter
	tr   *tar.Reader
}

type counter struct{ n int64 }

func (c *counter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func openOVA(path string) (*ovaStream, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open OVA: %w", err)
	}
	s := &ovaStream{path: path, f: f, sum: sha256.New()}
	s.tr = tar.NewReader(io.TeeReader(f, io.MultiWriter(s.sum, &s.n)))
	return s, nil
}

// descriptor returns the OVF descriptor, which must be the first member.
func (s *ovaStream) descriptor() ([]byte, error) {
	h, err := s.next()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("OVA %s holds no member: an OVA starts with its .ovf descriptor", s.path)
	}
	if err != nil {
		return nil, err
	}
	if !strings.EqualFold(path.Ext(h.Name), ".ovf") {
		return nil, fmt.Errorf("OVA %s: first member is %q; an OVA starts with its .ovf descriptor", s.path, h.Name)
	}
	const limit = 16 << 20
	if h.Size > limit {
		return nil, fmt.Errorf("OVA %s: descriptor %s is larger than 16 MiB", s.path, h.Name)
	}
	data, err := io.ReadAll(s.tr)
	if err != nil {
		return nil, fmt.Errorf("read OVF descriptor of %s: %w", s.path, err)
	}
	return data, nil
}

// member advances to the member the descriptor calls name and returns it for streaming.
// Members are read in archive order, which the OVF specification makes the order of the
// descriptor's references.
func (s *ovaStream) member(name string) (io.Reader, int64, error) {
	for {
		h, err := s.next()
		if errors.Is(err, io.EOF) {
			return nil, 0, fmt.Errorf("OVA %s: member %q not found after the ones already read (members must follow the descriptor's order)", s.path, name)
		}
		if err != nil {
			return nil, 0, err
		}
		if h.Typeflag == tar.TypeReg && path.Base(h.Name) == path.Base(name) {
			return s.tr, h.Size, nil
		}
	}
}

// next reads the next member's header and refuses unsafe members, as build's verification
// does; io.EOF passes through unwrapped at the end of the archive.
func (s *ovaStream) next() (*tar.Header, error) {
	h, err := s.tr.Next()
	if errors.Is(err, io.EOF) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("read OVA %s: %w", s.path, err)
	}
	if err := ova.CheckMember(h.Name, h.Typeflag); err != nil {
		return nil, fmt.Errorf("OVA %s: %w", s.path, err)
	}
	return h, nil
}

// verify reads the rest of the file and compares its size and digest with the build record's.
func (s *ovaStream) verify(size int64, sha string) error {
	if _, err := io.Copy(io.Discard, io.TeeReader(s.f, io.MultiWriter(s.sum, &s.n))); err != nil {
		return fmt.Errorf("read OVA %s: %w", s.path, err)
	}
	if size > 0 && s.n.n != size {
		return fmt.Errorf("OVA %s is %d bytes; its build record says %d", s.path, s.n.n, size)
	}
	if got := hex.EncodeToString(s.sum.Sum(nil)); sha != "" && !strings.EqualFold(got, sha) {
		return fmt.Errorf("OVA %s has sha256 %s; its build record says %s", s.path, got, sha)
	}
	return nil
}

func (s *ovaStream) Close() error { return s.f.Close() }
