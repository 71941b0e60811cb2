package grid

import (
	"iter"
	"math/bits"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/go-version"
)

// verdicts evaluates a rule's Kubernetes constraints once for every release of the grid, by
// release index. go-version formats both versions on every check, which a grid of thousands
// of releases and hundreds of rules feels, so comparison constraints on plain versions are
// solved by binary search over plain, the releases without a prerelease in version order:
// the releases they admit are a range of plain (or all but one, for !=), and only the
// smaller side of it is visited. Anything else (~>, prerelease versions on either side) is
// checked release by release, as are the releases in pre, those with a prerelease (see
// splitReleases). Both give go-version's own answers: TestVerdictsAgreeWithGoVersion holds
// them to it.
func verdicts(cs version.Constraints, releases, plain, pre []*release) releaseSet {
	out := fullReleaseSet(len(releases))
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
		if op == "!=" {
			removeAll(out, plain[lo:hi])
		} else if a, b := admitted(op, lo, hi, len(plain)); b-a < len(plain)/2 {
			keep := newReleaseSet(len(releases))
			for _, r := range slices.Concat(plain[a:b], pre) {
				keep.add(r.index)
			}
			out.intersect(keep)
		} else {
			removeAll(out, plain[:a])
			removeAll(out, plain[b:])
		}
		for _, r := range pre {
			if !c.Check(r.version) {
				out.remove(r.index)
			}
		}
	}
	return out
}

func removeAll(s releaseSet, rs []*release) {
	for _, r := range rs {
		s.remove(r.index)
	}
}

// releaseSet is a set of release indexes, one bit each: a grid of many releases and
// many rules keeps one per rule while its cells stream.
type releaseSet []uint64

func newReleaseSet(releases int) releaseSet { return make(releaseSet, (releases+63)/64) }

// fullReleaseSet holds releases 0 to releases-1.
func fullReleaseSet(releases int) releaseSet {
	s := newReleaseSet(releases)
	for i := range s {
		s[i] = ^uint64(0)
	}
	if tail := releases % 64; tail != 0 {
		s[len(s)-1] = 1<<tail - 1
	}
	return s
}

func (s releaseSet) add(i int)    { s[i/64] |= 1 << (i % 64) }
func (s releaseSet) remove(i int) { s[i/64] &^= 1 << (i % 64) }

// has reports whether release i is in the set.
func (s releaseSet) has(i int) bool { return s[i/64]&(1<<(i%64)) != 0 }

// intersect keeps in s only what t holds too.
func (s releaseSet) intersect(t releaseSet) {
	for i := range s {
		s[i] &= t[i]
	}
}

// all yields the releases in s in index order, skipping 64 absent ones at a time.
func (s releaseSet) all() iter.Seq[int] {
	return func(yield func(int) bool) {
		for w, bitsLeft := range s {
			for bitsLeft != 0 {
				b := bits.TrailingZeros64(bitsLeft)
				if !yield(w*64 + b) {
					return
				}
				bitsLeft &^= 1 << b
			}
		}
	}
}

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

// admitted is the range [a, b) of the n plain releases in version order that op admits,
// given lo (the first release >= the constraint's version) and hi (the first release > it).
// op is not != (which admits all but [lo, hi)).
func admitted(op string, lo, hi, n int) (a, b int) {
	switch op {
	case ">=":
		return lo, n
	case ">":
		return hi, n
	case "<":
		return 0, lo
	case "<=":
		return 0, hi
	default: // "="
		return lo, hi
	}
}

// splitReleases splits the releases in version order into the plain ones, without a
// prerelease part, still in that order, and the others.
func splitReleases(byRank []*release) (plain, pre []*release) {
	for _, r := range byRank {
		if r.version.Prerelease() == "" {
			plain = append(plain, r)
		} else {
			pre = append(pre, r)
		}
	}
	return plain, pre
}
