package nodefs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"sync"

	"github.com/masahiro331/go-ext4-filesystem/ext4"
)

// ext4 inode flags (Linux fs/ext4/ext4.h).
const (
	extentsFlag    = 0x80000
	inlineDataFlag = 0x10000000
	// An extent longer than this is unwritten (preallocated): it reads as zeros.
	maxInitExtent = 32768
)

// newExt4 reads ext4 with go-ext4-filesystem. The library lists directories and reads files
// front to back; it neither reads symbolic links nor exposes a file's block map, so the
// inode it parsed (ext4.Inode, exported) is taken from its directory entry and the
// library's own Extents and GetBlockAddresses map the blocks.
func newExt4(r *io.SectionReader) (filesystem, error) {
	if err := checkExt4Size(r); err != nil {
		return nil, err
	}
	lib, err := ext4.NewFS(*r, newInodeCache())
	if err != nil {
		return nil, fmt.Errorf("ext4: %w", err)
	}
	sb := lib.GetSuperBlock()
	bs := sb.GetBlockSize()
	// go-ext4-filesystem reads the group descriptors from block 1, where they are only when
	// blocks are larger than 1 KiB (with 1 KiB blocks the superblock is block 1).
	if bs <= 1024 || bs > 65536 {
		return nil, &NotSupportedError{Reason: fmt.Sprintf("ext4 with %d-byte blocks (only 2 KiB to 64 KiB blocks are read; mkfs.ext4 uses 4 KiB for any disk over 512 MiB)", bs)}
	}
	l := &libFS{list: lib.ReadDir}
	l.open = func(p string, fi fs.FileInfo) (File, error) {
		in, err := ext4Inode(p, fi)
		if err != nil {
			return nil, err
		}
		return ext4File(lib, r, bs, p, in)
	}
	l.readlink = func(p string, fi fs.FileInfo) (string, error) {
		in, err := ext4Inode(p, fi)
		if err != nil {
			return "", err
		}
		return ext4Readlink(lib, r, bs, p, in)
	}
	return libFSAdapter{l}, nil
}

// ext4Inode is the inode the library parsed for the directory entry fi of p.
func ext4Inode(p string, fi fs.FileInfo) (*ext4.Inode, error) {
	in, err := unexported[ext4.Inode](fi, "inode")
	if err == nil && in == nil {
		err = errors.New("no inode")
	}
	if err != nil {
		return nil, &fs.PathError{Op: "read inode", Path: p, Err: err}
	}
	return in, nil
}

// ext4Readlink reads the target of the symbolic link p (inode in, blocks of bs bytes).
func ext4Readlink(lib *ext4.FileSystem, r io.ReaderAt, bs int64, p string, in *ext4.Inode) (string, error) {
	size := in.GetSize()
	if size <= 0 || size > bs {
		return "", &fs.PathError{Op: "readlink", Path: p, Err: fmt.Errorf("link target of %d bytes", size)}
	}
	// A fast symlink (target under 60 bytes) or inline data keeps the target in i_block.
	if size < int64(len(in.BlockOrExtents)) && (in.Flags&extentsFlag == 0 || in.Flags&inlineDataFlag != 0) {
		return string(in.BlockOrExtents[:size]), nil
	}
	f, err := ext4File(lib, r, bs, p, in)
	if err != nil {
		return "", err
	}
	return readLink(p, f, size)
}

// checkExt4Size refuses a superblock whose filesystem is larger than its partition: the
// library allocates and reads a group descriptor per block group the superblock announces.
func checkExt4Size(r *io.SectionReader) error {
	var sb [0x158]byte
	if _, err := r.ReadAt(sb[:], 1024); err != nil {
		return fmt.Errorf("ext4 superblock: %w", err)
	}
	logBlock := binary.LittleEndian.Uint32(sb[24:])
	if logBlock > 6 {
		return fmt.Errorf("ext4 superblock: block size 2^%d KiB is out of range", logBlock)
	}
	blocks := uint64(binary.LittleEndian.Uint32(sb[4:]))
	if binary.LittleEndian.Uint32(sb[0x60:])&0x80 != 0 { // INCOMPAT_64BIT
		blocks |= uint64(binary.LittleEndian.Uint32(sb[0x150:])) << 32
	}
	if size := blocks << (10 + logBlock); blocks == 0 || size>>(10+logBlock) != blocks || size > uint64(r.Size()) {
		return fmt.Errorf("ext4 superblock announces %d blocks of %d bytes; the partition holds %d bytes", blocks, 1024<<logBlock, r.Size())
	}
	return nil
}

// ext4File maps the inode's blocks, from its extent tree or its block map.
func ext4File(lib *ext4.FileSystem, r io.ReaderAt, bs int64, p string, in *ext4.Inode) (*blockFile, error) {
	f := &blockFile{r: r, blockSize: bs, size: in.GetSize()}
	if in.Flags&inlineDataFlag != 0 {
		return nil, &fs.PathError{Op: "open", Path: p, Err: errors.New("inline data files are not read")}
	}
	if in.Flags&extentsFlag != 0 {
		extents, err := lib.Extents(in)
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: p, Err: err}
		}
		for _, x := range extents {
			n := int64(x.Len)
			if n > maxInitExtent {
				continue // unwritten: zeros
			}
			f.runs = append(f.runs, run{logical: int64(x.Block), physical: int64(x.StartHi)<<32 | int64(x.StartLo), blocks: n})
		}
	} else {
		addrs, err := in.GetBlockAddresses(lib)
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: p, Err: err}
		}
		for i, a := range addrs {
			if a != 0 {
				f.runs = append(f.runs, run{logical: int64(i), physical: int64(a), blocks: 1})
			}
		}
	}
	sort.Slice(f.runs, func(i, j int) bool { return f.runs[i].logical < f.runs[j].logical })
	return f, nil
}

// readLink reads a symbolic link's target stored in data blocks.
func readLink(p string, f File, size int64) (string, error) {
	buf := make([]byte, size)
	if _, err := f.ReadAt(buf, 0); err != nil && !errors.Is(err, io.EOF) {
		return "", &fs.PathError{Op: "readlink", Path: p, Err: err}
	}
	return string(buf), nil
}

// inodeCache is the libraries' inode cache, bounded: directory listings parse an inode per
// entry, and resolving paths lists the same directories again.
type inodeCache struct {
	mu sync.Mutex
	m  map[string]any
}

const maxCachedInodes = 1 << 16

func newInodeCache() *inodeCache { return &inodeCache{m: map[string]any{}} }

func (c *inodeCache) Add(key string, v any) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCachedInodes {
		clear(c.m)
	}
	c.m[key] = v
	return true
}

func (c *inodeCache) Get(key string) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[key]
	return v, ok
}
