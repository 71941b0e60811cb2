package nodefs

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"sync"
)

// libFS is the part of a filesystem reader common to the libraries wrapped here: they list
// directories (walking from the root each time) into fs.FileInfo values that keep the
// parsed inode in an unexported field. libFS caches the listings and resolves names to
// those values; readlink and open are the library-specific parts.
type libFS struct {
	list     func(p string) ([]fs.DirEntry, error)
	readlink func(p string, fi fs.FileInfo) (string, error)
	open     func(p string, fi fs.FileInfo) (File, error)

	mu   sync.Mutex
	dirs map[string][]fs.FileInfo
}

func (l *libFS) dir(p string) ([]fs.FileInfo, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if d, ok := l.dirs[p]; ok {
		return d, nil
	}
	entries, err := l.list(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &fs.PathError{Op: "read directory", Path: p, Err: fs.ErrNotExist}
		}
		return nil, fmt.Errorf("read directory %s: %w", p, err)
	}
	d := make([]fs.FileInfo, 0, len(entries))
	for _, de := range entries {
		info, err := de.Info()
		if err != nil {
			return nil, err
		}
		d = append(d, info)
	}
	if l.dirs == nil {
		l.dirs = map[string][]fs.FileInfo{}
	}
	l.dirs[p] = d
	return d, nil
}

func (l *libFS) find(p string) (fs.FileInfo, error) {
	if p == "/" {
		return nil, &fs.PathError{Op: "lstat", Path: p, Err: errors.New("the root has no directory entry")}
	}
	dir, name := path.Split(p)
	d, err := l.dir(path.Clean(dir))
	if err != nil {
		return nil, err
	}
	for _, fi := range d {
		if fi.Name() == name {
			return fi, nil
		}
	}
	return nil, &fs.PathError{Op: "lstat", Path: p, Err: fs.ErrNotExist}
}

func (l *libFS) lstat(p string) (Info, error) {
	if p == "/" {
		return Info{Mode: fs.ModeDir | 0o755}, nil
	}
	fi, err := l.find(p)
	if err != nil {
		return Info{}, err
	}
	return Info{Mode: unixMode(uint32(fi.Mode())), Size: fi.Size()}, nil
}

func (l *libFS) readDir(p string) ([]Entry, error) {
	d, err := l.dir(p)
	if err != nil {
		return nil, err
	}
	out := make([]Entry, len(d))
	for i, fi := range d {
		out[i] = Entry{Name: fi.Name(), Mode: unixMode(uint32(fi.Mode()))}
	}
	return out, nil
}

func (l *libFS) readlinkAt(p string) (string, error) {
	fi, err := l.find(p)
	if err != nil {
		return "", err
	}
	if unixMode(uint32(fi.Mode()))&fs.ModeSymlink == 0 {
		return "", &fs.PathError{Op: "readlink", Path: p, Err: errors.New("not a symbolic link")}
	}
	return l.readlink(p, fi)
}

func (l *libFS) openAt(p string) (File, error) {
	fi, err := l.find(p)
	if err != nil {
		return nil, err
	}
	return l.open(p, fi)
}

// libFS is the filesystem interface, with readlink and open by path.
type libFSAdapter struct{ *libFS }

func (a libFSAdapter) readlink(p string) (string, error) { return a.readlinkAt(p) }
func (a libFSAdapter) open(p string) (File, error)       { return a.openAt(p) }

// unexported returns the pointer held in the unexported field name of the struct behind
// fi (a library's FileInfo value), as a *T. The libraries keep the parsed inode there and
// their Sys returns nil; the pinned library versions are what this is tested against.
func unexported[T any](fi fs.FileInfo, name string) (*T, error) {
	v := reflect.ValueOf(fi)
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil, fmt.Errorf("%T is not a struct", fi)
	}
	f := v.FieldByName(name)
	if !f.IsValid() || f.Kind() != reflect.Pointer || f.Type().Elem() != reflect.TypeFor[T]() {
		return nil, fmt.Errorf("%T has no %s field of type *%s (library version changed?)", fi, name, reflect.TypeFor[T]())
	}
	if f.IsNil() {
		return nil, nil
	}
	return (*T)(f.UnsafePointer()), nil
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
