// Package testfs makes the files and links a test lays out in a temporary directory, failing
// the test on any error.
package testfs

import (
	"os"
	"path/filepath"
	"testing"
)

// Symlink makes name a symbolic link to target, creating the folders name is in.
func Symlink(t testing.TB, target, name string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, name); err != nil {
		t.Fatal(err)
	}
}
