package build

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/imagegrid/imagegrid/internal/imagebuilder"
	"github.com/imagegrid/imagegrid/internal/limits"
	"github.com/imagegrid/imagegrid/internal/record"
)

// workspace is one cell's private directory under the work dir:
//
//	<work>/<cell id>/
//	  vars/          var files passed to Image Builder, in PACKER_VAR_FILES order
//	  tkg-config/    the TKr's TKG configuration (TKG cells)
//	  roles/         the grid's roles, NN-<name>
//	  capi/          files the docker executor mounts at their path under images/capi
//	  image-builder/ the make executor's private copy of the checkout (Windows cells)
//	  output/        packer output_dir and manifest_output
//	  packer-cache/  PACKER_CACHE_DIR
//	  build.log      the Image Builder log of every attempt
//	  build-record.json
//
// Everything build creates, writes and removes in it goes through an os.Root, and a
// workspace that holds a symbolic link anywhere is refused: whoever could write the work dir
// (a build container, an earlier job) cannot make build write or delete outside it.
type workspace struct {
	dir  string
	root *os.Root
	lock *os.File
}

// Entries of a workspace, relative to its directory.
const (
	varsDir   = "vars"
	outputDir = "output"
	cacheDir  = "packer-cache"
	logName   = "build.log"
	// capiDir holds the files Image Builder reads at a fixed path of images/capi (the
	// docker executor mounts each there); imageBuilderDir the make executor's private copy
	// of the checkout for a cell that needs such a file.
	capiDir         = "capi"
	imageBuilderDir = "image-builder"
	lockFile        = ".lock"
)

func newWorkspace(workDir string, c record.Cell) (*workspace, error) {
	if err := c.CheckID(); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(filepath.Join(workDir, c.ID))
	if err != nil {
		return nil, fmt.Errorf("work dir: %w", err)
	}
	return &workspace{dir: abs}, nil
}

func (w *workspace) vars() string         { return filepath.Join(w.dir, varsDir) }
func (w *workspace) output() string       { return filepath.Join(w.dir, outputDir) }
func (w *workspace) cache() string        { return filepath.Join(w.dir, cacheDir) }
func (w *workspace) logPath() string      { return filepath.Join(w.dir, logName) }
func (w *workspace) ovaManifest() string  { return filepath.Join(w.output(), "packer-manifest.json") }
func (w *workspace) tkgConfig() string    { return filepath.Join(w.dir, "tkg-config") }
func (w *workspace) imageBuilder() string { return filepath.Join(w.dir, imageBuilderDir) }
func (w *workspace) role(i int, cellPath string) string {
	return filepath.Join(w.dir, "roles", roleDirName(i, cellPath))
}
func (w *workspace) manifestOutput() string {
	return filepath.Join(w.output(), "manifest.json")
}

// open creates the workspace and takes its lock, so that two processes never build the same
// cell in the same work dir at once. The lock goes with the process. shared makes the
// directories Image Builder writes world-writable: its container runs as its own user.
func (w *workspace) open(shared bool) error {
	parent, name := filepath.Dir(w.dir), filepath.Base(w.dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	work, err := os.OpenRoot(parent)
	if err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	defer work.Close()
	if err := work.Mkdir(name, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("workspace: %w", err)
	}
	if info, err := work.Lstat(name); err != nil {
		return fmt.Errorf("workspace: %w", err)
	} else if !info.IsDir() {
		return fmt.Errorf("workspace %s is a %s; want a directory (build follows no link in a work dir): remove it and build again", w.dir, kind(info.Mode()))
	}
	if w.root, err = work.OpenRoot(name); err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	if err := w.create(shared); err != nil {
		w.root.Close()
		w.root = nil
		return err
	}
	return nil
}

func (w *workspace) create(shared bool) error {
	if err := w.refuseLinks(); err != nil {
		return err
	}
	for _, d := range []string{varsDir, outputDir, cacheDir} {
		if err := w.root.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("workspace: %w", err)
		}
		if shared && d != varsDir {
			if err := w.root.Chmod(d, 0o777); err != nil {
				return fmt.Errorf("workspace: %w", err)
			}
		}
	}
	f, err := w.root.OpenFile(lockFile, os.O_CREATE|os.O_RDWR|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return fmt.Errorf("workspace %s is in use by another build of the same cell: %w", w.dir, err)
	}
	w.lock = f
	return nil
}

// refuseLinks walks the whole workspace without following links and refuses any entry that
// is not a directory or a regular file, naming it.
func (w *workspace) refuseLinks() error {
	return fs.WalkDir(w.root.FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("workspace %s: %w", w.dir, err)
		}
		if t := d.Type(); !t.IsDir() && !t.IsRegular() {
			return fmt.Errorf("workspace %s: %s is a %s; a workspace holds only directories and regular files (build follows no link in it): remove it and build again", w.dir, name, kind(t))
		}
		return nil
	})
}

// kind names a file type for messages.
func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m.IsDir():
		return "directory"
	case m.IsRegular():
		return "regular file"
	}
	return "special file (" + m.Type().String() + ")"
}

// rel is path (inside the workspace) relative to the workspace directory.
func (w *workspace) rel(path string) (string, error) {
	rel, err := filepath.Rel(w.dir, path)
	if err != nil || !filepath.IsLocal(rel) {
		return "", fmt.Errorf("workspace %s: %s is not inside it", w.dir, path)
	}
	return rel, nil
}

// openLog opens build.log for appending.
func (w *workspace) openLog() (*os.File, error) {
	return w.root.OpenFile(logName, os.O_CREATE|os.O_WRONLY|os.O_APPEND|syscall.O_NOFOLLOW, 0o644)
}

func (w *workspace) close() {
	if w.lock != nil {
		w.lock.Close()
	}
	if w.root != nil {
		w.root.Close()
	}
}

// clean removes everything an earlier attempt or build left in the output dir, packer
// manifests included: packer appends to a manifest, and Image Builder's hack/image-build-ova.py
// reads its builds[0], so a manifest left behind would stamp that run's values into the OVF.
// It refuses a workspace where links appeared, so it never empties a directory outside it.
func (w *workspace) clean() error {
	if err := w.refuseLinks(); err != nil {
		return fmt.Errorf("clean workspace: %w", err)
	}
	entries, err := fs.ReadDir(w.root.FS(), outputDir)
	if err != nil {
		return fmt.Errorf("clean workspace: %w", err)
	}
	for _, e := range entries {
		if err := w.root.RemoveAll(filepath.Join(outputDir, e.Name())); err != nil {
			return fmt.Errorf("clean workspace: %w", err)
		}
	}
	return nil
}

// file is a file the build writes into its workspace.
type file struct {
	path string
	data []byte
	// secret files are written 0600, not shown by --dry-run and removed after the build.
	secret bool
	// source is the user file this one copies, "" for files imagegrid generates.
	source string
	// rewritten files are written in place by Image Builder (the Windows answer file):
	// 0666 when shared with its container, which runs as its own user.
	rewritten bool
}

func jsonFile(path string, v any, secret bool) (file, error) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return file{}, fmt.Errorf("encode %s: %w", path, err)
	}
	return file{path: path, data: append(data, '\n'), secret: secret}, nil
}

// write writes f into the workspace; secret files are 0600 unless shared (the Image Builder
// container runs as another user and must read them; they are removed after the build
// either way).
func (w *workspace) write(f file, shared bool) error {
	mode := os.FileMode(0o644)
	switch {
	case f.secret && !shared:
		mode = 0o600
	case f.rewritten && shared:
		mode = 0o666
	}
	rel, err := w.rel(f.path)
	if err != nil {
		return err
	}
	if err := w.root.MkdirAll(filepath.Dir(rel), 0o755); err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	out, err := w.root.OpenFile(rel, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|syscall.O_NOFOLLOW, mode)
	if err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	_, err = out.Write(f.data)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil && mode == 0o666 {
		err = w.root.Chmod(rel, mode) // past the umask
	}
	if err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	return nil
}

// userVarFile is a cell's var file, read and checked against the digest in the cell.
type userVarFile struct {
	path string
	data []byte
	vars map[string]any
}

// readVarFiles reads the cell's var files (relative to root) and refuses any that leaves
// root (by its path or through a link), whose bytes changed since matrix recorded their
// digest, that is not a JSON object, or that sets a variable build owns.
func readVarFiles(c record.Cell, root string) ([]userVarFile, error) {
	if len(c.VarFiles) == 0 {
		return nil, nil
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("cell %s: var files: %w", c.ID, err)
	}
	defer r.Close()
	var files []userVarFile
	for i, vf := range c.VarFiles {
		data, p, err := readRecorded(c, r, root, vf, fmt.Sprintf("varFiles[%d]", i), "var file", limits.VarFile)
		if err != nil {
			return nil, err
		}
		var vars map[string]any
		if err := json.Unmarshal(data, &vars); err != nil {
			return nil, fmt.Errorf("cell %s: var file %s: want a JSON object of packer variables: %w", c.ID, p, err)
		}
		if err := imagebuilder.CheckVars(c, vars, "var file "+p, func(name string) int { return lineOf(data, name) }); err != nil {
			return nil, fmt.Errorf("cell %s: %w", c.ID, err)
		}
		files = append(files, userVarFile{path: p, data: data, vars: vars})
	}
	return files, nil
}

// readRecorded reads the file of the user's repository that f names, relative to root (r
// is root's os.Root: neither its path nor a link leads outside), and refuses it when its
// bytes changed since matrix recorded their digest. field and what name it in messages
// ("varFiles[0]" and "var file"); it returns the bytes and the file's path.
func readRecorded(c record.Cell, r *os.Root, root string, f record.VarFile, field, what string, l limits.Limit) ([]byte, string, error) {
	name := filepath.FromSlash(f.Path)
	if f.Path == "" || !filepath.IsLocal(name) {
		return nil, "", fmt.Errorf("cell %s: %s.path %q: want a path relative to the directory matrix ran in, inside it", c.ID, field, f.Path)
	}
	p := filepath.Join(root, name)
	data, err := l.ReadFS(r.FS(), filepath.ToSlash(name), p)
	if err != nil {
		return nil, "", fmt.Errorf("cell %s: %s: %w", c.ID, what, err)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != strings.ToLower(f.SHA256) {
		return nil, "", fmt.Errorf("cell %s: %s %s changed since the cell was made: sha256 is %s, the cell says %s; run matrix again", c.ID, what, p, got, f.SHA256)
	}
	return data, p, nil
}

// lineOf is the 1-based line of the first "key" in a JSON file, 0 if not found.
func lineOf(data []byte, key string) int {
	i := bytes.Index(data, []byte(`"`+key+`"`))
	if i < 0 {
		return 0
	}
	return bytes.Count(data[:i], []byte("\n")) + 1
}

// mergeVars merges var files in order, later ones winning, as packer does.
func mergeVars(files []userVarFile) map[string]any {
	merged := map[string]any{}
	for _, f := range files {
		for k, v := range f.vars {
			merged[k] = v
		}
	}
	return merged
}

// removeSecrets deletes the secret files of the build.
func (w *workspace) removeSecrets(files []file) error {
	var errs []error
	for _, f := range files {
		if !f.secret {
			continue
		}
		rel, err := w.rel(f.path)
		if err == nil {
			err = w.root.Remove(rel)
		}
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
