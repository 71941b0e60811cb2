package grid

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary bytes through the whole loader (decode, merge, expand): it may
// reject them, never panic. Seeds are every declaration under testdata and matrices/.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*/*.yaml")
	shipped, _ := filepath.Glob("../../matrices/*.yaml")
	for _, name := range append(seeds, shipped...) {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		errs := &Errors{}
		var decls []*fileDecl
		if d := parse("fuzz.yaml", data, errs); d != nil {
			decls = append(decls, d)
		}
		cells, err := expand(decls, errs)
		if err == nil {
			for _, c := range cells {
				if c.ID == "" || len(c.BuildKey) != 64 {
					t.Fatalf("cell without id or build key: %+v", c)
				}
			}
		} else if len(errs.List) == 0 {
			t.Fatalf("error without a located problem: %v", err)
		}
	})
}
