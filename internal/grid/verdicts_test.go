package grid

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/hashicorp/go-version"
)

// TestVerdictsAgreeWithGoVersion: the binary-search verdicts equal go-version's own Check for
// random releases (with build metadata and prereleases) and random constraints.
func TestVerdictsAgreeWithGoVersion(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	randomVersion := func() string {
		v := fmt.Sprintf("1.%d.%d", 25+rng.IntN(8), rng.IntN(4))
		switch rng.IntN(6) {
		case 0:
			v += "-rc." + fmt.Sprint(rng.IntN(3))
		case 1, 2:
			v += "+vmware." + fmt.Sprint(1+rng.IntN(2))
		}
		return v
	}
	ops := []string{"", "= ", "!= ", "> ", ">= ", "< ", "<= ", "~> "}
	for round := range 200 {
		var releases []*release
		seen := map[string]bool{}
		for len(releases) < 1+rng.IntN(40) {
			s := "v" + randomVersion()
			if seen[s] {
				continue
			}
			seen[s] = true
			releases = append(releases, &release{index: len(releases), version: version.Must(version.NewVersion(s))})
		}
		byRank := slices.Clone(releases)
		slices.SortStableFunc(byRank, func(a, b *release) int { return a.version.Compare(b.version) })

		text := ops[rng.IntN(len(ops))] + randomVersion()
		if rng.IntN(3) == 0 {
			text += ", " + ops[1+rng.IntN(len(ops)-1)] + randomVersion()
		}
		cs, err := version.NewConstraint(text)
		if err != nil {
			t.Fatalf("round %d: constraint %q: %v", round, text, err)
		}
		plain, pre := splitReleases(byRank)
		got := verdicts(cs, releases, plain, pre)
		for i := range got.all() {
			if i >= len(releases) {
				t.Fatalf("round %d: %q admits release %d of %d", round, text, i, len(releases))
			}
		}
		for _, r := range releases {
			if want := cs.Check(r.version); got.has(r.index) != want {
				t.Errorf("round %d: %q on %s: verdict %v, go-version says %v", round, text, r.version.Original(), got.has(r.index), want)
			}
		}
	}
}
