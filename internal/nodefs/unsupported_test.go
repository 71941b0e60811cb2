package nodefs_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/nodefs"
)

// mbrDisk is a 4 MiB disk whose MBR has one partition of type typ from 1 MiB, holding head.
func mbrDisk(typ byte, head []byte) []byte {
	disk := make([]byte, 4<<20)
	copy(disk, []byte{0xeb, 0x63, 0x90})
	e := disk[446:]
	e[4] = typ
	binary.LittleEndian.PutUint32(e[8:], 2048)
	binary.LittleEndian.PutUint32(e[12:], 4096)
	disk[510], disk[511] = 0x55, 0xaa
	copy(disk[1<<20:], head)
	return disk
}

func TestReportsWhatItCannotRead(t *testing.T) {
	t.Parallel()
	ntfs := make([]byte, 512)
	copy(ntfs[3:], "NTFS    ")
	for _, tc := range []struct {
		name        string
		disk        []byte
		unsupported string // "" for a plain error
	}{
		{"LVM", mbrDisk(0x8e, []byte("LABELONE")), "LVM"},
		{"NTFS", mbrDisk(0x07, ntfs), "NTFS"},
		{"no filesystem", mbrDisk(0x83, nil), ""},
		{"empty disk", make([]byte, 1<<20), ""},
		{"LVM and a partition beyond the disk's end", func() []byte {
			d := mbrDisk(0x8e, []byte("LABELONE"))
			e := d[446+16:]
			e[4] = 0x83
			binary.LittleEndian.PutUint32(e[8:], 1<<20)
			binary.LittleEndian.PutUint32(e[12:], 2048)
			return d
		}(), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := nodefs.Open(bytes.NewReader(tc.disk), int64(len(tc.disk)))
			var ns *nodefs.NotSupportedError
			switch {
			case err == nil:
				t.Fatal("no error")
			case tc.unsupported != "" && (!errors.As(err, &ns) || !strings.Contains(ns.Reason, tc.unsupported)):
				t.Fatalf("error %v, want not supported: %s", err, tc.unsupported)
			case tc.unsupported == "" && errors.As(err, &ns):
				t.Fatalf("error %v is 'not supported'; want an error", err)
			}
		})
	}
}

// FuzzCorruptDisk patches a real node image disk at a fuzzed place: reading it is an
// error or a result, never a panic or a hang.
func FuzzCorruptDisk(f *testing.F) {
	disk := makeDisk(f, "gpt")
	base, err := os.ReadFile(disk.Name())
	if err != nil {
		f.Fatal(err)
	}
	// Seeds: the superblock, group descriptors, the inode table, the root directory.
	for _, off := range []uint32{1<<20 + 1024 + 4, 1<<20 + 4096 + 8, 1<<20 + 5*4096, 1<<20 + 40*4096, 500, 1024 + 80} {
		f.Add(off, []byte{0xff, 0x00, 0x7f, 0x80})
	}
	f.Fuzz(func(t *testing.T, off uint32, patch []byte) {
		d := bytes.Clone(base)
		copy(d[int(off)%len(d):], patch)
		root, err := nodefs.Open(bytes.NewReader(d), int64(len(d)))
		if err != nil {
			return
		}
		for _, p := range []string{"/usr/bin/kubelet", "/lib/systemd/system/cloud-init.service", "/etc/os-release"} {
			if file, err := root.Open(p); err == nil && file.Size() < 8<<20 {
				file.ReadAt(make([]byte, file.Size()), 0)
			}
		}
		root.ReadDir("/etc/systemd/system/cloud-init.target.wants")
	})
}
