// Package golden compares large test outputs with files kept under testdata/, and rewrites
// those files when the tests run with -update (review the diff, then commit it).
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ with the current output")

// Check compares got with the file at path, after rewriting the file with got when -update is
// given. A difference is reported with the first line that differs.
func Check(t testing.TB, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	want := string(data)
	if got == want {
		return
	}
	gotLines, wantLines := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range min(len(gotLines), len(wantLines)) {
		if gotLines[i] != wantLines[i] {
			t.Errorf("output differs from %s at line %d (go test -update rewrites it; review the diff):\n got: %s\nwant: %s", path, i+1, gotLines[i], wantLines[i])
			return
		}
	}
	t.Errorf("output differs from %s in length: %d lines, want %d (go test -update rewrites it; review the diff)", path, len(gotLines), len(wantLines))
}
