// Package nodefs reads the root filesystem of a node image's disk without mounting it: it
// finds the root partition (GPT or MBR, or a filesystem on the whole disk) and reads ext4 or
// XFS through github.com/masahiro331/go-disk, go-ext4-filesystem and go-xfs-filesystem, the
// libraries Trivy's VM scanning uses. It adds what those lack: symbolic links followed in every path component
// and resolved inside the image (Ubuntu's /lib → usr/lib), files read at any offset without
// reading them whole, and errors instead of the libraries' rare panics.
//
// Disks that cannot be read this way (LVM, Windows/NTFS, Flatcar's USR partitions) are
// reported as *NotSupportedError with the reason, never as an empty filesystem.
package nodefs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
)

// maxLinks bounds symbolic links followed while resolving one path, as Linux's ELOOP does.
const maxLinks = 40

// Info is what Lstat and Stat report about a file.
type Info struct {
	Mode fs.FileMode
	Size int64
}

// Entry is one directory entry.
type Entry struct {
	Name string
	Mode fs.FileMode
}

// File is an open regular file: read at any offset.
type File interface {
	io.ReaderAt
	Size() int64
}

// filesystem is what one filesystem reader provides. Paths are absolute and clean, and
// every directory in them is a directory (the FS resolves symbolic links first).
type filesystem interface {
	lstat(p string) (Info, error)
	readDir(p string) ([]Entry, error)
	readlink(p string) (string, error)
	open(p string) (File, error)
}

// FS is a node image's root filesystem.
type FS struct {
	fs filesystem
	// Type is the filesystem type ("ext4"); Partition says where it was found
	// ("GPT partition 1", "MBR partition 2", "whole disk").
	Type      string
	Partition string
}

// NotSupportedError says why a disk cannot be inspected (LVM, NTFS, Flatcar).
type NotSupportedError struct {
	Reason string
}

func (e *NotSupportedError) Error() string { return "not supported: " + e.Reason }

// Lstat reports on p without following it if it is a symbolic link (its directories are
// followed).
func (f *FS) Lstat(p string) (info Info, err error) {
	defer recoverInto(&err, "lstat "+p)
	dir, name, err := f.resolveDir(p)
	if err != nil {
		return Info{}, err
	}
	return f.fs.lstat(path.Join(dir, name))
}

// Stat reports on p, following symbolic links.
func (f *FS) Stat(p string) (info Info, err error) {
	defer recoverInto(&err, "stat "+p)
	r, err := f.resolve(p, 0)
	if err != nil {
		return Info{}, err
	}
	return f.fs.lstat(r)
}

// Resolve returns p with every symbolic link followed, as the image would see it.
func (f *FS) Resolve(p string) (r string, err error) {
	defer recoverInto(&err, "resolve "+p)
	return f.resolve(p, 0)
}

// Readlink returns the target of the symbolic link p.
func (f *FS) Readlink(p string) (target string, err error) {
	defer recoverInto(&err, "readlink "+p)
	dir, name, err := f.resolveDir(p)
	if err != nil {
		return "", err
	}
	return f.fs.readlink(path.Join(dir, name))
}

// ReadDir lists the directory p (following symbolic links).
func (f *FS) ReadDir(p string) (entries []Entry, err error) {
	defer recoverInto(&err, "read directory "+p)
	r, err := f.resolve(p, 0)
	if err != nil {
		return nil, err
	}
	return f.fs.readDir(r)
}

// Open opens the regular file p (following symbolic links).
func (f *FS) Open(p string) (file File, err error) {
	defer recoverInto(&err, "open "+p)
	r, err := f.resolve(p, 0)
	if err != nil {
		return nil, err
	}
	info, err := f.fs.lstat(r)
	if err != nil {
		return nil, err
	}
	if !info.Mode.IsRegular() {
		return nil, &fs.PathError{Op: "open", Path: p, Err: fmt.Errorf("not a regular file (%s)", info.Mode.Type())}
	}
	return f.fs.open(r)
}

// ReadFile reads the regular file p whole; files larger than limit bytes are an error.
func (f *FS) ReadFile(p string, limit int64) ([]byte, error) {
	file, err := f.Open(p)
	if err != nil {
		return nil, err
	}
	if file.Size() > limit {
		return nil, fmt.Errorf("%s is %d bytes; at most %d are read", p, file.Size(), limit)
	}
	buf := make([]byte, file.Size())
	if _, err := file.ReadAt(buf, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	return buf, nil
}

// resolveDir resolves the directory part of p and returns it with p's last name.
func (f *FS) resolveDir(p string) (string, string, error) {
	p = path.Clean("/" + p)
	if p == "/" {
		return "/", ".", nil
	}
	dir, name := path.Split(p)
	r, err := f.resolve(dir, 0)
	return r, name, err
}

// resolve follows symbolic links in every component of p. Absolute link targets are taken
// from the image's root, and ".." never climbs above it.
func (f *FS) resolve(p string, links int) (string, error) {
	p = path.Clean("/" + p)
	cur := "/"
	rest := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i := 0; i < len(rest); i++ {
		name := rest[i]
		switch name {
		case "", ".":
			continue
		case "..":
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, name)
		info, err := f.fs.lstat(next)
		if err != nil {
			return "", err
		}
		if info.Mode&fs.ModeSymlink == 0 {
			if i < len(rest)-1 && !info.Mode.IsDir() {
				return "", &fs.PathError{Op: "resolve", Path: next, Err: errors.New("not a directory")}
			}
			cur = next
			continue
		}
		if links++; links > maxLinks {
			return "", &fs.PathError{Op: "resolve", Path: p, Err: errors.New("too many levels of symbolic links")}
		}
		target, err := f.fs.readlink(next)
		if err != nil {
			return "", err
		}
		if !strings.HasPrefix(target, "/") {
			target = path.Join(cur, target)
		}
		r, err := f.resolve(target, links)
		if err != nil {
			return "", err
		}
		cur = r
	}
	return cur, nil
}

// recoverInto turns a panic of a filesystem library on corrupt data into an error.
func recoverInto(err *error, what string) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%s: the filesystem is corrupt (reader panicked: %v)", what, r)
	}
}
