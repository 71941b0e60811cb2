package ova

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Mismatch is one OVF property that does not hold what the cell says it must.
type Mismatch struct {
	Key  string
	Got  string
	Want string
	// Missing is true when the OVF has no such property.
	Missing bool
}

func (m Mismatch) String() string {
	if m.Missing {
		return fmt.Sprintf("OVF property %s is missing, want %q", m.Key, m.Want)
	}
	return fmt.Sprintf("OVF property %s is %q, want %q", m.Key, m.Got, m.Want)
}

// MismatchError lists every property that disagrees with what was expected.
type MismatchError struct {
	Mismatches []Mismatch
}

func (e *MismatchError) Error() string {
	parts := make([]string, len(e.Mismatches))
	for i, m := range e.Mismatches {
		parts[i] = m.String()
	}
	return strings.Join(parts, "; ")
}

// CheckProperties compares the properties of an OVF with the wanted key → value pairs and
// returns a *MismatchError naming every property that is missing or different.
func CheckProperties(props, want map[string]string) error {
	var bad []Mismatch
	for _, k := range slices.Sorted(maps.Keys(want)) {
		got, ok := props[k]
		switch {
		case !ok:
			bad = append(bad, Mismatch{Key: k, Want: want[k], Missing: true})
		case got != want[k]:
			bad = append(bad, Mismatch{Key: k, Got: got, Want: want[k]})
		}
	}
	if len(bad) > 0 {
		return &MismatchError{Mismatches: bad}
	}
	return nil
}
