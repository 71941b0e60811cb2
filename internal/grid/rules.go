package grid

import (
	"fmt"
	"iter"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/go-version"
)

// rule is a validated match rule with its file.
type rule struct {
	decl       matchRule
	constraint version.Constraints
	file       string
	matched    int
	// releases are the release indexes the constraint admits (see verdicts).
	releases releaseSet
}

func (g *grid) addRules(d *fileDecl) {
	for i := range d.Include {
		if r := g.rule(d.Include[i], d.At.File, fmt.Sprintf("include[%d]", i)); r != nil {
			if len(r.decl.Infra) == 0 || len(r.decl.OS) == 0 {
				g.errs.Add(r.decl.At, fmt.Sprintf("include[%d]", i), "an include rule needs infra and os (kubernetes and arch default to all)")
				continue
			}
			g.includes = append(g.includes, r)
		}
	}
	for i := range d.Exclude {
		if r := g.rule(d.Exclude[i], d.At.File, fmt.Sprintf("exclude[%d]", i)); r != nil {
			g.excludes = append(g.excludes, r)
		}
	}
	for i, s := range d.Settings {
		key := fmt.Sprintf("settings[%d]", i)
		if r := g.rule(s.Match, d.At.File, key+".match"); r != nil {
			if s.Match.At.File == "" { // no match: applies to every cell
				r.decl.At = s.At
			}
			g.settings = append(g.settings, &settings{rule: r, decl: s})
		}
	}
}

// rule validates a match rule's values.
func (g *grid) rule(decl matchRule, file, key string) *rule {
	r := &rule{decl: decl, file: file}
	ok := true
	check := func(field string, values List, valid func(string) bool, want string) {
		for _, v := range values {
			if !valid(v) {
				g.errs.Add(decl.Field(field), key+"."+field, fmt.Sprintf("unknown value %q: want %s", v, want))
				ok = false
			}
		}
	}
	check("infra", decl.Infra, func(v string) bool { _, ok := infraTargets[v]; return ok }, "one of "+knownInfras())
	check("os", decl.OS, func(v string) bool { _, ok := knownOS[v]; return ok }, "one of "+knownOSIDs())
	check("arch", decl.Arch, func(v string) bool { return slices.Contains(knownArch, v) }, "one of "+strings.Join(knownArch, ", "))
	check("imageBuilder", decl.ImageBuilder, func(v string) bool { _, ok := g.builders[v]; return ok }, "a declared image builder: "+listOrNone(slices.Sorted(maps.Keys(g.builders))))
	if decl.Kubernetes != "" {
		c, err := version.NewConstraint(decl.Kubernetes)
		if err != nil {
			g.errs.Add(decl.Field("kubernetes"), key+".kubernetes", fmt.Sprintf("%q is not a version constraint: want e.g. \">= 1.29, < 1.31\" or \"= 1.30.2\"", decl.Kubernetes))
			ok = false
		}
		r.constraint = c
		if err == nil {
			r.releases = verdicts(c, g.releases, g.plain, g.pre)
		}
	}
	if !ok {
		return nil
	}
	return r
}

// matches reports whether the rule selects the candidate.
func (r *rule) matches(c *candidate) bool {
	return matchList(r.decl.Infra, c.infra) && matchList(r.decl.OS, c.osID) && matchList(r.decl.Arch, c.arch) &&
		matchList(r.decl.ImageBuilder, c.release.builder.name) && r.matchesRelease(c.release)
}

func (r *rule) matchesRelease(rel *release) bool {
	return r.constraint == nil || r.releases.has(rel.index)
}

func matchList(values List, v string) bool { return len(values) == 0 || slices.Contains(values, v) }

func (g *grid) addIncludes() {
	for _, r := range g.includes {
		archs := g.archs(r.decl.Arch, r.decl.Field("arch"), "include.arch")
		for _, infra := range r.decl.Infra {
			for _, osID := range r.decl.OS {
				for _, rel := range g.releases {
					for _, arch := range archs {
						c := newCandidate(infra, osID, arch, rel, r.decl.Field("os"), r)
						if r.matches(c) {
							r.matched++
							if !g.addCandidate(c) {
								return
							}
						}
					}
				}
			}
		}
	}
}

func (g *grid) applyExcludes(cands []*candidate) []*candidate {
	if len(g.excludes) == 0 {
		return cands
	}
	index := newRuleIndex(g.excludes, len(g.releases))
	removedBy := map[*rule]*rule{} // include rule → an exclude that removed its cells
	survivors := map[*rule]int{}   // include rule → its cells kept
	kept := cands[:0:0]
	for _, c := range cands {
		excluded := false
		for i := range index.rules(c.release.index) {
			if ex := g.excludes[i]; ex.matches(c) {
				ex.matched++
				excluded = true
				if c.include != nil {
					removedBy[c.include] = ex
				}
			}
		}
		if !excluded {
			kept = append(kept, c)
			survivors[c.include]++
		}
	}
	for _, inc := range g.includes {
		if ex, ok := removedBy[inc]; ok && survivors[inc] == 0 {
			g.errs.Add(inc.decl.At, "include", fmt.Sprintf("contradictory rules: every cell this include adds is removed by the exclude at %s", ex.decl.At))
		}
	}
	return kept
}

// ruleIndex lists, for each release, the rules that may select its cells, so that a cell is
// tried against those rules only and not against every rule of the grid: a rule with a
// Kubernetes constraint is listed under the releases its verdicts admit, a rule without one
// applies to every release. The lists hold positions in the rules given, so a cell meets its
// rules in declaration order, which settings depend on.
type ruleIndex struct {
	every     []int   // rules without a Kubernetes constraint
	byRelease [][]int // release index → the constrained rules admitting it
}

func newRuleIndex(rules []*rule, releases int) ruleIndex {
	x := ruleIndex{byRelease: make([][]int, releases)}
	for i, r := range rules {
		if r.constraint == nil {
			x.every = append(x.every, i)
			continue
		}
		for rel := range r.releases.all() {
			x.byRelease[rel] = append(x.byRelease[rel], i)
		}
	}
	return x
}

// rules yields, in declaration order, the positions of the rules that may select a cell of
// release rel: the two ordered lists merged.
func (x ruleIndex) rules(rel int) iter.Seq[int] {
	return func(yield func(int) bool) {
		a, b := x.every, x.byRelease[rel]
		for len(a) > 0 || len(b) > 0 {
			var next int
			if len(b) == 0 || len(a) > 0 && a[0] < b[0] {
				next, a = a[0], a[1:]
			} else {
				next, b = b[0], b[1:]
			}
			if !yield(next) {
				return
			}
		}
	}
}

// unusedRules reports rules that select nothing: most often a typo or a stale rule.
func (g *grid) unusedRules() {
	for _, r := range g.includes {
		if r.matched == 0 {
			g.errs.Add(r.decl.At, "include", "this rule adds no cell: no declared Kubernetes release matches it")
		}
	}
	for _, r := range g.excludes {
		if r.matched == 0 {
			g.errs.Add(r.decl.At, "exclude", "this rule matches no cell: remove it or correct its values")
		}
	}
	for _, s := range g.settings {
		if s.rule.matched == 0 {
			g.errs.Add(s.rule.decl.At, "settings.match", "these settings match no cell: remove them or correct the match")
		}
	}
}
