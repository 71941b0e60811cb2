package localpipeline

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/imagegrid/imagegrid/internal/catalog"
	"github.com/imagegrid/imagegrid/internal/record"
)

// checkReleases refuses, before anything is built, cells whose TKr the example catalog at
// dir lacks: the catalog step would refuse their images after every build had run. The
// error names each missing TKr, its cells, and what to do.
func checkReleases(dir string, cells []record.Cell) error {
	cat, err := catalog.Load(os.DirFS(dir), nil)
	if err != nil {
		return err
	}
	missing := map[string][]string{}
	var have []string
	for _, c := range cells {
		tkr := c.Kubernetes.TKr
		switch {
		case tkr == "":
		case cat.HasRelease(tkr):
			have = append(have, tkr)
		default:
			missing[tkr] = append(missing[tkr], c.ID)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	var lines []string
	for _, tkr := range slices.Sorted(maps.Keys(missing)) {
		lines = append(lines, fmt.Sprintf("TKr %s (cells %s): add its TKr package as %s/%s/config/TanzuKubernetesRelease.yml, with its default OSImages, as the other releases there",
			tkr, strings.Join(missing[tkr], ", "), dir, catalog.ObjectName(tkr)))
	}
	advice := "or choose cells of a release it has (--only with tkr=<version>)"
	if len(have) > 0 {
		advice = "or choose cells of a release it has (add tkr=" + slices.Min(have) + " to the --only filter)"
	}
	return fmt.Errorf("the example catalog %s has no TanzuKubernetesRelease for %d release(s) of the chosen cells; the catalog step would refuse their images:\n  %s\n%s",
		dir, len(missing), strings.Join(lines, "\n  "), advice)
}
