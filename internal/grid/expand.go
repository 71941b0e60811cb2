package grid

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	version "github.com/hashicorp/go-version"

	"github.com/imagegrid/imagegrid/internal/record"
)

// DefaultGridName names a grid whose files do not name it.
const DefaultGridName = "default"

var (
	kubernetesVersionRE = regexp.MustCompile(`^v(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)
	gridNameRE          = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
)

// imageBuilder is a validated Image Builder declaration.
type imageBuilder struct {
	name string
	decl imageBuilderDecl
	ref  record.ImageBuilder
	file string
}

// release is a validated Kubernetes release.
type release struct {
	index   int // position in grid.releases
	decl    releaseDecl
	version *version.Version
	k8s     record.Kubernetes
	builder *imageBuilder
	file    string
}

// candidate is a cell before settings: where it was declared and by which file.
type candidate struct {
	id                string
	infra, osID, arch string
	release           *release
	origin            Pos
	include           *rule // the include rule that declared it, if any
}

// rule is a validated match rule with its file.
type rule struct {
	decl       matchRule
	constraint version.Constraints
	file       string
	matched    int
	// releases caches the constraint's verdict per release index: 0 not checked yet, 1 yes, 2 no.
	// Checking a go-version constraint formats both versions, and a big grid asks often.
	releases []uint8
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
	cands    []*candidate
	includes []*rule
	excludes []*rule
	settings []*settings
	errs     *Errors
	fileHash map[string]string // var file path → sha256, read once
}

// expand merges the files and expands them into cells, adding its problems to errs (which may
// already hold the files' decoding problems: all are reported together).
func expand(decls []*fileDecl, errs *Errors) ([]record.Cell, error) {
	g := &grid{builders: map[string]*imageBuilder{}, errs: errs, fileHash: map[string]string{}}
	for _, d := range decls {
		g.addName(d)
		g.addBuilders(d)
	}
	for _, d := range decls {
		g.addReleases(d)
	}
	for _, d := range decls {
		g.addRules(d)
	}
	for _, d := range decls {
		g.addInfrastructures(d)
	}
	if err := g.errs.err(); err != nil {
		return nil, err
	}
	g.addIncludes()
	cands := g.dedupe()
	slices.SortFunc(cands, func(a, b *candidate) int { return cmp.Compare(a.id, b.id) })
	cands = g.applyExcludes(cands)
	cells := g.cells(cands)
	g.unusedRules()
	if err := g.errs.err(); err != nil {
		return nil, err
	}
	return cells, nil
}

func (g *grid) addName(d *fileDecl) {
	if d.Name == "" {
		return
	}
	pos := d.field("name")
	if !gridNameRE.MatchString(d.Name) {
		g.errs.add(pos, "name", fmt.Sprintf("%q is not a valid grid name: want lower-case letters, digits and '-', at most 63", d.Name))
		return
	}
	if g.name != "" && g.name != d.Name {
		g.errs.add(pos, "name", fmt.Sprintf("grid named %q here but %q at %s: files of one grid must agree", d.Name, g.name, g.namePos))
		return
	}
	g.name, g.namePos = d.Name, pos
}

func (g *grid) addBuilders(d *fileDecl) {
	for _, name := range sortedMapKeys(d.ImageBuilders) {
		decl := d.ImageBuilders[name]
		key := "imageBuilders." + name
		if prev, ok := g.builders[name]; ok {
			g.errs.add(decl.At, key, fmt.Sprintf("image builder declared twice: also at %s", prev.decl.At))
			continue
		}
		ib := &imageBuilder{name: name, decl: decl, file: d.At.File}
		ib.ref = record.ImageBuilder{Image: decl.Image, Version: decl.Version, Flavor: cmp.Or(decl.Flavor, record.FlavorUpstream)}
		if decl.Image == "" {
			g.errs.add(decl.At, key+".image", "missing: want the Image Builder container image, e.g. registry.k8s.io/scl-image-builder/cluster-node-image-builder-amd64:v0.1.55")
		}
		if ib.ref.Version == "" {
			ib.ref.Version = imageTag(decl.Image)
			if ib.ref.Version == "" && decl.Image != "" {
				g.errs.add(decl.field("image"), key+".image", "the image has no tag to take the version from: add version: (e.g. v0.1.55)")
			}
		}
		if ib.ref.Flavor != record.FlavorUpstream && ib.ref.Flavor != record.FlavorTKG {
			g.errs.add(decl.field("flavor"), key+".flavor", fmt.Sprintf("%q is not a flavor: want upstream or tkg", decl.Flavor))
		}
		if len(decl.Targets) == 0 {
			g.errs.add(decl.At, key+".targets", "missing: list the OS ids this release builds per infrastructure, e.g. targets: {vsphere: [ubuntu-2204]}")
		}
		for _, infra := range sortedMapKeys(decl.Targets) {
			tkey := key + ".targets." + infra
			if _, ok := infraTargets[infra]; !ok {
				g.errs.add(decl.field("targets"), tkey, fmt.Sprintf("unknown infrastructure %q: want one of %s", infra, knownInfras()))
				continue
			}
			for _, t := range decl.Targets[infra] {
				if !knownTarget(t) {
					g.errs.add(decl.field("targets"), tkey, fmt.Sprintf("unknown OS %q: want one of %s (with -arm64 for arm64 targets)", t, knownOSIDs()))
				}
			}
		}
		g.builders[name] = ib
	}
}

func knownTarget(t string) bool {
	if _, ok := knownOS[t]; ok {
		return true
	}
	for _, arch := range knownArch {
		if _, ok := knownOS[strings.TrimSuffix(t, "-"+arch)]; ok && strings.HasSuffix(t, "-"+arch) {
			return true
		}
	}
	return false
}

// imageTag is the tag of an image reference, "" when it has none (or only a digest).
func imageTag(image string) string {
	if strings.Contains(image, "@") {
		return ""
	}
	last := image[strings.LastIndex(image, "/")+1:]
	if _, tag, ok := strings.Cut(last, ":"); ok {
		return tag
	}
	return ""
}

func (g *grid) addReleases(d *fileDecl) {
	for i, decl := range d.Kubernetes {
		key := fmt.Sprintf("kubernetes[%d]", i)
		r := &release{decl: decl, file: d.At.File}
		m := kubernetesVersionRE.FindStringSubmatch(decl.Version)
		parsed, err := version.NewVersion(decl.Version)
		if m == nil || err != nil {
			g.errs.add(decl.field("version"), key+".version", fmt.Sprintf("%q is not a Kubernetes version: want v<major>.<minor>.<patch>[+<build>], e.g. v1.30.2 or v1.30.2+vmware.1", decl.Version))
			continue
		}
		r.version = parsed
		if prev := g.release(decl.Version); prev != nil {
			g.errs.add(decl.field("version"), key+".version", fmt.Sprintf("Kubernetes release %s declared twice: also at %s", decl.Version, prev.decl.field("version")))
			continue
		}
		r.builder = g.builderFor(decl, key)
		if r.builder == nil {
			continue
		}
		core := fmt.Sprintf("%s.%s.%s", m[1], m[2], m[3])
		pre := strings.Replace(m[4], "-", "~", 1) // packages spell v1.31.0-rc.1 as 1.31.0~rc.1
		r.k8s = record.Kubernetes{
			Semver:     decl.Version,
			Series:     fmt.Sprintf("v%s.%s", m[1], m[2]),
			DebVersion: cmp.Or(decl.DebVersion, core+pre+"-1.1"),
			RPMVersion: cmp.Or(decl.RPMVersion, core+pre),
			TKr:        decl.TKr,
		}
		if r.builder.ref.Flavor == record.FlavorTKG {
			if decl.TKr == "" {
				g.errs.add(decl.At, key+".tkr", fmt.Sprintf("missing: image builder %q is of flavor tkg, so the release needs its TKr version, e.g. %s-tkg.1", r.builder.name, decl.Version))
				continue
			}
			if !strings.HasPrefix(decl.TKr, decl.Version+"-") || kubernetesVersionRE.FindString(decl.TKr) == "" {
				g.errs.add(decl.field("tkr"), key+".tkr", fmt.Sprintf("%q is not a TKr version of %s: want %s-tkg.<n>", decl.TKr, decl.Version, decl.Version))
				continue
			}
			r.k8s.ResourceBundle = cmp.Or(decl.ResourceBundle, "projects.registry.vmware.com/tkg/linux-resource-bundle:"+strings.ReplaceAll(decl.TKr, "+", "_"))
		} else if decl.TKr != "" || decl.ResourceBundle != "" {
			g.errs.add(decl.At, key, fmt.Sprintf("tkr and resourceBundle are for TKG builds, but image builder %q is of flavor upstream", r.builder.name))
			continue
		}
		r.index = len(g.releases)
		g.releases = append(g.releases, r)
	}
}

func (g *grid) release(v string) *release {
	for _, r := range g.releases {
		if r.decl.Version == v {
			return r
		}
	}
	return nil
}

func (g *grid) builderFor(decl releaseDecl, key string) *imageBuilder {
	names := sortedMapKeys(g.builders)
	if decl.ImageBuilder == "" {
		if len(names) == 1 {
			return g.builders[names[0]]
		}
		g.errs.add(decl.At, key+".imageBuilder", fmt.Sprintf("missing: name the image builder of this release, one of: %s", listOrNone(names)))
		return nil
	}
	ib, ok := g.builders[decl.ImageBuilder]
	if !ok {
		g.errs.add(decl.field("imageBuilder"), key+".imageBuilder", fmt.Sprintf("unknown image builder %q: declared are %s", decl.ImageBuilder, listOrNone(names)))
	}
	return ib
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "none (declare one under imageBuilders:)"
	}
	return strings.Join(names, ", ")
}

func (g *grid) addRules(d *fileDecl) {
	for i := range d.Include {
		if r := g.rule(d.Include[i], d.At.File, fmt.Sprintf("include[%d]", i)); r != nil {
			if len(r.decl.Infra) == 0 || len(r.decl.OS) == 0 {
				g.errs.add(r.decl.At, fmt.Sprintf("include[%d]", i), "an include rule needs infra and os (kubernetes and arch default to all)")
				continue
			}
			g.includes = append(g.includes, r)
		}
	}
	for i := range d.Exclude {
		if r := g.rule(d.Exclude[i], d.At.File, fmt.Sprintf("exclude[%d]", i)); r != nil {
			g.excludes = append(g.excludes, r)
		}
	}
	for i, s := range d.Settings {
		key := fmt.Sprintf("settings[%d]", i)
		if r := g.rule(s.Match, d.At.File, key+".match"); r != nil {
			if s.Match.At.File == "" { // no match: applies to every cell
				r.decl.At = s.At
			}
			g.settings = append(g.settings, &settings{rule: r, decl: s})
		}
	}
}

// rule validates a match rule's values.
func (g *grid) rule(decl matchRule, file, key string) *rule {
	r := &rule{decl: decl, file: file}
	ok := true
	check := func(field string, values List, valid func(string) bool, want string) {
		for _, v := range values {
			if !valid(v) {
				g.errs.add(decl.field(field), key+"."+field, fmt.Sprintf("unknown value %q: want %s", v, want))
				ok = false
			}
		}
	}
	check("infra", decl.Infra, func(v string) bool { _, ok := infraTargets[v]; return ok }, "one of "+knownInfras())
	check("os", decl.OS, func(v string) bool { _, ok := knownOS[v]; return ok }, "one of "+knownOSIDs())
	check("arch", decl.Arch, func(v string) bool { return slices.Contains(knownArch, v) }, "one of "+strings.Join(knownArch, ", "))
	check("imageBuilder", decl.ImageBuilder, func(v string) bool { _, ok := g.builders[v]; return ok }, "a declared image builder: "+listOrNone(sortedMapKeys(g.builders)))
	if decl.Kubernetes != "" {
		c, err := version.NewConstraint(decl.Kubernetes)
		if err != nil {
			g.errs.add(decl.field("kubernetes"), key+".kubernetes", fmt.Sprintf("%q is not a version constraint: want e.g. \">= 1.29, < 1.31\" or \"= 1.30.2\"", decl.Kubernetes))
			ok = false
		}
		r.constraint = c
	}
	if !ok {
		return nil
	}
	return r
}

// matches reports whether the rule selects the candidate.
func (r *rule) matches(c *candidate) bool {
	return matchList(r.decl.Infra, c.infra) && matchList(r.decl.OS, c.osID) && matchList(r.decl.Arch, c.arch) &&
		matchList(r.decl.ImageBuilder, c.release.builder.name) && r.matchesRelease(c.release)
}

func (r *rule) matchesRelease(rel *release) bool {
	if r.constraint == nil {
		return true
	}
	if rel.index >= len(r.releases) {
		r.releases = append(r.releases, make([]uint8, rel.index+1-len(r.releases))...)
	}
	if r.releases[rel.index] == 0 {
		r.releases[rel.index] = 2
		if r.constraint.Check(rel.version) {
			r.releases[rel.index] = 1
		}
	}
	return r.releases[rel.index] == 1
}

func matchList(values List, v string) bool { return len(values) == 0 || slices.Contains(values, v) }

func (g *grid) addInfrastructures(d *fileDecl) {
	for _, infra := range sortedMapKeys(d.Infrastructures) {
		decl := d.Infrastructures[infra]
		key := "infrastructures." + infra
		if _, ok := infraTargets[infra]; !ok {
			g.errs.add(d.field("infrastructures"), key, fmt.Sprintf("unknown infrastructure %q: want one of %s", infra, knownInfras()))
			continue
		}
		archs := g.archs(decl.Arch, decl.field("arch"), key+".arch")
		for _, osID := range decl.OS {
			if _, ok := knownOS[osID.Value]; !ok {
				g.errs.add(osID.Pos, key+".os", fmt.Sprintf("unknown OS %q: want one of %s", osID.Value, knownOSIDs()))
				continue
			}
			for _, r := range g.releases {
				for _, arch := range archs {
					g.cands = append(g.cands, newCandidate(infra, osID.Value, arch, r, osID.Pos, nil))
				}
			}
		}
	}
}

func (g *grid) archs(values List, pos Pos, key string) []string {
	if len(values) == 0 {
		return []string{"amd64"}
	}
	for _, a := range values {
		if !slices.Contains(knownArch, a) {
			g.errs.add(pos, key, fmt.Sprintf("unknown architecture %q: want one of %s", a, strings.Join(knownArch, ", ")))
		}
	}
	return values
}

func (g *grid) addIncludes() {
	for _, r := range g.includes {
		archs := g.archs(r.decl.Arch, r.decl.field("arch"), "include.arch")
		for _, infra := range r.decl.Infra {
			for _, osID := range r.decl.OS {
				for _, rel := range g.releases {
					for _, arch := range archs {
						c := newCandidate(infra, osID, arch, rel, r.decl.field("os"), r)
						if r.matches(c) {
							r.matched++
							g.cands = append(g.cands, c)
						}
					}
				}
			}
		}
	}
}

// dedupe reports cells declared twice, naming both places.
func (g *grid) dedupe() []*candidate {
	seen := map[string]*candidate{}
	var out []*candidate
	for _, c := range g.cands {
		if prev, ok := seen[c.id]; ok {
			g.errs.add(c.origin, "", fmt.Sprintf("cell %s declared twice: also at %s", c.id, prev.origin))
			continue
		}
		seen[c.id] = c
		out = append(out, c)
	}
	return out
}

func (g *grid) applyExcludes(cands []*candidate) []*candidate {
	removedBy := map[*rule]*rule{} // include rule → an exclude that removed its cells
	kept := cands[:0:0]
	for _, c := range cands {
		excluded := false
		for _, ex := range g.excludes {
			if ex.matches(c) {
				ex.matched++
				excluded = true
				if c.include != nil {
					removedBy[c.include] = ex
				}
			}
		}
		if !excluded {
			kept = append(kept, c)
		}
	}
	for _, inc := range g.includes {
		ex, ok := removedBy[inc]
		if !ok {
			continue
		}
		survives := slices.ContainsFunc(kept, func(c *candidate) bool { return c.include == inc })
		if !survives {
			g.errs.add(inc.decl.At, "include", fmt.Sprintf("contradictory rules: every cell this include adds is removed by the exclude at %s", ex.decl.At))
		}
	}
	return kept
}

// unusedRules reports rules that select nothing: most often a typo or a stale rule.
func (g *grid) unusedRules() {
	for _, r := range g.includes {
		if r.matched == 0 {
			g.errs.add(r.decl.At, "include", "this rule adds no cell: no declared Kubernetes release matches it")
		}
	}
	for _, r := range g.excludes {
		if r.matched == 0 {
			g.errs.add(r.decl.At, "exclude", "this rule matches no cell: remove it or correct its values")
		}
	}
	for _, s := range g.settings {
		if s.rule.matched == 0 {
			g.errs.add(s.rule.decl.At, "settings.match", "these settings match no cell: remove them or correct the match")
		}
	}
}

// newCandidate makes a candidate and its cell id.
func newCandidate(infra, osID, arch string, rel *release, origin Pos, include *rule) *candidate {
	c := &candidate{infra: infra, osID: osID, arch: arch, release: rel, origin: origin, include: include}
	c.id = cellID(c)
	return c
}

// cellID is <infra>-<os>-<arch>-<kubernetes semver with + as --->, safe as a file, artifact
// and job name.
func cellID(c *candidate) string {
	return sanitize(fmt.Sprintf("%s-%s-%s-%s", c.infra, c.osID, c.arch, c.release.decl.Version))
}

func sanitize(s string) string {
	s = strings.ReplaceAll(strings.ToLower(s), "+", "---")
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, s)
}

func (g *grid) cells(cands []*candidate) []record.Cell {
	name := cmp.Or(g.name, DefaultGridName)
	cells := make([]record.Cell, 0, len(cands))
	for _, c := range cands {
		ib := c.release.builder
		tos := targetOS(c.osID, c.arch)
		if !slices.Contains(ib.decl.Targets[c.infra], tos) {
			g.errs.add(c.origin, "", fmt.Sprintf("cell %s: image builder %q (%s) has no %s target for %s; its %s targets are: %s",
				c.id, ib.name, ib.ref.Version, c.infra, tos, c.infra, listOrNone(ib.decl.Targets[c.infra])))
			continue
		}
		info := knownOS[c.osID]
		prefix := infraTargets[c.infra]
		cell := record.Cell{
			APIVersion:   record.APIVersion,
			Kind:         record.KindCell,
			ID:           c.id,
			Name:         fmt.Sprintf("%s %s %s %s", c.infra, c.osID, c.arch, c.release.decl.Version),
			Grid:         name,
			Infra:        c.infra,
			OS:           record.OS{ID: c.osID, Name: info.name, Version: info.version, Arch: c.arch, Type: info.typ},
			Target:       record.Target{Build: prefix.Build + tos, Validate: prefix.Validate + tos},
			Kubernetes:   c.release.k8s,
			ImageBuilder: ib.ref,
		}
		sources := []string{c.origin.File, c.release.file, ib.file}
		if c.include != nil {
			sources = append(sources, c.include.file)
		}
		for _, s := range g.settings {
			if s.rule.matches(c) {
				s.rule.matched++
				sources = append(sources, s.rule.file)
				sources = append(sources, g.apply(&cell, s)...)
			}
		}
		slices.Sort(sources)
		cell.Sources = slices.Compact(sources)
		cell.BuildKey = buildKey(cell)
		cells = append(cells, cell)
	}
	return cells
}

// apply adds one settings rule to the cell and returns the var files it read.
func (g *grid) apply(cell *record.Cell, s *settings) []string {
	var read []string
	for _, vf := range s.decl.VarFiles {
		p, sum, err := g.varFile(s.rule.file, vf.Value)
		if err != nil {
			g.errs.add(vf.Pos, "settings.varFiles", err.Error())
			continue
		}
		read = append(read, p)
		if !slices.ContainsFunc(cell.VarFiles, func(v record.VarFile) bool { return v.Path == p }) {
			cell.VarFiles = append(cell.VarFiles, record.VarFile{Path: p, SHA256: sum})
		}
	}
	if len(s.decl.Vars) > 0 {
		if cell.Vars == nil {
			cell.Vars = map[string]string{}
		}
		for k, v := range s.decl.Vars {
			cell.Vars[k] = v
		}
	}
	if s.decl.ReplacesDefault != nil {
		cell.ReplacesDefault = *s.decl.ReplacesDefault
	}
	switch cell.Infra {
	case record.InfraAWS:
		if a := s.decl.AWS; a != nil {
			h := cmp.Or(cell.Publish.AWS, &record.AWSHints{})
			h.Regions = orList(a.Regions, h.Regions)
			h.Accounts = orList(a.Accounts, h.Accounts)
			h.Organizations = orList(a.Organizations, h.Organizations)
			h.OrganizationalUnits = orList(a.OrganizationalUnits, h.OrganizationalUnits)
			if a.Public != nil {
				h.Public = *a.Public
			}
			cell.Publish.AWS = h
		}
	case record.InfraVSphere:
		if v := s.decl.VSphere; v != nil {
			h := cmp.Or(cell.Publish.VSphere, &record.VSphereHints{})
			h.Datacenter = cmp.Or(v.Datacenter, h.Datacenter)
			h.Cluster = cmp.Or(v.Cluster, h.Cluster)
			h.ResourcePool = cmp.Or(v.ResourcePool, h.ResourcePool)
			h.Datastore = cmp.Or(v.Datastore, h.Datastore)
			h.Folder = cmp.Or(v.Folder, h.Folder)
			h.Network = cmp.Or(v.Network, h.Network)
			h.ContentLibrary = cmp.Or(v.ContentLibrary, h.ContentLibrary)
			cell.Publish.VSphere = h
		}
	case record.InfraAzure:
		if z := s.decl.Azure; z != nil {
			h := cmp.Or(cell.Publish.Azure, &record.AzureHints{})
			h.ResourceGroup = cmp.Or(z.ResourceGroup, h.ResourceGroup)
			h.Gallery = cmp.Or(z.Gallery, h.Gallery)
			h.Regions = orList(z.Regions, h.Regions)
			cell.Publish.Azure = h
		}
	}
	return read
}

// varFile resolves a var file named in declFile (relative to its folder) to a slash path
// relative to the working directory, and hashes its bytes once per run.
func (g *grid) varFile(declFile, name string) (string, string, error) {
	p := name
	if !path.IsAbs(filepath.ToSlash(name)) {
		p = path.Join(path.Dir(declFile), filepath.ToSlash(name))
	}
	if sum, ok := g.fileHash[p]; ok {
		return p, sum, nil
	}
	data, err := os.ReadFile(filepath.FromSlash(p))
	if err != nil {
		return "", "", fmt.Errorf("var file %q (relative to the declaring file's folder): %w", name, err)
	}
	h := sha256.Sum256(data)
	sum := hex.EncodeToString(h[:])
	g.fileHash[p] = sum
	return p, sum, nil
}

// orList is a when it has elements, else b.
func orList(a, b []string) []string {
	if len(a) > 0 {
		return a
	}
	return b
}

func sortedMapKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
