package nodeimage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"unicode/utf16"
)

const sector = 512

// writeTable creates the disk file of size bytes with a partition table of kind "gpt" (or
// "") or "mbr" holding one Linux partition from 1 MiB to the end (the last 33 sectors are
// left for the backup GPT), and returns the partition's offset and length in bytes.
func writeTable(path string, size int64, kind string, flatcar bool) (int64, int64, error) {
	const start = 1 << 20
	length := (size - start - 64*sector) &^ (4096 - 1)
	var head []byte
	switch kind {
	case "mbr":
		head = mbr(0x83, start/sector, length/sector)
	case "gpt", "", "flatcar":
		head = gpt(size, start, length, flatcar)
	default:
		return 0, 0, fmt.Errorf("partition table %q: want gpt, mbr or flatcar", kind)
	}
	f, err := os.Create(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return 0, 0, err
	}
	if _, err := f.WriteAt(head, 0); err != nil {
		return 0, 0, err
	}
	return start, length, f.Close()
}

// mbr is a master boot record with one partition; the boot code area starts with GRUB's
// first bytes (a jump), as on a real disk.
func mbr(typ byte, start, sectors int64) []byte {
	b := make([]byte, sector)
	copy(b, []byte{0xeb, 0x63, 0x90})
	e := b[446:]
	e[0] = 0x80 // bootable
	copy(e[1:4], []byte{0xfe, 0xff, 0xff})
	e[4] = typ
	copy(e[5:8], []byte{0xfe, 0xff, 0xff})
	binary.LittleEndian.PutUint32(e[8:], uint32(start))
	binary.LittleEndian.PutUint32(e[12:], uint32(min(sectors, 0xffffffff)))
	b[510], b[511] = 0x55, 0xaa
	return b
}

// gpt is a protective MBR, the GPT header (UEFI 2.x, 5.3) and 128 entries with one Linux
// filesystem partition (type 0FC63DAF-8483-4772-8E79-3D69D8477DE4) named "root" — or, for
// flatcar, Flatcar's /usr partition (CoreOS usr type 5DFBF5F4-2848-4BAC-AA5E-0D9A20B745A6)
// named "USR-A", as in Flatcar's build_library/disk_layout.json.
func gpt(size, start, length int64, flatcar bool) []byte {
	typ, name := "0FC63DAF-8483-4772-8E79-3D69D8477DE4", "root"
	if flatcar {
		typ, name = "5DFBF5F4-2848-4BAC-AA5E-0D9A20B745A6", "USR-A"
	}
	lastLBA := size/sector - 1
	entries := make([]byte, 128*128)
	e := entries[:128]
	copy(e[0:16], guid(typ))
	copy(e[16:32], guid("5B7E4F2A-1C3D-4E5F-8A9B-0C1D2E3F4A5B"))
	binary.LittleEndian.PutUint64(e[32:], uint64(start/sector))
	binary.LittleEndian.PutUint64(e[40:], uint64((start+length)/sector-1))
	for i, r := range utf16.Encode([]rune(name)) {
		binary.LittleEndian.PutUint16(e[56+2*i:], r)
	}
	h := make([]byte, 92)
	copy(h, "EFI PART")
	binary.LittleEndian.PutUint32(h[8:], 0x00010000)
	binary.LittleEndian.PutUint32(h[12:], 92)
	binary.LittleEndian.PutUint64(h[24:], 1)
	binary.LittleEndian.PutUint64(h[32:], uint64(lastLBA))
	binary.LittleEndian.PutUint64(h[40:], 34)
	binary.LittleEndian.PutUint64(h[48:], uint64(lastLBA-33))
	copy(h[56:72], guid("9D3C8A1E-2B4F-4C6D-8E0F-1A2B3C4D5E6F"))
	binary.LittleEndian.PutUint64(h[72:], 2)
	binary.LittleEndian.PutUint32(h[80:], 128)
	binary.LittleEndian.PutUint32(h[84:], 128)
	binary.LittleEndian.PutUint32(h[88:], crc32.ChecksumIEEE(entries))
	binary.LittleEndian.PutUint32(h[16:], crc32.ChecksumIEEE(h))
	var out bytes.Buffer
	out.Write(mbr(0xee, 1, lastLBA))
	out.Write(h)
	out.Write(make([]byte, sector-len(h)))
	out.Write(entries)
	return out.Bytes()
}

// guid encodes a GUID in its mixed-endian on-disk form.
func guid(s string) []byte {
	var b []byte
	var hex []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '-' {
			hex = append(hex, s[i])
		}
	}
	for i := 0; i+1 < len(hex); i += 2 {
		var v byte
		fmt.Sscanf(string(hex[i:i+2]), "%02x", &v)
		b = append(b, v)
	}
	for _, r := range [][2]int{{0, 4}, {4, 6}, {6, 8}} {
		for i, j := r[0], r[1]-1; i < j; i, j = i+1, j-1 {
			b[i], b[j] = b[j], b[i]
		}
	}
	return b
}
