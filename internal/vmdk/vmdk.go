// Package vmdk reads a streamOptimized VMDK (the disk format of an OVA) in place, as an
// io.ReaderAt over the virtual disk, without converting it. Both layouts in the wild are
// read: qemu-img's, whose header points at a grain directory near the start, and VMware's
// (ovftool, ESXi exports), whose header says the directory is at the end and whose footer
// holds its offset.
//
// The format is that of VMware's "Virtual Disk Format 5.0" (SparseExtentHeader, markers,
// grain directory and tables); qemu/qemu block/vmdk.c (vmdk_open_vmdk4, GD_AT_END and the
// footer, get_cluster_offset, vmdk_read_extent) reads the same structures.
package vmdk

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/imagegrid/imagegrid/internal/blocks"
)

const (
	sector = 512
	// magic is "KDMV" read little-endian.
	magic = 0x564d444b
	// gdAtEnd in the header's gdOffset means the footer holds the real offset.
	gdAtEnd = ^uint64(0)

	flagCompressed = 1 << 16
	flagMarkers    = 1 << 17

	compressDeflate = 1

	// Bounds that keep a corrupt header from asking for absurd allocations.
	maxGrainSectors = 2048    // 1 MiB grains; every real one is 64 KiB (128 sectors)
	maxGTEs         = 1 << 16 // real files have 512
	maxGrains       = 1 << 24 // 1 TiB of 64 KiB grains: a 64 MiB grain table

	// cacheBytes bounds the decompressed grains kept in memory.
	cacheBytes = 32 << 20
)

// header is the SparseExtentHeader (and the footer, which has the same layout).
type header struct {
	Magic            uint32
	Version          uint32
	Flags            uint32
	Capacity         uint64
	GrainSize        uint64
	DescriptorOffset uint64
	DescriptorSize   uint64
	NumGTEsPerGT     uint32
	RGDOffset        uint64
	GDOffset         uint64
	Overhead         uint64
	UncleanShutdown  uint8
	SingleEndLine    uint8
	NonEndLine       uint8
	DoubleEndLine1   uint8
	DoubleEndLine2   uint8
	CompressAlgo     uint16
}

// Disk is the virtual disk of a streamOptimized VMDK.
type Disk struct {
	r        io.ReaderAt
	size     int64 // of the VMDK file
	capacity int64 // of the virtual disk, in bytes
	grain    int64 // bytes per grain
	// gt maps grain number → sector of the grain's marker in the file (0: not allocated,
	// 1: zeroed; both read as zeros).
	gt []uint32

	mu    sync.Mutex
	cache *blocks.Cache
}

// Open reads the header (and, for VMware's layout, the footer) and the grain tables of the
// streamOptimized VMDK held in r, which is size bytes long. Only the tables are read now;
// grains are read and inflated when ReadAt needs them.
func Open(r io.ReaderAt, size int64) (*Disk, error) {
	h, err := readHeader(r, 0)
	if err != nil {
		return nil, fmt.Errorf("vmdk header: %w", err)
	}
	if h.GDOffset == gdAtEnd {
		// VMware's layout: footer marker, footer, end-of-stream marker close the file.
		if size < 3*sector {
			return nil, fmt.Errorf("vmdk header says the grain directory is at the end, but the file is only %d bytes", size)
		}
		if h, err = readHeader(r, size-2*sector); err != nil {
			return nil, fmt.Errorf("vmdk footer (at byte %d): %w", size-2*sector, err)
		}
		if h.GDOffset == gdAtEnd {
			return nil, errors.New("vmdk footer does not say where the grain directory is")
		}
	}
	if err := h.check(); err != nil {
		return nil, err
	}
	d := &Disk{r: r, size: size, capacity: int64(h.Capacity) * sector, grain: int64(h.GrainSize) * sector}
	if d.gt, err = readTables(r, size, h); err != nil {
		return nil, err
	}
	d.cache = blocks.New(int(cacheBytes / d.grain))
	return d, nil
}

func readHeader(r io.ReaderAt, off int64) (header, error) {
	buf := make([]byte, sector)
	if _, err := r.ReadAt(buf, off); err != nil {
		return header{}, fmt.Errorf("read: %w", err)
	}
	var h header
	if err := binary.Read(bytes.NewReader(buf), binary.LittleEndian, &h); err != nil {
		return header{}, err
	}
	if h.Magic != magic {
		return header{}, fmt.Errorf("magic is %#x, not KDMV: not a sparse VMDK extent", h.Magic)
	}
	return h, nil
}

func (h header) check() error {
	switch {
	case h.Flags&flagCompressed == 0 || h.Flags&flagMarkers == 0:
		return fmt.Errorf("vmdk flags %#x: not streamOptimized (want compressed grains with markers)", h.Flags)
	case h.CompressAlgo != compressDeflate:
		return fmt.Errorf("vmdk compression algorithm %d: only deflate (1) is defined", h.CompressAlgo)
	case h.GrainSize == 0 || h.GrainSize > maxGrainSectors || h.GrainSize&(h.GrainSize-1) != 0:
		return fmt.Errorf("vmdk grain size %d sectors: want a power of two up to %d", h.GrainSize, maxGrainSectors)
	case h.NumGTEsPerGT == 0 || h.NumGTEsPerGT > maxGTEs:
		return fmt.Errorf("vmdk has %d entries per grain table: want 1 to %d", h.NumGTEsPerGT, maxGTEs)
	case h.Capacity == 0 || (h.Capacity+h.GrainSize-1)/h.GrainSize > maxGrains:
		return fmt.Errorf("vmdk capacity %d sectors is out of range (at most %d grains are read)", h.Capacity, maxGrains)
	}
	return nil
}

// readTables reads the grain directory and every grain table into one flat table.
func readTables(r io.ReaderAt, size int64, h header) ([]uint32, error) {
	grains := (h.Capacity + h.GrainSize - 1) / h.GrainSize
	perGT := uint64(h.NumGTEsPerGT)
	tables := (grains + perGT - 1) / perGT
	if int64(h.GDOffset) < 0 || int64(h.GDOffset) > size/sector || tables*4 > uint64(size) {
		return nil, fmt.Errorf("vmdk grain directory (sector %d, %d tables) lies outside the %d-byte file", h.GDOffset, tables, size)
	}
	gd := make([]uint32, tables)
	if err := readUint32s(r, int64(h.GDOffset)*sector, gd); err != nil {
		return nil, fmt.Errorf("vmdk grain directory: %w", err)
	}
	gt := make([]uint32, grains)
	for i, off := range gd {
		if off == 0 {
			continue // a whole table of unallocated grains
		}
		n := min(perGT, grains-uint64(i)*perGT)
		if int64(off) > size/sector {
			return nil, fmt.Errorf("vmdk grain table %d at sector %d lies outside the %d-byte file", i, off, size)
		}
		if err := readUint32s(r, int64(off)*sector, gt[uint64(i)*perGT:uint64(i)*perGT+n]); err != nil {
			return nil, fmt.Errorf("vmdk grain table %d: %w", i, err)
		}
	}
	return gt, nil
}

func readUint32s(r io.ReaderAt, off int64, dst []uint32) error {
	buf := make([]byte, 4*len(dst))
	if _, err := r.ReadAt(buf, off); err != nil {
		return fmt.Errorf("read at byte %d: %w", off, err)
	}
	for i := range dst {
		dst[i] = binary.LittleEndian.Uint32(buf[4*i:])
	}
	return nil
}

// Size is the virtual disk's size in bytes.
func (d *Disk) Size() int64 { return d.capacity }

// ReadAt reads the virtual disk. Unallocated and zeroed grains read as zeros.
func (d *Disk) ReadAt(p []byte, off int64) (int, error) {
	return blocks.ReadAt(p, off, d.capacity, d.grain, d.grainData)
}

// grainData returns grain idx inflated, or nil for a grain of zeros.
func (d *Disk) grainData(idx int64) ([]byte, error) {
	sec := d.gt[idx]
	if sec <= 1 {
		return nil, nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if data, ok := d.cache.Get(idx); ok {
		return data, nil
	}
	data, err := d.inflate(idx, int64(sec)*sector)
	if err != nil {
		return nil, err
	}
	d.cache.Put(idx, data)
	return data, nil
}

// inflate reads the grain marker at off (uint64 LBA, uint32 compressed size) and inflates
// the grain that follows it.
func (d *Disk) inflate(idx, off int64) ([]byte, error) {
	var m [12]byte
	if _, err := d.r.ReadAt(m[:], off); err != nil {
		return nil, fmt.Errorf("vmdk grain %d: read marker at byte %d: %w", idx, off, err)
	}
	lba := binary.LittleEndian.Uint64(m[:8])
	size := int64(binary.LittleEndian.Uint32(m[8:]))
	if lba != uint64(idx*d.grain/sector) {
		return nil, fmt.Errorf("vmdk grain %d: marker at byte %d is for sector %d, want %d", idx, off, lba, idx*d.grain/sector)
	}
	if size == 0 || size > d.size-off-12 || size > 2*d.grain+1024 {
		return nil, fmt.Errorf("vmdk grain %d: compressed size %d at byte %d is out of range", idx, size, off)
	}
	comp := make([]byte, size)
	if _, err := d.r.ReadAt(comp, off+12); err != nil {
		return nil, fmt.Errorf("vmdk grain %d: read: %w", idx, err)
	}
	out := make([]byte, d.grain)
	if err := inflateInto(out, comp); err != nil {
		return nil, fmt.Errorf("vmdk grain %d (byte %d): %w", idx, off, err)
	}
	return out, nil
}

// inflateInto inflates comp into out: a zlib stream (what qemu-img and VMware write) or raw
// DEFLATE (RFC 1951, what the specification names). A grain may inflate to less than a
// full grain at the end of the disk; the rest stays zero.
func inflateInto(out, comp []byte) error {
	var zr io.ReadCloser
	zr, err := zlib.NewReader(bytes.NewReader(comp))
	if err != nil {
		zr = flate.NewReader(bytes.NewReader(comp))
	}
	defer zr.Close()
	n, err := io.ReadFull(zr, out)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("inflate: %w", err)
	}
	if n == 0 {
		return errors.New("inflate: the grain is empty")
	}
	return nil
}
