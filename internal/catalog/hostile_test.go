package catalog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/changeset"
)

const tkrFile = "v1.30.2---vmware.1-tkg.1/config/TanzuKubernetesRelease.yml"

// TestLoadRefusesLinks replaces a catalog file with a link, to another catalog file or to a
// file outside: Load refuses the catalog, naming the file, before anything is edited.
func TestLoadRefusesLinks(t *testing.T) {
	t.Parallel()
	outside := filepath.Join(t.TempDir(), "outside.yml")
	if err := os.WriteFile(outside, []byte("# not the catalog's\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file, target, want string
	}{
		{"link inside the catalog", tkrFile, "../../v1.29.6---vmware.1-tkg.2/config/TanzuKubernetesRelease.yml", tkrFile + " is a symbolic link: imagegrid edits the catalog through no link"},
		{"link outside the catalog", tkrFile, outside, tkrFile + " is a symbolic link"},
		{"ledger is a link", LedgerFile, outside, "images.json is a symbolic link"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := copyCatalog(t)
			p := filepath.Join(dir, filepath.FromSlash(tt.file))
			os.Remove(p)
			if err := os.Symlink(tt.target, p); err != nil {
				t.Fatal(err)
			}
			_, err := Load(os.DirFS(dir), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load: %v; want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestCatalogFileSizeLimit loads a catalog with a file past the documented limit.
func TestCatalogFileSizeLimit(t *testing.T) {
	t.Parallel()
	dir := copyCatalog(t)
	big := "# " + strings.Repeat("x", 4<<20) + "\n"
	if err := os.WriteFile(filepath.Join(dir, "big.yaml"), []byte(big), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(os.DirFS(dir), nil)
	want := "big.yaml is larger than 4 MiB, the limit for a catalog file (see docs/security.md)"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Load: %v; want an error containing %q", err, want)
	}
}

// TestWriteDirKeepsModes edits a catalog file of mode 0600 and adds a new one: the edited
// file keeps its mode, the new one is 0644, whatever the umask.
func TestWriteDirKeepsModes(t *testing.T) {
	t.Parallel()
	dir := copyCatalog(t)
	p := filepath.Join(dir, filepath.FromSlash(tkrFile))
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(os.DirFS(dir), nil)
	if err != nil {
		t.Fatal(err)
	}
	f := c.byPath[tkrFile]
	if err := c.update(f, append(f.Bytes(), []byte("# edited\n")...)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.newFile("v1.30.2---vmware.1-tkg.1/config/notes.yml", []byte("# new\n")); err != nil {
		t.Fatal(err)
	}
	changes, err := c.Changes()
	if err != nil {
		t.Fatal(err)
	}
	if err := changeset.WriteDir(dir, changes); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]os.FileMode{tkrFile: 0o600, "v1.30.2---vmware.1-tkg.1/config/notes.yml": 0o644} {
		info, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		if !info.Mode().IsRegular() || info.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want a regular file of mode %v", name, info.Mode(), want)
		}
	}
}
