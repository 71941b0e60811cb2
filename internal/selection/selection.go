// Package selection decides which cells of a grid to build in a run and says why for each: the
// --only filters, the files a pull request changed, and the ledger of published images.
package selection

import (
	"github.com/imagegrid/imagegrid/internal/record"
)

// Decision is one cell with the reason it is built or skipped.
type Decision struct {
	Cell   record.Cell
	Reason string
}

// Selection is the cells a run builds and the cells it skips, both lists in the order of the
// cells given.
type Selection struct {
	Build   []Decision
	Skipped []Decision
}

// Selector looks at one cell: it returns skip with the reason, or keeps it, optionally with a
// reason to build it ("" leaves the reason to later selectors).
type Selector func(record.Cell) (skip bool, reason string)

// Select runs every cell through the selectors (see Decide), keeping both lists in memory.
func Select(cells []record.Cell, selectors ...Selector) Selection {
	p := Selection{Build: make([]Decision, 0, len(cells))}
	for _, c := range cells {
		if d, build := Decide(c, selectors...); build {
			p.Build = append(p.Build, d)
		} else {
			p.Skipped = append(p.Skipped, d)
		}
	}
	return p
}

// Decide runs one cell through the selectors in order; the first that skips it decides. A
// kept cell carries the last reason a selector gave, or "selected" when none gave one.
func Decide(c record.Cell, selectors ...Selector) (d Decision, build bool) {
	d = Decision{Cell: c, Reason: "selected"}
	for _, sel := range selectors {
		skip, reason := sel(c)
		if skip {
			d.Reason = reason
			return d, false
		}
		if reason != "" {
			d.Reason = reason
		}
	}
	return d, true
}
