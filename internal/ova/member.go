package ova

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
)

// Member is a tar member of an OVA and where its bytes lie in the OVA file, so that it can
// be read in place (io.NewSectionReader) instead of being extracted.
type Member struct {
	Name string
	// Offset is where the member's data starts in the OVA file; Size is its length.
	Offset int64
	Size   int64
}

// Layout is what ReadLayout learned about an OVA: its OVF properties and its disks.
type Layout struct {
	// Properties are every ProductSection property of the OVF descriptor, key → value.
	Properties map[string]string
	// Disks are the .vmdk members, in tar order (Image Builder's OVAs hold one: the boot
	// disk).
	Disks []Member
}

// ReadLayout reads the OVF descriptor of the OVA f and locates its .vmdk members. Member
// names are checked as Verify checks them; disk data is skipped, not read, and the OVA is
// not hashed (Verify does that).
func ReadLayout(f *os.File) (Layout, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return Layout{}, fmt.Errorf("%s: %w", f.Name(), err)
	}
	// archive/tar reads headers block by block and seeks over data when it can, so after
	// Next the file's offset is where the member's data starts.
	tr := tar.NewReader(f)
	var lay Layout
	var c Checker
	for first := true; ; first = false {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Layout{}, fmt.Errorf("%s: %w", f.Name(), truncated("read tar header", err))
		}
		if err := c.Next(hdr); err != nil {
			return Layout{}, fmt.Errorf("%s: %w", f.Name(), err)
		}
		if first {
			if lay.Properties, err = readDescriptor(tr, hdr); err != nil {
				return Layout{}, fmt.Errorf("%s: %w", f.Name(), err)
			}
			continue
		}
		if path.Ext(hdr.Name) != ".vmdk" {
			continue
		}
		off, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			return Layout{}, fmt.Errorf("%s: %w", f.Name(), err)
		}
		lay.Disks = append(lay.Disks, Member{Name: hdr.Name, Offset: off, Size: hdr.Size})
	}
	if len(lay.Disks) == 0 {
		return Layout{}, fmt.Errorf("%s: no .vmdk member: an OVA carries its disks as VMDK files", f.Name())
	}
	return lay, nil
}

// readDescriptor reads the OVF descriptor, the OVA's first member (Checker.Next has checked
// its name and size), for its properties.
func readDescriptor(r io.Reader, hdr *tar.Header) (map[string]string, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, truncated("read "+hdr.Name, err)
	}
	d, err := parseOVF(hdr.Name, data)
	if err != nil {
		return nil, err
	}
	return d.Properties, nil
}
