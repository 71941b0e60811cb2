package tree

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDigest(t *testing.T) {
	t.Parallel()
	base := map[string]string{"tasks/main.yml": "- name: a\n", "files/x": "x"}
	digest := func(t *testing.T, files map[string]string, edit func(dir string)) string {
		t.Helper()
		dir := t.TempDir()
		write(t, dir, files)
		if edit != nil {
			edit(dir)
		}
		d, err := Digest(dir)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	same := digest(t, base, nil)
	if again := digest(t, base, nil); again != same {
		t.Errorf("the same files in another folder: digest %s, then %s", same, again)
	}
	for name, edit := range map[string]func(dir string){
		"a byte changed":       func(dir string) { write(t, dir, map[string]string{"files/x": "y"}) },
		"a file added":         func(dir string) { write(t, dir, map[string]string{"files/y": ""}) },
		"an empty folder":      func(dir string) { os.Mkdir(filepath.Join(dir, "handlers"), 0o755) },
		"a file made runnable": func(dir string) { os.Chmod(filepath.Join(dir, "files/x"), 0o755) },
		"a file renamed": func(dir string) {
			os.Rename(filepath.Join(dir, "files/x"), filepath.Join(dir, "files/z"))
		},
	} {
		if got := digest(t, base, edit); got == same {
			t.Errorf("%s: digest unchanged", name)
		}
	}
}

func TestDigestRefusesLinks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, map[string]string{"tasks/main.yml": ""})
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "tasks", "secret")); err != nil {
		t.Fatal(err)
	}
	if _, err := Digest(dir); err == nil || !strings.Contains(err.Error(), "tasks/secret") {
		t.Errorf("Digest of a folder with a link: %v", err)
	}
	if err := Copy(dir, openRoot(t, t.TempDir()), "copy"); err == nil {
		t.Error("Copy of a folder with a link succeeded")
	}
}

// TestCopyFollowsNoLinkOut: a link where the copy goes is replaced, never followed.
func TestCopyFollowsNoLinkOut(t *testing.T) {
	t.Parallel()
	src, ws, outside := t.TempDir(), t.TempDir(), t.TempDir()
	write(t, src, map[string]string{"tasks/main.yml": ""})
	write(t, outside, map[string]string{"keep": "outside the workspace"})
	if err := os.Symlink(outside, filepath.Join(ws, "copy")); err != nil {
		t.Fatal(err)
	}
	if err := Copy(src, openRoot(t, ws), "copy"); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(filepath.Join(outside, "keep")); err != nil || string(data) != "outside the workspace" {
		t.Errorf("the folder behind the link was touched: %q, %v", data, err)
	}
	if _, err := os.Stat(filepath.Join(outside, "tasks")); !os.IsNotExist(err) {
		t.Errorf("the copy went through the link: %v", err)
	}
	if info, err := os.Lstat(filepath.Join(ws, "copy")); err != nil || !info.IsDir() {
		t.Errorf("copy is not a folder in the workspace: %v, %v", info, err)
	}
}

func openRoot(t *testing.T, dir string) *os.Root {
	t.Helper()
	r, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestCopy(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	write(t, src, map[string]string{"tasks/main.yml": "- name: a\n", "files/run.sh": "#!/bin/sh\n"})
	if err := os.Chmod(filepath.Join(src, "files", "run.sh"), 0o700); err != nil {
		t.Fatal(err)
	}
	parent := t.TempDir()
	dst := filepath.Join(parent, "copy")
	write(t, dst, map[string]string{"stale": "from an earlier build"})
	if err := Copy(src, openRoot(t, parent), "copy"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dst, "stale")); !os.IsNotExist(err) {
		t.Errorf("a file of the earlier copy is still there: %v", err)
	}
	a, _ := Digest(src)
	b, _ := Digest(dst)
	if a != b {
		t.Errorf("copy digest %s, source %s", b, a)
	}
	info, err := os.Stat(filepath.Join(dst, "files", "run.sh"))
	if err != nil || info.Mode().Perm() != 0o755 {
		t.Errorf("runnable file copied as %v, %v; want 0755 (readable by Image Builder's user)", info.Mode(), err)
	}
}
