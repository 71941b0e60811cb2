// Package tree hashes and copies folders of a user's repository that a build hands to Image
// Builder whole: a TKr's TKG Image Builder configuration and Ansible roles. The digest covers
// every file's relative path, executable bit and bytes, so it changes exactly when what
// Image Builder would read changes, and a folder moved elsewhere keeps its digest.
package tree

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Resolve is the folder rel of root, refused when it is not inside root: rel must be a local
// path ("..", absolute paths refused) and no link on the way may lead out of root. Inside the
// folder, Digest and Copy refuse links themselves.
func Resolve(root, rel string) (string, error) {
	if !filepath.IsLocal(rel) {
		return "", fmt.Errorf("%s leaves %s: want a path inside it (no \"..\", not absolute)", rel, root)
	}
	dir := filepath.Join(root, rel)
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", err
	}
	if inside, err := filepath.Rel(realRoot, real); err != nil || !filepath.IsLocal(inside) {
		return "", fmt.Errorf("%s is a link to %s, outside %s", dir, real, root)
	}
	return dir, nil
}

// Digest is the sha256 (hex) of the folder dir: for each entry in lexical order its
// slash-separated relative path, its kind (folder, file, executable file) and a file's bytes.
// Symbolic links and other special files are refused: a copy could not reproduce them.
func Digest(dir string) (string, error) {
	h := sha256.New()
	err := walk(dir, func(rel string, d fs.DirEntry, mode fs.FileMode) error {
		if d.IsDir() {
			fmt.Fprintf(h, "d %s\x00", rel)
			return nil
		}
		kind := "f"
		if mode&0o111 != 0 {
			kind = "x"
		}
		f, err := os.Open(filepath.Join(dir, rel))
		if err != nil {
			return err
		}
		defer f.Close()
		info, err := f.Stat()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %s %d\x00", kind, rel, info.Size())
		_, err = io.Copy(h, f)
		return err
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Copy replaces the folder name of root with a copy of the folder src: folders 0755, files
// 0644 or 0755 when executable, so that Image Builder's container, which runs as its own user,
// can read them. Everything is written through root, so no link inside it leads the copy
// outside.
func Copy(src string, root *os.Root, name string) error {
	if err := root.RemoveAll(name); err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err := root.MkdirAll(name, 0o755); err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return walk(src, func(rel string, d fs.DirEntry, mode fs.FileMode) error {
		to := filepath.Join(name, filepath.FromSlash(rel))
		if d.IsDir() {
			return root.Mkdir(to, 0o755)
		}
		perm := fs.FileMode(0o644)
		if mode&0o111 != 0 {
			perm = 0o755
		}
		return copyFile(filepath.Join(src, filepath.FromSlash(rel)), root, to, perm)
	})
}

func copyFile(from string, root *os.Root, to string, perm fs.FileMode) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := root.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// walk calls fn for every entry under dir (not dir itself) in lexical order, with its
// slash-separated relative path, and refuses anything but folders and regular files.
func walk(dir string, fn func(rel string, d fs.DirEntry, mode fs.FileMode) error) error {
	info, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return fmt.Errorf("%s is not a folder", dir)
	}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if !d.IsDir() && !info.Mode().IsRegular() {
			return fmt.Errorf("%s: only folders and regular files can be handed to Image Builder, not %s", p, info.Mode().Type())
		}
		return fn(filepath.ToSlash(rel), d, info.Mode())
	})
}
