package publish

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/testutil/fuzzseed"
)

// FuzzFindRecords puts arbitrary bytes in a records folder as a build record: FindRecords may
// refuse them, never panic, and every refusal names the file; a record it accepts carries its
// cell's build key and an OVA path inside the folder.
func FuzzFindRecords(f *testing.F) {
	fuzzseed.Add(f, "testdata/*/*/*.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		name := filepath.Join(dir, "cell", "build-record.json")
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
		jobs, err := FindRecords(dir)
		if err != nil {
			if !strings.Contains(err.Error(), name) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, j := range jobs {
			if j.Record.BuildKey != j.Record.Cell.BuildKey {
				t.Fatalf("accepted a record whose buildKey is not its cell's: %+v", j.Record)
			}
			if ova := j.Record.Artifacts.OVA; ova != nil && (!filepath.IsLocal(ova.Path) || strings.Contains(ova.Path, "..")) {
				t.Fatalf("accepted an OVA path leaving the folder: %q", ova.Path)
			}
		}
	})
}
