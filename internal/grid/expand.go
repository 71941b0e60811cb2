package grid

import (
	"cmp"
	"encoding/json"
	"fmt"
	"iter"
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

// candidate is a cell before settings: the declaration that added it, and its release.
type candidate struct {
	*site
	release *release
}

// site is what a declaration says of the cells it adds but for their release: every cell one
// declaration adds shares one (see addCandidate), so a grid of many cells holds little per
// cell.
type site struct {
	infra, osID, arch string
	origin            Pos
	include           *rule  // the include rule that declared it, if any
	idPrefix          string // the cell id up to the Kubernetes version (see id)
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
	// byVersion finds a release by its version while they are added, so that checking for
	// duplicates stays linear in a grid of many releases.
	byVersion map[string]*release
	plain     []*release // releases without a prerelease, in version order
	pre       []*release // releases with a prerelease
	cands     []*candidate
	includes  []*rule
	excludes  []*rule
	settings  []*settings
	// settingsIndex finds the settings rules that may apply to a cell (see ruleIndex).
	settingsIndex ruleIndex
	errs          *Errors
	sites         map[site]*site // every site, by its value without idPrefix
	releaseIDs    []string       // release index → its version as a cell id ends with it
	// checked is set once every cell passed the checks: making a cell again skips them.
	checked  bool
	fileHash map[string]string                     // var file path → sha256, read once
	varKeys  map[string]map[string]json.RawMessage // var file path → its variables
}

// expand merges the files, expands them into cells and checks every cell, adding its
// problems to errs (which may already hold the files' decoding problems: all are reported
// together). The cells are not kept: Cells makes each again when it is read, so a grid of
// many cells is never held in memory as a whole.
func expand(decls []*fileDecl, errs *Errors) (*Cells, error) {
	g := &grid{builders: map[string]*imageBuilder{}, sites: map[site]*site{}, errs: errs, fileHash: map[string]string{}, byVersion: map[string]*release{}, varKeys: map[string]map[string]json.RawMessage{}}
	for _, d := range decls {
		g.addName(d)
		g.addBuilders(d)
	}
	for _, d := range decls {
		g.addReleases(d)
	}
	g.byVersion = nil
	g.rankReleases()
	for _, d := range decls {
		g.addRules(d)
	}
	for _, r := range g.releases {
		r.version = nil // ranked and every constraint solved: not needed while cells stream
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
	g.settingsIndex = newRuleIndex(settingsRules(g.settings), len(g.releases))
	for _, c := range cands {
		g.cell(c) // for its checks: the cell is made again when it is read
	}
	g.unusedRules()
	if err := g.errs.Err(); err != nil {
		return nil, err
	}
	g.checked = true
	g.cands = nil // the list before exclude rules
	return &Cells{g: g, cands: cands}, nil
}

// Cells are the cells of a grid that passed every check, in order: by infrastructure, OS,
// architecture, then Kubernetes version.
type Cells struct {
	g     *grid
	cands []*candidate
}

// Load is Open with every cell made at once, for grids small enough to hold.
func Load(path string) ([]record.Cell, error) {
	cs, err := Open(path)
	if err != nil {
		return nil, err
	}
	return slices.Collect(cs.All()), nil
}

// All yields the cells in order, each made when it is reached, so that reading a grid of
// many cells holds one cell at a time. Every cell was made once already, for the checks:
// making it again gives the same cell, without checking it again, and its build key.
func (cs *Cells) All() iter.Seq[record.Cell] {
	return func(yield func(record.Cell) bool) {
		keys := newKeyHasher()
		for _, c := range cs.cands {
			cell, _ := cs.g.cell(c)
			cell.BuildKey = keys.key(cell)
			if !yield(cell) {
				return
			}
		}
	}
}

// addCandidate adds c, unless the grid already declares limits.Cells cells: then the problem
// is reported at c's declaration, once, and it returns false. c's site becomes the one every
// cell of its declaration shares.
func (g *grid) addCandidate(c *candidate) bool {
	if len(g.cands) >= limits.Cells {
		g.errs.Add(c.origin, "", fmt.Sprintf("the grid declares more than %d cells (releases × OS × architectures, before exclude); at most %d are accepted (see docs/security.md): split it into several grids", limits.Cells, limits.Cells))
		return false
	}
	s, ok := g.sites[*c.site]
	if !ok {
		s = &site{infra: c.infra, osID: c.osID, arch: c.arch, origin: c.origin, include: c.include}
		s.idPrefix = sanitize(s.infra + "-" + s.osID + "-" + s.arch + "-")
		g.sites[*c.site] = s
	}
	c.site = s
	g.cands = append(g.cands, c)
	return true
}

// id is the cell id of c: <infra>-<os>-<arch>-<kubernetes semver with + as --->, safe as a
// file, artifact and job name (see sanitize, which maps each character on its own, so the
// id is made of parts sanitized once).
func (g *grid) id(c *candidate) string {
	return c.idPrefix + g.releaseIDs[c.release.index]
}

// dedupe reports cells declared twice, naming both places.
func (g *grid) dedupe() []*candidate {
	seen := make(map[string]*candidate, len(g.cands))
	out := make([]*candidate, 0, len(g.cands))
	for _, c := range g.cands {
		id := g.id(c)
		if prev, ok := seen[id]; ok {
			g.errs.Add(c.origin, "", fmt.Sprintf("cell %s declared twice: also at %s", id, prev.origin))
			continue
		}
		seen[id] = c
		out = append(out, c)
	}
	return out
}

// byCell orders cells by infrastructure, OS, architecture, then Kubernetes version as versions
// compare (v1.9 before v1.10). Releases have distinct ranks, and no two cells left by dedupe
// share all four.
func byCell(a, b *candidate) int {
	return cmp.Or(cmp.Compare(a.infra, b.infra), cmp.Compare(a.osID, b.osID), cmp.Compare(a.arch, b.arch),
		cmp.Compare(a.release.rank, b.release.rank))
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
	g.releaseIDs = make([]string, len(g.releases))
	for i, r := range g.releases {
		g.releaseIDs[i] = sanitize(r.k8s.Semver)
	}
	g.plain, g.pre = splitReleases(byRank)
}
