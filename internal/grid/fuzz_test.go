package grid

import (
	"testing"

	"github.com/imagegrid/imagegrid/internal/testutil/fuzzseed"
)

// FuzzLoad feeds arbitrary bytes through the whole loader (decode, merge, expand): it may
// reject them, never panic. Seeds are every declaration under testdata and matrices/.
func FuzzLoad(f *testing.F) {
	fuzzseed.Add(f, "testdata/*/*.yaml", "../../matrices/*.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		errs := &Errors{}
		var decls []*fileDecl
		if d := parse("fuzz.yaml", data, errs); d != nil {
			decls = append(decls, d)
		}
		cells, err := expand(decls, errs)
		if err == nil {
			for c := range cells.All() {
				if c.ID == "" || len(c.BuildKey) != 64 {
					t.Fatalf("cell without id or build key: %+v", c)
				}
			}
		} else if len(errs.List) == 0 {
			t.Fatalf("error without a located problem: %v", err)
		}
	})
}
