package yamldecode

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Error is one problem in a YAML file: where, which key, and what would be valid.
type Error struct {
	Pos Pos
	// Key is the path of the key in its file ("kubernetes[1].version"), or "" for a whole file.
	Key string
	Msg string
}

func (e *Error) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("%s: %s", e.Pos, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", e.Pos, e.Key, e.Msg)
}

// Errors collects every problem found in one or more files, so one run reports them all.
type Errors struct {
	List []*Error
}

// Add records a problem once: a rule applied to many places reports its problem at one place.
func (e *Errors) Add(pos Pos, key, msg string) {
	err := &Error{Pos: pos, Key: key, Msg: msg}
	if !slices.ContainsFunc(e.List, func(prev *Error) bool { return *prev == *err }) {
		e.List = append(e.List, err)
	}
}

// Error lists the problems in file, line and column order, one per line.
func (e *Errors) Error() string {
	sorted := slices.Clone(e.List)
	slices.SortStableFunc(sorted, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Pos.File, b.Pos.File), cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Col, b.Pos.Col))
	})
	lines := make([]string, len(sorted))
	for i, err := range sorted {
		lines[i] = err.Error()
	}
	return strings.Join(lines, "\n")
}

// Err returns the collected problems as an error, or nil when there are none.
func (e *Errors) Err() error {
	if len(e.List) == 0 {
		return nil
	}
	return e
}
