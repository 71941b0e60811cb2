package plan

import (
	"bufio"
	"fmt"
	"os"
	"path"
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
// declare or configure them, their var files) is among the changed paths.
func Changed(paths []string) Selector {
	changed := map[string]bool{}
	for _, p := range paths {
		changed[cleanPath(p)] = true
	}
	return func(c record.Cell) (bool, string) {
		var hit []string
		for _, s := range c.Sources {
			if changed[s] {
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
