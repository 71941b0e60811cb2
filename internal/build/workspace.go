package build

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"

	"github.com/imagegrid/imagegrid/internal/record"
)

// workspace is one cell's private directory under the work dir:
//
//	<work>/<cell id>/
//	  vars/          var files passed to Image Builder, in PACKER_VAR_FILES order
//	  tkg-config/    the TKr's TKG configuration (TKG cells)
//	  roles/         the grid's roles, NN-<name>
//	  output/        packer output_dir and manifest_output
//	  packer-cache/  PACKER_CACHE_DIR
//	  build.log      the Image Builder log of every attempt
//	  build-record.json
type workspace struct {
	dir  string
	lock *os.File
}

var cellIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

func newWorkspace(workDir, cellID string) (*workspace, error) {
	if !cellIDPattern.MatchString(cellID) {
		return nil, fmt.Errorf("cell id %q: want lower-case letters, digits, '.', '_' and '-'", cellID)
	}
	abs, err := filepath.Abs(filepath.Join(workDir, cellID))
	if err != nil {
		return nil, fmt.Errorf("work dir: %w", err)
	}
	return &workspace{dir: abs}, nil
}

func (w *workspace) vars() string        { return filepath.Join(w.dir, "vars") }
func (w *workspace) output() string      { return filepath.Join(w.dir, "output") }
func (w *workspace) cache() string       { return filepath.Join(w.dir, "packer-cache") }
func (w *workspace) logPath() string     { return filepath.Join(w.dir, "build.log") }
func (w *workspace) ovaManifest() string { return filepath.Join(w.output(), "packer-manifest.json") }
func (w *workspace) tkgConfig() string   { return filepath.Join(w.dir, "tkg-config") }
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
	for _, d := range []string{w.vars(), w.output(), w.cache()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("workspace: %w", err)
		}
		if shared && d != w.vars() {
			if err := os.Chmod(d, 0o777); err != nil {
				return fmt.Errorf("workspace: %w", err)
			}
		}
	}
	f, err := os.OpenFile(filepath.Join(w.dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
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

func (w *workspace) close() {
	if w.lock != nil {
		w.lock.Close()
	}
}

// clean removes everything an earlier attempt or build left in the output dir, packer
// manifests included: packer appends to a manifest, and Image Builder's hack/image-build-ova.py
// reads its builds[0], so a manifest left behind would stamp that run's values into the OVF.
func (w *workspace) clean() error {
	entries, err := os.ReadDir(w.output())
	if err != nil {
		return fmt.Errorf("clean workspace: %w", err)
	}
	for _, e := range entries {
		p := filepath.Join(w.output(), e.Name())
		if err := os.RemoveAll(p); err != nil {
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
	// source is the user var file this one copies, "" for files imagegrid generates.
	source string
}

func jsonFile(path string, v any, secret bool) (file, error) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return file{}, fmt.Errorf("encode %s: %w", path, err)
	}
	return file{path: path, data: append(data, '\n'), secret: secret}, nil
}

// write writes the file; secret files are 0600 unless shared (the Image Builder container
// runs as another user and must read them; they are removed after the build either way).
func (f file) write(shared bool) error {
	mode := os.FileMode(0o644)
	if f.secret && !shared {
		mode = 0o600
	}
	if err := os.WriteFile(f.path, f.data, mode); err != nil {
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

// readVarFiles reads the cell's var files (relative to root) and refuses any whose bytes
// changed since matrix recorded their digest, or that is not a JSON object.
func readVarFiles(c record.Cell, root string) ([]userVarFile, error) {
	var files []userVarFile
	for i, vf := range c.VarFiles {
		if vf.Path == "" || filepath.IsAbs(vf.Path) || strings.HasPrefix(filepath.Clean(filepath.FromSlash(vf.Path)), "..") {
			return nil, fmt.Errorf("cell %s: varFiles[%d].path %q: want a path relative to the directory matrix ran in", c.ID, i, vf.Path)
		}
		p := filepath.Join(root, filepath.FromSlash(vf.Path))
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("cell %s: var file: %w", c.ID, err)
		}
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); got != strings.ToLower(vf.SHA256) {
			return nil, fmt.Errorf("cell %s: var file %s changed since the cell was made: sha256 is %s, the cell says %s; run matrix again", c.ID, p, got, vf.SHA256)
		}
		var vars map[string]any
		if err := json.Unmarshal(data, &vars); err != nil {
			return nil, fmt.Errorf("cell %s: var file %s: want a JSON object of packer variables: %w", c.ID, p, err)
		}
		files = append(files, userVarFile{path: p, data: data, vars: vars})
	}
	return files, nil
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
func removeSecrets(files []file) error {
	var errs []error
	for _, f := range files {
		if f.secret {
			if err := os.Remove(f.path); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
