package grid

import (
	"slices"
	"testing"

	"github.com/hashicorp/go-version"
)

// TestRuleIndex: a release meets the rules without a constraint and the constrained rules
// admitting it, each once and in declaration order (settings rely on it: a later rule wins).
func TestRuleIndex(t *testing.T) {
	constrained := func(verdicts ...bool) *rule {
		set := newReleaseSet(len(verdicts))
		for i, ok := range verdicts {
			if ok {
				set.add(i)
			}
		}
		return &rule{constraint: version.Constraints{}, releases: set}
	}
	rules := []*rule{
		constrained(true, false, true),  // 0
		{},                              // 1: no constraint
		constrained(false, false, true), // 2
		{},                              // 3
		constrained(true, false, false), // 4
	}
	x := newRuleIndex(rules, 3)
	for rel, want := range [][]int{{0, 1, 3, 4}, {1, 3}, {0, 1, 2, 3}} {
		if got := slices.Collect(x.rules(rel)); !slices.Equal(got, want) {
			t.Errorf("release %d meets rules %v, want %v", rel, got, want)
		}
	}
	for range x.rules(0) {
		break // stopping early must not panic
	}
}
