package changeset

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/testutil/testfs"
)

// TestWriteDirFollowsNoLink writes changes where a link stands at the target or on the way
// to it: WriteDir refuses, writes nothing outside dir and leaves the link as it was.
func TestWriteDirFollowsNoLink(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		path  string // of the change
		plant func(t *testing.T, dir, outside string)
		want  string
	}{
		{
			name: "target is a link out",
			path: "config/TanzuKubernetesRelease.yml",
			plant: func(t *testing.T, dir, outside string) {
				testfs.Symlink(t, filepath.Join(outside, "victim.yml"), filepath.Join(dir, "config", "TanzuKubernetesRelease.yml"))
			},
			want: "config/TanzuKubernetesRelease.yml is a symbolic link",
		},
		{
			name: "folder is a link out",
			path: "config/OSImage-new.yml",
			plant: func(t *testing.T, dir, outside string) {
				testfs.Symlink(t, outside, filepath.Join(dir, "config"))
			},
			want: "path escapes from parent",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir, outside := t.TempDir(), t.TempDir()
			victim := filepath.Join(outside, "victim.yml")
			if err := os.WriteFile(victim, []byte("keep: me\n"), 0o640); err != nil {
				t.Fatal(err)
			}
			tt.plant(t, dir, outside)
			err := WriteDir(dir, []Change{{Path: tt.path, Data: []byte("kind: OSImage\n"), Mode: 0o644}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("WriteDir: %v; want an error containing %q", err, tt.want)
			}
			entries, _ := os.ReadDir(outside)
			if data, _ := os.ReadFile(victim); len(entries) != 1 || string(data) != "keep: me\n" {
				t.Errorf("outside dir: %d entries, victim.yml %q", len(entries), data)
			}
		})
	}
}

// TestWriteDirAllOrNothing gives WriteDir a change set whose last file cannot be written (a
// link stands at its target): no file of the set is written, no temporary file is left, and
// the deletion in it is not made.
func TestWriteDirAllOrNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, data := range map[string]string{"a.yml": "a: old\n", "gone.yml": "x: 1\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	testfs.Symlink(t, filepath.Join(dir, "a.yml"), filepath.Join(dir, "sub", "link.yml"))
	changes := []Change{
		{Path: "a.yml", Data: []byte("a: new\n"), Mode: 0o644},
		{Path: "new/b.yml", Data: []byte("b: 1\n"), Mode: 0o644},
		{Path: "gone.yml"},
		{Path: "sub/link.yml", Data: []byte("c: 1\n"), Mode: 0o644},
	}
	err := WriteDir(dir, changes)
	if err == nil || !strings.Contains(err.Error(), "sub/link.yml is a symbolic link: imagegrid writes through no link") {
		t.Fatalf("WriteDir: %v; want the link refused", err)
	}
	var got []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			data, _ := os.ReadFile(p)
			got = append(got, filepath.ToSlash(rel)+"="+string(data))
		}
		return err
	})
	want := []string{"a.yml=a: old\n", "gone.yml=x: 1\n", "sub/link.yml=a: old\n"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("after a failed write the directory holds %q, want %q", got, want)
	}
}

// TestWriteDir writes, replaces and deletes files, with their modes.
func TestWriteDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "gone.yml"), []byte("x: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "run.sh"), []byte("old\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	changes := []Change{
		{Path: "run.sh", Data: []byte("new\n"), Mode: 0o755},
		{Path: "deep/er/b.json", Data: []byte("{}\n"), Mode: 0o600},
		{Path: "gone.yml"},
		{Path: "never-was.yml"},
	}
	if err := WriteDir(dir, changes); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data string
		mode os.FileMode
	}{{"run.sh", "new\n", 0o755}, {"deep/er/b.json", "{}\n", 0o600}} {
		p := filepath.Join(dir, filepath.FromSlash(tc.name))
		info, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		if data, _ := os.ReadFile(p); string(data) != tc.data || info.Mode() != tc.mode {
			t.Errorf("%s: %q mode %v, want %q mode %v", tc.name, data, info.Mode(), tc.data, tc.mode)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, "gone.yml")); !os.IsNotExist(err) {
		t.Errorf("gone.yml was not deleted: %v", err)
	}
}
