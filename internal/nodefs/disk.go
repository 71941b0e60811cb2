package nodefs

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/masahiro331/go-disk/gpt"
	"github.com/masahiro331/go-disk/mbr"
)

const sector = 512

// maxGPTEntries bounds the GPT entries read (real tables have 128).
const maxGPTEntries = 1024

// partition is a region of the disk that may hold a filesystem.
type partition struct {
	where  string
	start  int64 // bytes
	size   int64
	kind   string // GPT type GUID or MBR type as "0x83"
	name   string // GPT partition name
	reason string // why it cannot be read, if it cannot
	bad    bool   // the table entry itself is wrong (then reason says how)
}

// MBR partition types and GPT type GUIDs that mark what this package cannot read.
var (
	mbrUnsupported = map[byte]string{
		0x8e: "LVM physical volume (the root filesystem is inside an LVM volume group)",
		0x07: "NTFS partition (a Windows image)",
	}
	gptUnsupported = map[string]string{
		gpt.LVM:                                "LVM physical volume (the root filesystem is inside an LVM volume group)",
		"EBD0A0A2-B9E5-4433-87C0-68B6B72699C7": "Microsoft basic data partition (a Windows image, NTFS)",
		"E3C9E316-0B5C-4DB8-817D-F92DF00215AE": "Microsoft reserved partition (a Windows image)",
		// Flatcar (CoreOS) /usr partitions: the OS is a read-only USR image set up by Ignition.
		"5DFBF5F4-2848-4BAC-AA5E-0D9A20B745A6": "Flatcar USR partition (Flatcar is configured by Ignition, not cloud-init)",
	}
)

// Open finds the root filesystem on disk (size bytes) and opens it: every partition of a GPT
// or MBR table (or the whole disk) is tried, and the first ext4 or XFS holding /etc is the
// root.
// A disk whose root cannot be read (LVM, NTFS, Flatcar) is a *NotSupportedError.
func Open(disk io.ReaderAt, size int64) (root *FS, err error) {
	defer recoverInto(&err, "read the partition table")
	parts, err := partitions(disk, size)
	if err != nil {
		return nil, err
	}
	var seen, unsupported, bad []string
	for _, p := range parts {
		if p.bad {
			bad = append(bad, fmt.Sprintf("%s %s", p.where, p.reason))
			continue
		}
		if p.reason != "" {
			unsupported = append(unsupported, fmt.Sprintf("%s: %s", p.where, p.reason))
			continue
		}
		sr := io.NewSectionReader(disk, p.start, p.size)
		typ := probe(sr)
		seen = append(seen, fmt.Sprintf("%s (%s)", p.where, typ))
		open, ok := readers[typ]
		if !ok {
			continue
		}
		fsys, err := openFS(sr, p.where, typ, open)
		if err != nil {
			var ns *NotSupportedError
			if errors.As(err, &ns) {
				unsupported = append(unsupported, fmt.Sprintf("%s: %s", p.where, ns.Reason))
				continue
			}
			return nil, fmt.Errorf("%s: %w", p.where, err)
		}
		if info, err := fsys.Stat("/etc"); err == nil && info.Mode.IsDir() {
			return fsys, nil
		}
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("the partition table is corrupt: %s", strings.Join(bad, "; "))
	}
	if len(unsupported) > 0 {
		return nil, &NotSupportedError{Reason: strings.Join(unsupported, "; ")}
	}
	return nil, fmt.Errorf("no ext4 or XFS filesystem with /etc on the disk; found %s", strings.Join(seen, ", "))
}

// readers open each filesystem type this package reads.
var readers = map[string]func(*io.SectionReader) (filesystem, error){
	"ext4": newExt4,
	"xfs":  newXFS,
}

func openFS(sr *io.SectionReader, where, typ string, open func(*io.SectionReader) (filesystem, error)) (f *FS, err error) {
	defer recoverInto(&err, "open "+typ)
	fsys, err := open(sr)
	if err != nil {
		return nil, err
	}
	return &FS{fs: fsys, Type: typ, Partition: where}, nil
}

// probe names the filesystem a partition starts with, by its magic.
func probe(r io.ReaderAt) string {
	buf := make([]byte, 2048)
	if _, err := r.ReadAt(buf, 0); err != nil {
		return "unreadable"
	}
	switch {
	case binary.LittleEndian.Uint16(buf[1080:]) == 0xef53:
		return "ext4" // ext2/3/4 share the magic; the ext4 reader reads all three
	case bytes.Equal(buf[:4], []byte("XFSB")):
		return "xfs"
	case bytes.Equal(buf[3:11], []byte("NTFS    ")):
		return "ntfs"
	case bytes.Equal(buf[:8], []byte("LABELONE")) || bytes.Equal(buf[512:520], []byte("LABELONE")):
		return "lvm"
	}
	return "unknown"
}

// partitions reads the GPT (behind its protective MBR) or the MBR; a disk with neither is
// one partition.
func partitions(disk io.ReaderAt, size int64) ([]partition, error) {
	head := make([]byte, 2*sector)
	if _, err := disk.ReadAt(head, 0); err != nil {
		return nil, fmt.Errorf("read the first sectors: %w", err)
	}
	if binary.LittleEndian.Uint16(head[510:]) != mbr.SIGNATURE {
		return []partition{{where: "whole disk", start: 0, size: size}}, nil
	}
	if string(head[sector:sector+8]) == gpt.Signature {
		return gptPartitions(disk, size, head[sector:])
	}
	return mbrPartitions(disk, size)
}

func gptPartitions(disk io.ReaderAt, size int64, hdr []byte) ([]partition, error) {
	// go-disk reads the header and then every entry the header announces: bound them first.
	if n := binary.LittleEndian.Uint32(hdr[80:]); n == 0 || n > maxGPTEntries {
		return nil, fmt.Errorf("GPT header announces %d partition entries; at most %d are read", n, maxGPTEntries)
	}
	sr := io.NewSectionReader(disk, 0, size)
	if _, err := sr.Seek(sector, io.SeekStart); err != nil {
		return nil, err
	}
	table, err := gpt.NewGUIDPartitionTable(sr)
	if err != nil {
		return nil, fmt.Errorf("GPT: %w", err)
	}
	var parts []partition
	// go-disk's Next skips entries after an unused one; the entries are read directly.
	for _, e := range table.Entries {
		p := partition{where: fmt.Sprintf("GPT partition %d", e.Index()+1), kind: e.PartitionTypeGUID.String(), name: e.Name()}
		if p.err(int64(e.StartingLBA), int64(e.EndingLBA)-int64(e.StartingLBA)+1, size) {
			parts = append(parts, p)
			continue
		}
		p.start, p.size = int64(e.StartingLBA)*sector, (int64(e.EndingLBA)-int64(e.StartingLBA)+1)*sector
		if r, ok := gptUnsupported[p.kind]; ok {
			p.reason = r
		} else if strings.HasPrefix(p.name, "USR-") {
			p.reason = "Flatcar USR partition (Flatcar is configured by Ignition, not cloud-init)"
		}
		parts = append(parts, p)
	}
	return parts, nil
}

func mbrPartitions(disk io.ReaderAt, size int64) ([]partition, error) {
	sr := io.NewSectionReader(disk, 0, size)
	table, err := mbr.NewMasterBootRecord(sr)
	if err != nil {
		return nil, fmt.Errorf("MBR: %w", err)
	}
	var parts []partition
	// go-disk's own driver refuses an MBR whose first boot-code bytes are zero (it reads
	// them as the disk signature), so the table is used directly.
	for i, e := range table.Partitions {
		if e.Type == 0 || e.Size == 0 {
			continue
		}
		p := partition{where: fmt.Sprintf("MBR partition %d", i+1), kind: fmt.Sprintf("%#02x", e.Type)}
		if !p.err(int64(e.StartSector), int64(e.Size), size) {
			p.start, p.size = int64(e.StartSector)*sector, int64(e.Size)*sector
			p.reason = mbrUnsupported[e.Type]
		}
		parts = append(parts, p)
	}
	return parts, nil
}

// err marks a partition that lies outside the disk (start and length in sectors).
func (p *partition) err(start, length, diskSize int64) bool {
	if start <= 0 || length <= 0 || start > diskSize/sector || length > diskSize/sector-start {
		p.reason, p.bad = fmt.Sprintf("lies outside the disk (sectors %d+%d of %d)", start, length, diskSize/sector), true
		return true
	}
	return false
}
