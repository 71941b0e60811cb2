package selection

import (
	"bufio"
	"fmt"
	"os"
	"path"
	"reflect"
	"slices"
	"strings"

	"github.com/imagegrid/imagegrid/internal/record"
)

// ReadChangedFiles reads a list of changed paths, one per line (as `git diff --name-only`
// prints them), relative to the directory matrix runs in. Blank lines are ignored.
func ReadChangedFiles(name string) ([]string, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("changed files: %w", err)
	}
	defer f.Close()
	var paths []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		if line := strings.TrimSpace(s.Text()); line != "" {
			paths = append(paths, cleanPath(line))
		}
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("changed files %s: %w", name, err)
	}
	return paths, nil
}

func cleanPath(p string) string {
	return strings.TrimPrefix(path.Clean(strings.ReplaceAll(p, `\`, "/")), "./")
}

// Changed keeps the cells that a change touches: one of their sources (the grid files that
// declare or configure them, their var files) is among the changed paths, or, for a source
// that is a folder (a TKG configuration, a role: its path ends in "/"), holds one of them.
func Changed(paths []string) Selector {
	changed := map[string]bool{}
	for _, p := range paths {
		changed[cleanPath(p)] = true
	}
	touched := func(source string) bool {
		if !strings.HasSuffix(source, "/") {
			return changed[source]
		}
		for p := range changed {
			if strings.HasPrefix(p, source) {
				return true
			}
		}
		return false
	}
	return func(c record.Cell) (bool, string) {
		var hit []string
		for _, s := range c.Sources {
			if touched(s) {
				hit = append(hit, s)
			}
		}
		if len(hit) == 0 {
			return true, "none of its inputs changed (" + strings.Join(c.Sources, ", ") + ")"
		}
		slices.Sort(hit)
		return false, "changed: " + strings.Join(hit, ", ")
	}
}

// ChangedSince keeps the cells that are new or differ from the cell of the same id in base
// (the grid of the base revision of a pull request): in what determines the image (the build
// key), where it is published, or whether it replaces a default image. This is how a change
// to a grid file selects only the cells it touches.
func ChangedSince(base []record.Cell) Selector {
	byID := make(map[string]record.Cell, len(base))
	for _, c := range base {
		byID[c.ID] = c
	}
	return func(c record.Cell) (bool, string) {
		old, ok := byID[c.ID]
		if !ok {
			return false, "new since the base"
		}
		if diff := cellDiff(old, c); len(diff) > 0 {
			return false, "changed since the base: " + strings.Join(diff, ", ")
		}
		return true, "unchanged since the base"
	}
}

// cellDiff names what differs between two versions of a cell, paths aside.
func cellDiff(old, c record.Cell) []string {
	var diff []string
	if old.BuildKey != c.BuildKey {
		diff = append(diff, "build key "+old.ShortKey()+" → "+c.ShortKey())
	}
	if !reflect.DeepEqual(old.Publish, c.Publish) {
		diff = append(diff, "publish settings")
	}
	if old.ReplacesDefault != c.ReplacesDefault {
		diff = append(diff, "replacesDefault")
	}
	if old.Grid != c.Grid {
		diff = append(diff, "grid name")
	}
	return diff
}
