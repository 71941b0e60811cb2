// Package changeset is what one step hands the next when it changes files: the changes
// (path, new content or deletion, mode) and the one atomic writer that puts them in a
// directory. The catalog produces changes, GitHub commits them, local mode and the record
// writer write them here.
package changeset

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Change is one file a change set writes or deletes.
type Change struct {
	// Path is slash-separated and relative to the directory the change set applies to.
	Path string
	// Data is the new content; nil when the file is deleted.
	Data []byte
	Mode fs.FileMode
}

// WriteDir writes changes under dir: every new content goes to a temporary file next to its
// target first (synced), and only when all are written are they renamed into place (each
// with its Mode), so a failure leaves dir as it was. Everything goes through an os.Root on
// dir: a link that leaves it is not followed, and a target that is a link is refused rather
// than replaced.
func WriteDir(dir string, changes []Change) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("write %s: %w", dir, err)
	}
	defer root.Close()
	type pending struct{ tmp, target string }
	var done []pending
	cleanup := func() {
		for _, p := range done {
			root.Remove(p.tmp)
		}
	}
	for _, ch := range changes {
		if ch.Data == nil {
			continue
		}
		target := filepath.FromSlash(ch.Path)
		tmp, err := writeTemp(root, target, ch.Data, ch.Mode)
		if err != nil {
			cleanup()
			return fmt.Errorf("write %s: %w", filepath.Join(dir, target), err)
		}
		done = append(done, pending{tmp, target})
	}
	for _, p := range done {
		if err := root.Rename(p.tmp, p.target); err != nil {
			cleanup()
			return fmt.Errorf("write %s: %w", filepath.Join(dir, p.target), err)
		}
	}
	for _, ch := range changes {
		if ch.Data == nil {
			if err := root.Remove(filepath.FromSlash(ch.Path)); err != nil && !os.IsNotExist(err) {
				return fmt.Errorf("delete %s: %w", ch.Path, err)
			}
		}
	}
	return nil
}

// writeTemp writes data with mode to a new temporary file next to target (both relative to
// root) and returns its name; an existing target must be a regular file.
func writeTemp(root *os.Root, target string, data []byte, mode fs.FileMode) (string, error) {
	if info, err := root.Lstat(target); err == nil && !info.Mode().IsRegular() {
		return "", NotRegular(filepath.ToSlash(target), info.Mode(), "writes")
	}
	if err := root.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return "", err
	}
	var suffix [8]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		return "", err
	}
	tmp := filepath.Join(filepath.Dir(target), "."+filepath.Base(target)+"."+hex.EncodeToString(suffix[:]))
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = root.Chmod(tmp, mode.Perm())
	}
	if err != nil {
		root.Remove(tmp)
		return "", err
	}
	return tmp, nil
}

// NotRegular refuses the file p of the given mode, a link or not a file, that imagegrid
// would read or write through: replacing a link with a regular file would change what it
// meant, and following it would reach outside the tree. doing says what imagegrid does with
// the file ("edits the catalog", "writes").
func NotRegular(p string, mode fs.FileMode, doing string) error {
	what := "not a regular file"
	if mode&fs.ModeSymlink != 0 {
		what = "a symbolic link"
	}
	return fmt.Errorf("%s is %s: imagegrid %s through no link; replace it with the file itself", p, what, doing)
}
