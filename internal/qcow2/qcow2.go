// Package qcow2 reads a qcow2 disk image (qemu's format; the output of Image Builder's qemu
// targets) in place, as an io.ReaderAt over the virtual disk: versions 2 and 3, standard,
// zero and deflate-compressed clusters. Backing files, encryption, external data files,
// extended L2 entries and zstd compression are refused. The format is that of qemu's
// docs/interop/qcow2.txt; qemu/qemu block/qcow2.c reads the same structures.
package qcow2

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/imagegrid/imagegrid/internal/blocks"
)

const (
	magic = 0x514649fb // "QFI\xfb"

	offsetMask     = 0x00fffffffffffe00 // bits 9-55 of L1 and standard L2 entries
	compressedFlag = 1 << 62
	zeroFlag       = 1 // bit 0 of a standard L2 entry (version 3)

	// Bounds that keep a corrupt header from asking for absurd allocations.
	minClusterBits = 9
	maxClusterBits = 21
	maxL1Entries   = 1 << 22 // 32 MiB of L1 table
	cacheBytes     = 32 << 20
)

// header is the qcow2 header's fixed part (big-endian).
type header struct {
	Magic                 uint32
	Version               uint32
	BackingFileOffset     uint64
	BackingFileSize       uint32
	ClusterBits           uint32
	Size                  uint64
	CryptMethod           uint32
	L1Size                uint32
	L1TableOffset         uint64
	RefcountTableOffset   uint64
	RefcountTableClusters uint32
	NbSnapshots           uint32
	SnapshotsOffset       uint64
}

// Disk is the virtual disk of a qcow2 image.
type Disk struct {
	r           io.ReaderAt
	size        int64 // of the file
	capacity    int64
	clusterBits uint32
	l1          []uint64

	mu    sync.Mutex
	cache *blocks.Cache
}

// Open reads the header and the L1 table of the qcow2 image in r (size bytes long).
func Open(r io.ReaderAt, size int64) (*Disk, error) {
	buf := make([]byte, 104)
	if _, err := r.ReadAt(buf, 0); err != nil {
		return nil, fmt.Errorf("qcow2 header: %w", err)
	}
	var h header
	if err := binary.Read(bytes.NewReader(buf), binary.BigEndian, &h); err != nil {
		return nil, err
	}
	if err := h.check(buf, size); err != nil {
		return nil, err
	}
	d := &Disk{r: r, size: size, capacity: int64(h.Size), clusterBits: h.ClusterBits, l1: make([]uint64, h.L1Size)}
	raw := make([]byte, 8*h.L1Size)
	if _, err := r.ReadAt(raw, int64(h.L1TableOffset)); err != nil {
		return nil, fmt.Errorf("qcow2 L1 table: %w", err)
	}
	for i := range d.l1 {
		d.l1[i] = binary.BigEndian.Uint64(raw[8*i:])
	}
	d.cache = blocks.New(int(cacheBytes >> h.ClusterBits))
	return d, nil
}

// check refuses a header (read from buf, of a size-byte file) this reader does not read or
// that does not fit its file.
func (h header) check(buf []byte, size int64) error {
	switch {
	case h.Magic != magic:
		return fmt.Errorf("magic is %#x, not QFI\\xfb: not a qcow2 image", h.Magic)
	case h.Version != 2 && h.Version != 3:
		return fmt.Errorf("qcow2 version %d: only 2 and 3 are read", h.Version)
	case h.BackingFileOffset != 0:
		return errors.New("qcow2 image has a backing file: only standalone images are read")
	case h.CryptMethod != 0:
		return errors.New("qcow2 image is encrypted")
	case h.ClusterBits < minClusterBits || h.ClusterBits > maxClusterBits:
		return fmt.Errorf("qcow2 cluster size 2^%d is out of range", h.ClusterBits)
	case h.L1Size > maxL1Entries || int64(h.L1TableOffset) < 0 || int64(h.L1TableOffset)+8*int64(h.L1Size) > size:
		return fmt.Errorf("qcow2 L1 table (%d entries at byte %d) lies outside the %d-byte file", h.L1Size, h.L1TableOffset, size)
	}
	if h.Version == 3 {
		incompatible := binary.BigEndian.Uint64(buf[72:])
		// Bit 0 (dirty) only asks for a refcount repair, harmless to a reader.
		if incompatible&^1 != 0 {
			return fmt.Errorf("qcow2 incompatible features %#x (corrupt, external data file, zstd or extended L2) are not read", incompatible)
		}
	}
	clusterSize := uint64(1) << h.ClusterBits
	perL2 := clusterSize / 8
	if need := (h.Size + clusterSize*perL2 - 1) / (clusterSize * perL2); need > uint64(h.L1Size) {
		return fmt.Errorf("qcow2 L1 table has %d entries; a %d-byte disk needs %d", h.L1Size, h.Size, need)
	}
	return nil
}

// Size is the virtual disk's size in bytes.
func (d *Disk) Size() int64 { return d.capacity }

// ReadAt reads the virtual disk; unallocated and zero clusters read as zeros.
func (d *Disk) ReadAt(p []byte, off int64) (int, error) {
	return blocks.ReadAt(p, off, d.capacity, int64(1)<<d.clusterBits, d.clusterData)
}

// clusterData returns guest cluster idx, or nil for a cluster of zeros.
func (d *Disk) clusterData(idx int64) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if data, ok := d.cache.Get(idx); ok {
		return data, nil
	}
	cluster := int64(1) << d.clusterBits
	perL2 := cluster / 8
	l2 := int64(d.l1[idx/perL2] & offsetMask)
	if l2 == 0 {
		return nil, nil
	}
	var e [8]byte
	if _, err := d.r.ReadAt(e[:], l2+8*(idx%perL2)); err != nil {
		return nil, fmt.Errorf("qcow2 cluster %d: L2 entry at byte %d: %w", idx, l2+8*(idx%perL2), err)
	}
	entry := binary.BigEndian.Uint64(e[:])
	out := make([]byte, cluster)
	switch {
	case entry&compressedFlag != 0:
		// Compressed: offset in the low x bits, then (sectors - 1) (qcow2.txt, "Compressed
		// Clusters Descriptor").
		x := 62 - (d.clusterBits - 8)
		host := int64(entry & (1<<x - 1))
		sectors := int64((entry>>x)&(1<<(d.clusterBits-8)-1)) + 1
		length := min(sectors*512-host&511, d.size-host)
		if host <= 0 || length <= 0 {
			return nil, fmt.Errorf("qcow2 cluster %d: compressed data at byte %d lies outside the file", idx, host)
		}
		comp := make([]byte, length)
		if _, err := d.r.ReadAt(comp, host); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("qcow2 cluster %d: read: %w", idx, err)
		}
		if _, err := io.ReadFull(flate.NewReader(bytes.NewReader(comp)), out); err != nil {
			return nil, fmt.Errorf("qcow2 cluster %d (byte %d): inflate: %w", idx, host, err)
		}
	case entry&zeroFlag != 0 || entry&offsetMask == 0:
		return nil, nil
	default:
		host := int64(entry & offsetMask)
		if host+cluster > d.size {
			return nil, fmt.Errorf("qcow2 cluster %d at byte %d lies outside the %d-byte file", idx, host, d.size)
		}
		if _, err := d.r.ReadAt(out, host); err != nil {
			return nil, fmt.Errorf("qcow2 cluster %d: read: %w", idx, err)
		}
	}
	d.cache.Put(idx, out)
	return out, nil
}
