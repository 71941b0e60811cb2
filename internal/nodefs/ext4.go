package nodefs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"reflect"
	"sort"
	"sync"

	"github.com/masahiro331/go-ext4-filesystem/ext4"
)

// ext4FS reads ext4 with go-ext4-filesystem. The library lists directories and reads
// files front to back; it neither reads symbolic links nor exposes a file's block map, so
// this reads the inode the library already parsed (ext4.Inode, exported) from its
// directory entry, and uses the library's own Extents and GetBlockAddresses to map blocks.
type ext4FS struct {
	lib       *ext4.FileSystem
	r         io.ReaderAt
	blockSize int64

	mu   sync.Mutex
	dirs map[string][]ext4.FileInfo
}

const (
	// ext4 inode flags (fs/ext4/ext4.h).
	extentsFlag    = 0x80000
	inlineDataFlag = 0x10000000
	// An extent longer than this is unwritten (preallocated): it reads as zeros.
	maxInitExtent = 32768
)

func newExt4(r *io.SectionReader) (*ext4FS, error) {
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
	return &ext4FS{lib: lib, r: r, blockSize: bs, dirs: map[string][]ext4.FileInfo{}}, nil
}

// list returns the entries of directory p (resolved), cached: the library walks from the
// root for every listing.
func (e *ext4FS) list(p string) ([]ext4.FileInfo, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if l, ok := e.dirs[p]; ok {
		return l, nil
	}
	entries, err := e.lib.ReadDir(p)
	if err != nil {
		return nil, mapNotExist(p, err)
	}
	l := make([]ext4.FileInfo, 0, len(entries))
	for _, de := range entries {
		info, err := de.Info()
		if err != nil {
			return nil, err
		}
		fi, ok := info.(ext4.FileInfo)
		if !ok {
			return nil, fmt.Errorf("ext4: unexpected directory entry type %T", info)
		}
		l = append(l, fi)
	}
	e.dirs[p] = l
	return l, nil
}

func (e *ext4FS) find(p string) (ext4.FileInfo, error) {
	if p == "/" {
		return ext4.FileInfo{}, &fs.PathError{Op: "lstat", Path: p, Err: errors.New("the root has no directory entry")}
	}
	dir, name := path.Split(p)
	l, err := e.list(path.Clean(dir))
	if err != nil {
		return ext4.FileInfo{}, err
	}
	for _, fi := range l {
		if fi.Name() == name {
			return fi, nil
		}
	}
	return ext4.FileInfo{}, &fs.PathError{Op: "lstat", Path: p, Err: fs.ErrNotExist}
}

func (e *ext4FS) lstat(p string) (Info, error) {
	if p == "/" {
		return Info{Mode: fs.ModeDir | 0o755}, nil
	}
	fi, err := e.find(p)
	if err != nil {
		return Info{}, err
	}
	return Info{Mode: unixMode(uint32(fi.Mode())), Size: fi.Size()}, nil
}

func (e *ext4FS) readDir(p string) ([]Entry, error) {
	l, err := e.list(p)
	if err != nil {
		return nil, err
	}
	out := make([]Entry, len(l))
	for i, fi := range l {
		out[i] = Entry{Name: fi.Name(), Mode: unixMode(uint32(fi.Mode()))}
	}
	return out, nil
}

func (e *ext4FS) readlink(p string) (string, error) {
	fi, err := e.find(p)
	if err != nil {
		return "", err
	}
	in, err := inodeOf(fi)
	if err != nil {
		return "", err
	}
	if unixMode(uint32(in.Mode))&fs.ModeSymlink == 0 {
		return "", &fs.PathError{Op: "readlink", Path: p, Err: errors.New("not a symbolic link")}
	}
	size := in.GetSize()
	if size <= 0 || size > e.blockSize {
		return "", &fs.PathError{Op: "readlink", Path: p, Err: fmt.Errorf("link target of %d bytes", size)}
	}
	// A fast symlink (target under 60 bytes) or inline data keeps the target in i_block.
	if size < int64(len(in.BlockOrExtents)) && (in.Flags&extentsFlag == 0 || in.Flags&inlineDataFlag != 0) {
		return string(in.BlockOrExtents[:size]), nil
	}
	f, err := e.file(p, in)
	if err != nil {
		return "", err
	}
	buf := make([]byte, size)
	if _, err := f.ReadAt(buf, 0); err != nil && !errors.Is(err, io.EOF) {
		return "", &fs.PathError{Op: "readlink", Path: p, Err: err}
	}
	return string(buf), nil
}

func (e *ext4FS) open(p string) (File, error) {
	fi, err := e.find(p)
	if err != nil {
		return nil, err
	}
	in, err := inodeOf(fi)
	if err != nil {
		return nil, err
	}
	return e.file(p, in)
}

// file maps the inode's blocks, from its extent tree or its block map.
func (e *ext4FS) file(p string, in *ext4.Inode) (*blockFile, error) {
	f := &blockFile{r: e.r, blockSize: e.blockSize, size: in.GetSize()}
	if in.Flags&inlineDataFlag != 0 {
		return nil, &fs.PathError{Op: "open", Path: p, Err: errors.New("inline data files are not read")}
	}
	if in.Flags&extentsFlag != 0 {
		extents, err := e.lib.Extents(in)
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
		addrs, err := in.GetBlockAddresses(e.lib)
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

// inodeOf returns the inode go-ext4-filesystem parsed for a directory entry. FileInfo keeps
// it in an unexported field and its Sys returns nil, so it is read by reflection; the
// pinned library version is what this is tested against.
func inodeOf(fi ext4.FileInfo) (*ext4.Inode, error) {
	v := reflect.ValueOf(&fi).Elem().FieldByName("inode")
	if !v.IsValid() || v.Kind() != reflect.Pointer || v.Type().Elem() != reflect.TypeOf(ext4.Inode{}) || v.IsNil() {
		return nil, errors.New("ext4: this go-ext4-filesystem version keeps no inode in its FileInfo")
	}
	return (*ext4.Inode)(v.UnsafePointer()), nil
}

// unixMode converts st_mode bits into an fs.FileMode.
func unixMode(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	switch m & 0xf000 {
	case 0x4000:
		mode |= fs.ModeDir
	case 0xa000:
		mode |= fs.ModeSymlink
	case 0x8000:
	case 0x1000:
		mode |= fs.ModeNamedPipe
	case 0xc000:
		mode |= fs.ModeSocket
	case 0x2000:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case 0x6000:
		mode |= fs.ModeDevice
	default:
		mode |= fs.ModeIrregular
	}
	return mode
}

// inodeCache is the ext4 library's inode cache, bounded: directory listings parse an inode
// per entry, and resolving paths lists the same directories again.
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

func mapNotExist(p string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return &fs.PathError{Op: "read directory", Path: p, Err: fs.ErrNotExist}
	}
	return fmt.Errorf("read directory %s: %w", p, err)
}
