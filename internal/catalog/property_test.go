package catalog

import (
	"fmt"
	"io/fs"
	"maps"
	"math/rand"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/imagegrid/imagegrid/internal/record"
)

// TestRandomPublishesKeepInvariants applies random sequences of publish records, one run at
// a time, each to the catalog the previous run wrote. After every run the written catalog
// must load, pass Check, list exactly one OSImage per key for every image applied, pointing
// at the latest image, and applying the same run again must change nothing. Even seeds use
// tanzu-framework's selectors, odd ones selectors a publish config could set instead.
//
// Its cyclomatic complexity is above 15: each branch is an assertion of the scenario, not
// logic.
func TestRandomPublishesKeepInvariants(t *testing.T) {
	configured := DefaultSelectors().With(Selectors{
		record.InfraVSphere: {{LabelImageType, LabelOSName, LabelOSVersion}},
		record.InfraAWS:     {{"ami-region", LabelOSName}},
		record.InfraAzure:   {{LabelOSName}},
	})
	infras := []string{"vsphere", "aws", "azure"}
	oses := []string{"ubuntu-2204", "photon-5", "rhel-8", "ubuntu-2004"}
	tkrs := []string{tkr130, tkr129, bom121}
	regions := []string{"us-east-1", "us-west-2", "eu-west-1"}
	for seed := int64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewSource(seed))
			selectors := DefaultSelectors()
			if seed%2 == 1 {
				selectors = configured
			}
			fsys := mapFS(t)
			latest := map[string]Image{} // TKr + key → the image last applied
			for step := 0; step < 25; step++ {
				var run []record.PublishRecord
				for n := 1 + rng.Intn(3); n > 0; n-- {
					key := fmt.Sprintf("%016x", rng.Uint64())
					var rs []string
					for _, r := range regions {
						if rng.Intn(2) == 0 {
							rs = append(rs, r)
						}
					}
					run = append(run, published(infras[rng.Intn(3)], oses[rng.Intn(4)], tkrs[rng.Intn(3)], rng.Intn(4) > 0, key, rs...))
				}
				c, err := Load(fsys, selectors)
				if err != nil {
					t.Fatalf("step %d: %v", step, err)
				}
				applied, err := c.Apply(run, ApplyOptions{Prune: rng.Intn(2) == 0})
				if err != nil {
					if !strings.Contains(err.Error(), "replacesDefault") && !strings.Contains(err.Error(), "can be catalogued") {
						t.Fatalf("step %d: unexpected refusal: %v", step, err)
					}
					continue // the run is refused as a whole; the catalog stays as it was
				}
				changes, err := c.Changes()
				if err != nil {
					t.Fatal(err)
				}
				for _, ch := range changes {
					if ch.Data == nil {
						delete(fsys, ch.Path)
					} else {
						fsys[ch.Path] = &fstest.MapFile{Data: ch.Data, Mode: ch.Mode}
					}
				}
				for _, a := range applied {
					for _, img := range a.Images {
						latest[a.Cell.Kubernetes.TKr+" "+img.Key.String()] = img
					}
				}
				reloaded, err := Load(fsys, selectors)
				if err != nil {
					t.Fatalf("step %d: the written catalog does not load: %v", step, err)
				}
				if err := reloaded.Check(); err != nil {
					t.Fatalf("step %d: %v", step, err)
				}
				checkLatest(t, reloaded, latest)
				if _, err := reloaded.Apply(run, ApplyOptions{}); err != nil {
					t.Fatalf("step %d: applying the run again: %v", step, err)
				}
				if again, _ := reloaded.Changes(); len(again) != 0 {
					t.Fatalf("step %d: applying the run again changed %v", step, again)
				}
			}
		})
	}
}

// checkLatest verifies that each TKr lists exactly one OSImage per key applied, and that it
// holds the image applied last.
func checkLatest(t *testing.T, c *Catalog, latest map[string]Image) {
	t.Helper()
	for _, ls := range c.tkrs {
		for _, l := range ls {
			checkTKrLatest(t, c, l.obj, latest)
		}
	}
}

// checkTKrLatest is checkLatest for one TKr.
func checkTKrLatest(t *testing.T, c *Catalog, tkr *TKr, latest map[string]Image) {
	t.Helper()
	for id, img := range latest {
		if !strings.HasPrefix(id, tkr.Version+" ") {
			continue
		}
		var found []*OSImage
		for _, name := range tkr.OSImages {
			if o := c.OSImage(name); o != nil && o.Key == img.Key {
				found = append(found, o)
			}
		}
		if len(found) != 1 || !maps.Equal(found[0].Ref, img.Ref) {
			t.Fatalf("TKr %s, %s: want one OSImage with ref %v, found %d (%v)", tkr.Version, img.Key, img.Ref, len(found), found)
		}
	}
}

// mapFS reads testdata/catalog into memory.
func mapFS(t *testing.T) fstest.MapFS {
	t.Helper()
	out := fstest.MapFS{}
	src := os.DirFS("testdata/catalog")
	err := fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(src, p)
		out[p] = &fstest.MapFile{Data: data, Mode: 0o644}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
