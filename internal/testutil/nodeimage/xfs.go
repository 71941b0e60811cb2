package nodeimage

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// mkfsXFS makes an XFS filesystem populated from tree with mkfs.xfs -p (a protofile, see
// mkfs.xfs(8); no root needed) in a file of its own, then copies it into the partition at
// start (mkfs.xfs cannot write at an offset), skipping the zero blocks so the disk stays
// sparse.
func mkfsXFS(tree, path string, start, length int64) error {
	mkfs, err := exec.LookPath("mkfs.xfs")
	if err != nil {
		return fmt.Errorf("mkfs.xfs is missing: install it (Debian: apt-get install xfsprogs): %w", err)
	}
	proto, err := protofile(tree)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	protoPath := filepath.Join(dir, ".proto-"+filepath.Base(path))
	img := filepath.Join(dir, ".xfs-"+filepath.Base(path))
	defer os.Remove(protoPath)
	defer os.Remove(img)
	if err := os.WriteFile(protoPath, []byte(proto), 0o644); err != nil {
		return err
	}
	f, err := os.Create(img)
	if err != nil {
		return err
	}
	if err := f.Truncate(length); err != nil {
		f.Close()
		return err
	}
	f.Close()
	if out, err := exec.Command(mkfs, "-q", "-f", "-L", "root", "-p", protoPath, img).CombinedOutput(); err != nil {
		return fmt.Errorf("mkfs.xfs: %w: %s", err, out)
	}
	return copySparse(img, path, start)
}

// protofile describes tree in mkfs.xfs's prototype format: a boot-image line, a blocks and
// inodes line, then for every entry "name mode uid gid [source|target]" with directories
// closed by "$".
func protofile(tree string) (string, error) {
	var b strings.Builder
	b.WriteString("/dev/null\n0 0\nd--755 0 0\n")
	var walk func(dir, indent string) error
	walk = func(dir, indent string) error {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
		for _, e := range entries {
			p := filepath.Join(dir, e.Name())
			info, err := os.Lstat(p)
			if err != nil {
				return err
			}
			perm := fmt.Sprintf("%03o", info.Mode().Perm())
			switch {
			case info.Mode()&fs.ModeSymlink != 0:
				target, err := os.Readlink(p)
				if err != nil {
					return err
				}
				fmt.Fprintf(&b, "%s%s l--777 0 0 %s\n", indent, e.Name(), target)
			case info.IsDir():
				fmt.Fprintf(&b, "%s%s d--%s 0 0\n", indent, e.Name(), perm)
				if err := walk(p, indent+" "); err != nil {
					return err
				}
				fmt.Fprintf(&b, "%s$\n", indent)
			default:
				fmt.Fprintf(&b, "%s%s ---%s 0 0 %s\n", indent, e.Name(), perm, p)
			}
		}
		return nil
	}
	if err := walk(tree, " "); err != nil {
		return "", err
	}
	b.WriteString("$\n")
	return b.String(), nil
}

// copySparse copies src into dst at off, writing only the MiB chunks that are not zero.
func copySparse(src, dst string, off int64) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer out.Close()
	buf := make([]byte, 1<<20)
	zero := make([]byte, len(buf))
	for pos := int64(0); ; pos += int64(len(buf)) {
		n, err := io.ReadFull(in, buf)
		if n > 0 && !bytes.Equal(buf[:n], zero[:n]) {
			if _, werr := out.WriteAt(buf[:n], off+pos); werr != nil {
				return werr
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return out.Close()
		}
		if err != nil {
			return err
		}
	}
}
