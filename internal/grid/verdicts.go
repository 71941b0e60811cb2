package grid

import (
	"sort"
	"strings"

	"github.com/hashicorp/go-version"
)

// verdicts evaluates a rule's Kubernetes constraints once for every release of the grid, by
// release index. go-version formats both versions on every check, which a grid of thousands
// of releases and hundreds of rules feels, so comparison constraints on plain versions are
// solved by binary search over plain, the releases without a prerelease in version order
// (see plainReleases); anything else (~>,
// prerelease versions on either side) is checked release by release. Both give go-version's
// own answers: TestVerdictsAgreeWithGoVersion holds them to it.
func verdicts(cs version.Constraints, releases, plain []*release) releaseSet {
	out := newReleaseSet(len(releases))
	for _, r := range releases {
		out.add(r.index)
	}
	for _, c := range cs {
		op, cv, ok := splitConstraint(c)
		if !ok {
			for _, r := range releases {
				if !c.Check(r.version) {
					out.remove(r.index)
				}
			}
			continue
		}
		lo := sort.Search(len(plain), func(i int) bool { return plain[i].version.Compare(cv) >= 0 })
		hi := sort.Search(len(plain), func(i int) bool { return plain[i].version.Compare(cv) > 0 })
		for i, r := range plain {
			if !inRange(op, i, lo, hi) {
				out.remove(r.index)
			}
		}
		for _, r := range releases {
			if r.version.Prerelease() != "" && !c.Check(r.version) {
				out.remove(r.index)
			}
		}
	}
	return out
}

// releaseSet is a set of release indexes, one bit each: a grid of many releases and
// many rules keeps one per rule while its cells stream.
type releaseSet []uint64

func newReleaseSet(releases int) releaseSet { return make(releaseSet, (releases+63)/64) }

func (s releaseSet) add(i int)    { s[i/64] |= 1 << (i % 64) }
func (s releaseSet) remove(i int) { s[i/64] &^= 1 << (i % 64) }

// has reports whether release i is in the set.
func (s releaseSet) has(i int) bool { return s[i/64]&(1<<(i%64)) != 0 }

// splitConstraint returns the operator and version of a comparison constraint on a plain
// version; ok is false for anything verdicts must check release by release.
func splitConstraint(c *version.Constraint) (op string, v *version.Version, ok bool) {
	s := strings.TrimSpace(c.String())
	op = "="
	for _, candidate := range []string{">=", "<=", "!=", "~>", ">", "<", "="} {
		if rest, found := strings.CutPrefix(s, candidate); found {
			op, s = candidate, strings.TrimSpace(rest)
			break
		}
	}
	if op == "~>" {
		return "", nil, false
	}
	v, err := version.NewVersion(s)
	if err != nil || v.Prerelease() != "" {
		return "", nil, false
	}
	return op, v, true
}

// inRange says whether the i-th plain release in version order satisfies op, given lo (the
// first release >= the constraint's version) and hi (the first release > it).
func inRange(op string, i, lo, hi int) bool {
	switch op {
	case ">=":
		return i >= lo
	case ">":
		return i >= hi
	case "<":
		return i < lo
	case "<=":
		return i < hi
	case "!=":
		return i < lo || i >= hi
	default: // "="
		return i >= lo && i < hi
	}
}

// plainReleases are the releases without a prerelease part, in version order.
func plainReleases(byRank []*release) []*release {
	var plain []*release
	for _, r := range byRank {
		if r.version.Prerelease() == "" {
			plain = append(plain, r)
		}
	}
	return plain
}
