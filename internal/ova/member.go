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

// Disks lists the .vmdk members of the OVA f, in tar order (Image Builder's OVAs hold one:
// the boot disk). Member names are checked as Verify checks them; data is skipped, not read.
func Disks(f *os.File) ([]Member, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	// archive/tar reads headers block by block and seeks over data when it can, so after
	// Next the file's offset is where the member's data starts.
	tr := tar.NewReader(f)
	var disks []Member
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name(), truncated("read tar header", err))
		}
		if err := CheckMember(hdr.Name, hdr.Typeflag); err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name(), err)
		}
		if path.Ext(hdr.Name) != ".vmdk" {
			continue
		}
		off, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name(), err)
		}
		disks = append(disks, Member{Name: hdr.Name, Offset: off, Size: hdr.Size})
	}
	if len(disks) == 0 {
		return nil, fmt.Errorf("%s: no .vmdk member: an OVA carries its disks as VMDK files", f.Name())
	}
	return disks, nil
}
