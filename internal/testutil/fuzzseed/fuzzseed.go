// Package fuzzseed seeds fuzz targets with the fixture files of the repository.
package fuzzseed

import (
	"os"
	"path/filepath"
	"testing"
)

// Add adds every file matching the glob patterns to f's seed corpus, and fails when none
// matches: a fuzz target without its seeds would only try random bytes.
func Add(f *testing.F, patterns ...string) {
	f.Helper()
	n := 0
	for _, pattern := range patterns {
		names, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, name := range names {
			data, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
			n++
		}
	}
	if n == 0 {
		f.Fatalf("no seed file matches %q", patterns)
	}
}
