package grid

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/limits"
)

// TestVarFileLinkLeavingTheFolder declares a var file that is a link to a file outside the
// grid's folder: matrix refuses it where it is declared, without reading it.
func TestVarFileLinkLeavingTheFolder(t *testing.T) {
	t.Parallel()
	outside := filepath.Join(t.TempDir(), "secrets.json")
	if err := os.WriteFile(outside, []byte(`{"ssh_password": "hunter2"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "site.json")); err != nil {
		t.Fatal(err)
	}
	grid := filepath.Join(dir, "grid.yaml")
	writeGrid(t, grid, "settings:\n  - varFiles: [site.json]\n")
	_, err := Load(grid)
	want := `grid.yaml:16:16: settings.varFiles: var file "site.json" (relative to the declaring file's folder): open `
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "path escapes from parent") {
		t.Fatalf("Load: %v\nwant an error containing %q and that the path escapes", err, want)
	}
}

// TestRoleLinkLeavingTheFolder: a role folder that is a link to a folder outside the grid's
// is refused, even though the folder behind it is a valid role.
func TestRoleLinkLeavingTheFolder(t *testing.T) {
	t.Parallel()
	outside := t.TempDir()
	if err := os.MkdirAll(filepath.Join(outside, "tasks"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "tasks", "main.yml"), []byte("- name: a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "role")); err != nil {
		t.Fatal(err)
	}
	grid := filepath.Join(dir, "grid.yaml")
	writeGrid(t, grid, "settings:\n  - roles: [role]\n")
	_, err := Load(grid)
	if err == nil || !strings.Contains(err.Error(), `settings.roles: folder "role": `) || !strings.Contains(err.Error(), "outside "+dir) {
		t.Fatalf("Load: %v\nwant the role refused as a link leading outside %s", err, dir)
	}
}

// TestGridSizeLimit feeds a declaration file past the documented limit: the error names the
// file and the limit, and the file is not read whole.
func TestGridSizeLimit(t *testing.T) {
	t.Parallel()
	grid := filepath.Join(t.TempDir(), "big.yaml")
	writeGrid(t, grid, "# "+strings.Repeat("x", 1<<20)+"\n")
	_, err := Load(grid)
	want := grid + " is larger than 1 MiB, the limit for a grid declaration file (see docs/security.md)"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Load: %v\nwant an error containing %q", err, want)
	}
}

// writeGrid writes a valid declaration of two AWS cells followed by extra.
func writeGrid(t *testing.T, name, extra string) {
	t.Helper()
	base, err := os.ReadFile("testdata/errors/missing-varfile.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(base), "\n")
	rest = rest[:strings.Index(rest, "settings:")]
	if err := os.WriteFile(name, []byte("# a grid\n"+rest+extra), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCellLimit declares more cells than the documented limit: the error names where the
// limit was passed, and the grid is not expanded.
func TestCellLimit(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("apiVersion: imagegrid.io/v1alpha1\nkind: Grid\nimageBuilders:\n  ib:\n")
	b.WriteString("    image: registry.k8s.io/scl-image-builder/cluster-node-image-builder-amd64:v0.1.55\n")
	b.WriteString("    targets: {aws: [ubuntu-2204, amazon-2, ubuntu-2204-arm64, amazon-2-arm64]}\nkubernetes:\n")
	releases := limits.Cells/4 + 10 // 4 cells each: just past the limit
	for i := range releases {
		fmt.Fprintf(&b, "  - version: v1.%d.%d\n", i/100, i%100)
	}
	b.WriteString("infrastructures:\n  aws: {os: [ubuntu-2204, amazon-2], arch: [amd64, arm64]}\n")
	grid := filepath.Join(t.TempDir(), "many.yaml")
	if err := os.WriteFile(grid, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(grid)
	want := fmt.Sprintf("many.yaml:%d:27: the grid declares more than %d cells (releases × OS × architectures, before exclude); at most %[2]d are accepted", 9+releases, limits.Cells)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Load: %v\nwant an error containing %q", err, want)
	}
}
