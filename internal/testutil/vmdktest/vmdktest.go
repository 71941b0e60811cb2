// Package vmdktest writes streamOptimized VMDKs in VMware's layout for tests: what ovftool
// and ESXi exports produce (VMware "Virtual Disk Format 5.0", stream-optimized compressed
// sparse extents), which qemu-img does not write.
package vmdktest

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
)

const (
	sector       = 512
	grainSectors = 128 // 64 KiB grains
	perGT        = 512 // grain table entries per table
)

// VMwareLayout returns raw as a streamOptimized VMDK in VMware's layout: a header whose
// gdOffset is GD_AT_END, the descriptor, each non-zero grain behind its marker (LBA, size)
// and zlib-compressed, then each grain table and the grain directory behind metadata
// markers, a footer (the header again, with the directory's real offset) and the
// end-of-stream marker.
func VMwareLayout(raw []byte) []byte {
	grain := grainSectors * sector
	grains := (len(raw) + grain - 1) / grain
	var out bytes.Buffer
	pad := func() { out.Write(make([]byte, (sector-out.Len()%sector)%sector)) }
	le := binary.LittleEndian
	header := func(gdOffset uint64) {
		h := make([]byte, sector)
		copy(h, "KDMV")
		le.PutUint32(h[4:], 3)                                   // version
		le.PutUint32(h[8:], 1|1<<16|1<<17)                       // newline test, compressed, markers
		le.PutUint64(h[12:], uint64((len(raw)+sector-1)/sector)) // capacity
		le.PutUint64(h[20:], grainSectors)
		le.PutUint64(h[28:], 1) // descriptor offset
		le.PutUint64(h[36:], 1) // descriptor size
		le.PutUint32(h[44:], perGT)
		le.PutUint64(h[56:], gdOffset)
		le.PutUint64(h[64:], 128) // overhead
		copy(h[73:77], "\n \r\n")
		le.PutUint16(h[77:], 1) // deflate
		out.Write(h)
	}
	marker := func(val uint64, typ uint32) {
		m := make([]byte, sector)
		le.PutUint64(m, val)
		le.PutUint32(m[12:], typ)
		out.Write(m)
	}
	header(^uint64(0))
	out.WriteString("# Disk DescriptorFile\nversion=1\ncreateType=\"streamOptimized\"\n")
	pad()
	out.Write(make([]byte, 128*sector-out.Len()))
	gt := make([]uint32, (grains+perGT-1)/perGT*perGT)
	for g := range grains {
		chunk := raw[g*grain : min((g+1)*grain, len(raw))]
		if bytes.Count(chunk, []byte{0}) == len(chunk) {
			continue
		}
		gt[g] = uint32(out.Len() / sector)
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		zw.Write(chunk)
		zw.Close()
		var m [12]byte
		le.PutUint64(m[:], uint64(g*grainSectors))
		le.PutUint32(m[8:], uint32(z.Len()))
		out.Write(m[:])
		out.Write(z.Bytes())
		pad()
	}
	gd := make([]uint32, len(gt)/perGT)
	for i := range gd {
		marker(perGT*4/sector, 1) // grain table
		gd[i] = uint32(out.Len() / sector)
		binary.Write(&out, le, gt[i*perGT:(i+1)*perGT])
		pad()
	}
	marker(uint64((len(gd)*4+sector-1)/sector), 2) // grain directory
	gdOffset := uint64(out.Len() / sector)
	binary.Write(&out, le, gd)
	pad()
	marker(1, 3) // footer
	header(gdOffset)
	marker(0, 0) // end of stream
	return out.Bytes()
}
