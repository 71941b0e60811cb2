package publishconfig

import (
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/testutil/fuzzseed"
)

// FuzzParse feeds arbitrary bytes to the publish configuration decoder: it may refuse them,
// never panic, and every refusal names the file.
func FuzzParse(f *testing.F) {
	fuzzseed.Add(f, "testdata/*.yaml", "../../cmd/publish/testdata/*.yaml")
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
