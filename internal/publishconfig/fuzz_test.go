package publishconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the publish configuration decoder: it may refuse them,
// never panic, and every refusal names the file.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.yaml")
	shipped, _ := filepath.Glob("../../cmd/publish/testdata/*.yaml")
	for _, name := range append(seeds, shipped...) {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.yaml", data)
		switch {
		case err != nil && !strings.HasPrefix(err.Error(), "fuzz.yaml"):
			t.Fatalf("error does not name the file: %v", err)
		case err == nil && cfg.VSphere == nil && cfg.AWS == nil:
			t.Fatalf("accepted a configuration without a target: %q", data)
		}
	})
}
