package build

import (
	"cmp"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/syncbuf"
)

// TestWorkspaceLinksAreRefused plants a symbolic link to a place outside the work dir at each
// entry of a cell's workspace: build must refuse the workspace, naming the entry, and leave
// what the link points at exactly as it was.
func TestWorkspaceLinksAreRefused(t *testing.T) {
	t.Parallel()
	c := awsCell()
	tests := []struct {
		entry string // relative to the workspace; "" is the workspace itself
		dir   bool   // the link points at a directory (else at a file)
		want  string
	}{
		{entry: "", dir: true, want: "is a symbolic link; want a directory"},
		{entry: "output", dir: true, want: "output is a symbolic link"},
		{entry: "vars", dir: true, want: "vars is a symbolic link"},
		{entry: "packer-cache", dir: true, want: "packer-cache is a symbolic link"},
		{entry: "build.log", want: "build.log is a symbolic link"},
		{entry: ".lock", want: ".lock is a symbolic link"},
		{entry: "build-record.json", want: "build-record.json is a symbolic link"},
		{entry: "vars/imagegrid.json", want: "vars/imagegrid.json is a symbolic link"},
		{entry: "output/manifest.json", want: "output/manifest.json is a symbolic link"},
		{entry: "packer-cache/iso", dir: true, want: "packer-cache/iso is a symbolic link"},
	}
	for _, tt := range tests {
		t.Run(cmp.Or(tt.entry, "the workspace itself"), func(t *testing.T) {
			t.Parallel()
			outside := t.TempDir()
			precious := filepath.Join(outside, "precious")
			if err := os.WriteFile(precious, []byte("keep me\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			target := precious
			if tt.dir {
				target = outside
			}
			o := linkOptions(t, func(context.Context, Command, io.Writer) error {
				t.Error("Image Builder ran in a workspace holding a link")
				return nil
			})
			ws := filepath.Join(o.WorkDir, c.ID)
			link := filepath.Join(ws, filepath.FromSlash(tt.entry))
			if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
				t.Fatal(err)
			}
			if tt.entry == "" {
				if err := os.Remove(ws); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Symlink(target, link); err != nil {
				t.Fatal(err)
			}
			_, err := Build(context.Background(), c, o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Build with a link at %q: error %v; want one containing %q", tt.entry, err, tt.want)
			}
			assertUntouched(t, outside)
		})
	}
}

// TestLinksMadeDuringTheBuildAreNotFollowed has Image Builder (a compromised container)
// replace output/ with a link to a folder outside, or drop a link into it, then fail: the
// cleanup that empties output/ must not reach through the link.
func TestLinksMadeDuringTheBuildAreNotFollowed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		plant func(ws, outside string) error
	}{
		{"output replaced by a link", func(ws, outside string) error {
			out := filepath.Join(ws, "output")
			if err := os.RemoveAll(out); err != nil {
				return err
			}
			return os.Symlink(outside, out)
		}},
		{"link inside output", func(ws, outside string) error {
			return os.Symlink(outside, filepath.Join(ws, "output", "disk"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := awsCell()
			outside := t.TempDir()
			if err := os.WriteFile(filepath.Join(outside, "precious"), []byte("keep me\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			var o Options
			o = linkOptions(t, func(context.Context, Command, io.Writer) error {
				if err := tt.plant(filepath.Join(o.WorkDir, c.ID), outside); err != nil {
					t.Fatal(err)
				}
				return &ExitError{Command: "make", Code: 2}
			})
			_, err := Build(context.Background(), c, o)
			if err == nil {
				t.Fatal("Build succeeded; want the failure Image Builder reported")
			}
			mustContain(t, "console", o.Console.(*syncbuf.Buffer).String(), "is a symbolic link")
			assertUntouched(t, outside)
		})
	}
}

// linkOptions builds c with the make executor whose Image Builder is run.
func linkOptions(t *testing.T, run Exec) Options {
	o := makeOptions(t)
	o.Retries = 0
	o.Exec = run
	if err := os.MkdirAll(filepath.Join(o.WorkDir, awsCell().ID), 0o755); err != nil {
		t.Fatal(err)
	}
	return o
}

// assertUntouched checks that dir still holds exactly its file "precious", unchanged.
func assertUntouched(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "precious" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("the folder outside the workspace now holds %v; want only precious", names)
	}
	data, err := os.ReadFile(filepath.Join(dir, "precious"))
	if err != nil || string(data) != "keep me\n" {
		t.Errorf("the file outside the workspace was changed: %q, %v", data, err)
	}
}
