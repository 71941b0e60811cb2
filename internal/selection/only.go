package selection

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/imagegrid/imagegrid/internal/record"
)

// onlyKeys are the keys an --only filter may use, with how each reads a cell.
var onlyKeys = map[string]func(record.Cell, string) bool{
	"id":    func(c record.Cell, v string) bool { return c.ID == v },
	"infra": func(c record.Cell, v string) bool { return c.Infra == v },
	"os":    func(c record.Cell, v string) bool { return c.OS.ID == v },
	"arch":  func(c record.Cell, v string) bool { return c.OS.Arch == v },
	"tkr":   func(c record.Cell, v string) bool { return c.Kubernetes.TKr == v },
	// kubernetes takes a full version (v1.30.2+vmware.1) or a series (v1.30, 1.30).
	"kubernetes": func(c record.Cell, v string) bool {
		v = "v" + strings.TrimPrefix(v, "v")
		return c.Kubernetes.Semver == v || c.Kubernetes.Series == v
	},
}

// Only keeps the cells that match at least one filter. A filter is "key=value[,key=value…]":
// every key must match, and a key given twice matches either value
// ("infra=aws,os=ubuntu-2204,os=amazon-2"). No filters keep every cell.
func Only(filters []string) (Selector, error) {
	var parsed []map[string][]string // one per filter: key → any of these values
	for _, f := range filters {
		terms := map[string][]string{}
		for part := range strings.SplitSeq(f, ",") {
			key, value, ok := strings.Cut(strings.TrimSpace(part), "=")
			if _, known := onlyKeys[key]; !ok || !known || value == "" {
				return nil, fmt.Errorf("--only %q: %q is not key=value with a key of %s", f, part, strings.Join(slices.Sorted(maps.Keys(onlyKeys)), ", "))
			}
			terms[key] = append(terms[key], value)
		}
		parsed = append(parsed, terms)
	}
	return func(c record.Cell) (bool, string) {
		if len(parsed) == 0 || slices.ContainsFunc(parsed, func(terms map[string][]string) bool { return matchTerms(c, terms) }) {
			return false, ""
		}
		return true, "not selected by --only " + strings.Join(filters, " --only ")
	}, nil
}

// matchTerms reports whether every key of terms matches one of its values.
func matchTerms(c record.Cell, terms map[string][]string) bool {
	for key, values := range terms {
		if !slices.ContainsFunc(values, func(v string) bool { return onlyKeys[key](c, v) }) {
			return false
		}
	}
	return true
}
