package grid

import (
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"

	"github.com/imagegrid/imagegrid/internal/limits"
	"github.com/imagegrid/imagegrid/internal/record"
)

// DefaultGridName names a grid whose files do not name it.
const DefaultGridName = "default"

var (
	kubernetesVersionRE = regexp.MustCompile(`^v(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)
)

// imageBuilder is a validated Image Builder declaration.
type imageBuilder struct {
	name string
	decl imageBuilderDecl
	ref  record.ImageBuilder
	file string
}

// candidate is a cell before settings: where it was declared and by which file.
type candidate struct {
	id                string
	infra, osID, arch string
	release           *release
	origin            Pos
	include           *rule // the include rule that declared it, if any
}

type settings struct {
	rule *rule
	decl settingsRule
}

// grid is the merged declaration of all files.
type grid struct {
	name     string
	namePos  Pos
	builders map[string]*imageBuilder
	releases []*release
	// byVersion finds a release by its version, so that checking for duplicates stays
	// linear in a grid of many releases.
	byVersion map[string]*release
	plain     []*release // releases without a prerelease, in version order
	cands     []*candidate
	includes  []*rule
	excludes  []*rule
	settings  []*settings
	errs      *Errors
	fileHash  map[string]string                     // var file path → sha256, read once
	varKeys   map[string]map[string]json.RawMessage // var file path → its variables
}

// expand merges the files and expands them into cells, adding its problems to errs (which may
// already hold the files' decoding problems: all are reported together).
func expand(decls []*fileDecl, errs *Errors) ([]record.Cell, error) {
	g := &grid{builders: map[string]*imageBuilder{}, errs: errs, fileHash: map[string]string{}, byVersion: map[string]*release{}, varKeys: map[string]map[string]json.RawMessage{}}
	for _, d := range decls {
		g.addName(d)
		g.addBuilders(d)
	}
	for _, d := range decls {
		g.addReleases(d)
	}
	g.rankReleases()
	for _, d := range decls {
		g.addRules(d)
	}
	for _, d := range decls {
		g.addInfrastructures(d)
	}
	if err := g.errs.Err(); err != nil {
		return nil, err
	}
	g.addIncludes()
	cands := g.dedupe()
	slices.SortFunc(cands, byCell)
	cands = g.applyExcludes(cands)
	cells := g.cells(cands)
	g.unusedRules()
	if err := g.errs.Err(); err != nil {
		return nil, err
	}
	return cells, nil
}

// addCandidate adds c, unless the grid already declares limits.Cells cells: then the problem
// is reported at c's declaration, once, and it returns false.
func (g *grid) addCandidate(c *candidate) bool {
	if len(g.cands) >= limits.Cells {
		g.errs.Add(c.origin, "", fmt.Sprintf("the grid declares more than %d cells (releases × OS × architectures, before exclude); at most %d are accepted (see docs/security.md): split it into several grids", limits.Cells, limits.Cells))
		return false
	}
	g.cands = append(g.cands, c)
	return true
}

// dedupe reports cells declared twice, naming both places.
func (g *grid) dedupe() []*candidate {
	seen := map[string]*candidate{}
	var out []*candidate
	for _, c := range g.cands {
		if prev, ok := seen[c.id]; ok {
			g.errs.Add(c.origin, "", fmt.Sprintf("cell %s declared twice: also at %s", c.id, prev.origin))
			continue
		}
		seen[c.id] = c
		out = append(out, c)
	}
	return out
}

func sortedMapKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// byCell orders cells by infrastructure, OS, architecture, then Kubernetes version as versions
// compare (v1.9 before v1.10), and last by id.
func byCell(a, b *candidate) int {
	return cmp.Or(cmp.Compare(a.infra, b.infra), cmp.Compare(a.osID, b.osID), cmp.Compare(a.arch, b.arch),
		cmp.Compare(a.release.rank, b.release.rank), cmp.Compare(a.id, b.id))
}

// rankReleases numbers the releases in version order once, so sorting cells need not compare
// versions (go-version's Compare allocates), and keeps the plain ones in that order for
// verdicts.
func (g *grid) rankReleases() {
	byRank := slices.Clone(g.releases)
	slices.SortStableFunc(byRank, func(a, b *release) int { return a.version.Compare(b.version) })
	for i, r := range byRank {
		r.rank = i
	}
	g.plain = plainReleases(byRank)
}
