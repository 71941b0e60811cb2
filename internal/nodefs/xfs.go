package nodefs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"reflect"
	"sort"

	"github.com/masahiro331/go-xfs-filesystem/xfs"
)

// newXFS reads XFS (the RHEL family's root: autopart --nolvm) with go-xfs-filesystem. As
// for ext4, the library parses every inode of a listing but keeps it unexported: the
// extent records (xfs.BmbtRec, exported) of regular files and the target of local-format
// symbolic links are read from it.
func newXFS(r *io.SectionReader) (filesystem, error) {
	lib, err := xfs.NewFS(*r, newInodeCache())
	if err != nil {
		return nil, fmt.Errorf("xfs: %w", err)
	}
	sb := lib.PrimaryAG.SuperBlock
	bs := int64(sb.BlockSize)
	if bs < 512 || bs > 65536 {
		return nil, fmt.Errorf("xfs: block size %d is out of range", bs)
	}
	l := &libFS{list: func(p string) ([]fs.DirEntry, error) { return lib.ReadDir(p) }}
	l.open = func(p string, fi fs.FileInfo) (File, error) {
		in, err := unexported[xfs.Inode](fi, "inode")
		if err == nil && in == nil {
			err = errors.New("no inode")
		}
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: p, Err: err}
		}
		recs, err := xfsExtents(in)
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: p, Err: err}
		}
		f := &blockFile{r: r, blockSize: bs, size: fi.Size()}
		for _, rec := range recs {
			x := rec.Unpack()
			f.runs = append(f.runs, run{logical: int64(x.StartOff), physical: sb.BlockToPhysicalOffset(x.StartBlock), blocks: int64(x.BlockCount)})
		}
		sort.Slice(f.runs, func(i, j int) bool { return f.runs[i].logical < f.runs[j].logical })
		return f, nil
	}
	l.readlink = func(p string, fi fs.FileInfo) (string, error) {
		in, err := unexported[xfs.Inode](fi, "inode")
		if err == nil && in == nil {
			err = errors.New("no inode")
		}
		if err != nil {
			return "", &fs.PathError{Op: "readlink", Path: p, Err: err}
		}
		link, err := field[xfs.SymlinkString](in, "symlinkString")
		if err != nil || link == nil {
			// Targets too long for the inode (extent-format links) are not parsed by the
			// library.
			return "", &fs.PathError{Op: "readlink", Path: p, Err: errors.New("xfs: only links stored in the inode are read")}
		}
		return link.Name, nil
	}
	return libFSAdapter{l}, nil
}

// xfsExtents returns the extent records of a regular file's inode (extent list or B+tree).
func xfsExtents(in *xfs.Inode) ([]xfs.BmbtRec, error) {
	for _, name := range []string{"regularExtent", "regularBtree"} {
		v := reflect.ValueOf(in).Elem().FieldByName(name)
		if !v.IsValid() || v.Kind() != reflect.Pointer {
			return nil, fmt.Errorf("xfs: inode has no %s (library version changed?)", name)
		}
		if v.IsNil() {
			continue
		}
		recs := v.Elem().FieldByName("bmbtRecs")
		if !recs.IsValid() || recs.Type() != reflect.TypeFor[[]xfs.BmbtRec]() {
			return nil, errors.New("xfs: extent list has no bmbtRecs (library version changed?)")
		}
		out := make([]xfs.BmbtRec, recs.Len())
		for i := range out {
			out[i] = xfs.BmbtRec{L0: recs.Index(i).Field(0).Uint(), L1: recs.Index(i).Field(1).Uint()}
		}
		return out, nil
	}
	return nil, errors.New("xfs: not a regular file with extents")
}

// field returns the pointer in the unexported field name of *in, as a *T.
func field[T any](in *xfs.Inode, name string) (*T, error) {
	v := reflect.ValueOf(in).Elem().FieldByName(name)
	if !v.IsValid() || v.Kind() != reflect.Pointer || v.Type().Elem() != reflect.TypeFor[T]() {
		return nil, fmt.Errorf("xfs: inode has no %s (library version changed?)", name)
	}
	if v.IsNil() {
		return nil, nil
	}
	return (*T)(v.UnsafePointer()), nil
}
