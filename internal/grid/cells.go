package grid

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/imagegrid/imagegrid/internal/imagebuilder"
	"github.com/imagegrid/imagegrid/internal/limits"
	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/tree"
)

// newCandidate makes a candidate of its own site (addCandidate shares it).
func newCandidate(infra, osID, arch string, rel *release, origin Pos, include *rule) *candidate {
	return &candidate{site: &site{infra: infra, osID: osID, arch: arch, origin: origin, include: include}, release: rel}
}

// sanitize lower-cases s and turns + into --- and any other character but [a-z0-9._-] into -,
// character by character.
func sanitize(s string) string {
	s = strings.ReplaceAll(strings.ToLower(s), "+", "---")
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, s)
}

// cell makes the cell of candidate c, but for its build key, reporting its problems; ok is
// false when its image builder has no target for it.
func (g *grid) cell(c *candidate) (cell record.Cell, ok bool) {
	ib := c.release.builder
	tos := targetOS(c.osID, c.arch)
	if !slices.Contains(ib.decl.Targets[c.infra], tos) {
		g.errs.Add(c.origin, "", fmt.Sprintf("cell %s: image builder %q (%s) has no %s target for %s; its %s targets are: %s",
			g.id(c), ib.name, ib.ref.Version, c.infra, tos, c.infra, listOrNone(ib.decl.Targets[c.infra])))
		return record.Cell{}, false
	}
	info := knownOS[c.osID]
	prefix := infraTargets[c.infra]
	cell = record.Cell{
		APIVersion:   record.APIVersion,
		Kind:         record.KindCell,
		ID:           g.id(c),
		Name:         c.infra + " " + c.osID + " " + c.arch + " " + c.release.k8s.Semver,
		Grid:         cmp.Or(g.name, DefaultGridName),
		Infra:        c.infra,
		OS:           record.OS{ID: c.osID, Name: info.name, Version: info.version, Arch: c.arch, Type: info.typ},
		Target:       record.Target{Build: prefix.Build + tos, Validate: prefix.Validate + tos},
		Kubernetes:   c.release.k8s,
		ImageBuilder: ib.ref,
	}
	sources := []string{c.origin.File, c.release.file, ib.file}
	// The TKG configuration's tkg.json builds Linux images, its windows.json Windows ones,
	// with the TKr's windows-resource-bundle.
	if c.release.tkgConfig != nil {
		cell.TKGConfig = c.release.tkgConfig
		sources = append(sources, c.release.tkgConfig.Path+"/")
		if info.typ == "windows" {
			cell.Kubernetes.ResourceBundle = c.release.windowsBundle
		}
	}
	if c.include != nil {
		sources = append(sources, c.include.file)
	}
	for i := range g.settingsIndex.rules(c.release.index) {
		if s := g.settings[i]; s.rule.matches(c) {
			s.rule.matched++
			sources = append(sources, s.rule.file)
			sources = append(sources, g.apply(&cell, s)...)
		}
	}
	if !g.checked {
		g.checkOSVars(c, cell)
		g.checkWindows(c, cell)
	}
	slices.Sort(sources)
	cell.Sources = slices.Compact(sources)
	return cell, true
}

// settingsRules are the match rules of the settings, in the same order.
func settingsRules(ss []*settings) []*rule {
	rules := make([]*rule, len(ss))
	for i, s := range ss {
		rules[i] = s.rule
	}
	return rules
}

// apply adds one settings rule to the cell and returns the var files it read.
func (g *grid) apply(cell *record.Cell, s *settings) []string {
	read := g.applyVarFiles(cell, s)
	read = append(read, g.applyRoles(cell, s)...)
	g.applyVars(cell, s)
	read = append(read, g.applyOS(cell, s)...)
	g.applyHints(cell, &s.decl)
	return read
}

// applyVarFiles adds the rule's var files to the cell, each once, and returns their paths.
func (g *grid) applyVarFiles(cell *record.Cell, s *settings) []string {
	var read []string
	for _, vf := range s.decl.VarFiles {
		p, sum, err := g.varFile(s.rule.file, vf.Value)
		if err != nil {
			g.errs.Add(vf.Pos, "settings.varFiles", err.Error())
			continue
		}
		if !g.checked { // else it passed when the cell was first made
			if err := imagebuilder.CheckVars(*cell, g.varKeys[p], fmt.Sprintf("var file %q", vf.Value), nil); err != nil {
				g.errs.Add(vf.Pos, "settings.varFiles", err.Error())
			}
		}
		read = append(read, p)
		if !slices.ContainsFunc(cell.VarFiles, func(v record.VarFile) bool { return v.Path == p }) {
			cell.VarFiles = append(cell.VarFiles, record.VarFile{Path: p, SHA256: sum})
		}
	}
	return read
}

// applyRoles adds the rule's Ansible roles to the cell, each once, and returns their folders.
func (g *grid) applyRoles(cell *record.Cell, s *settings) []string {
	var read []string
	for _, role := range s.decl.Roles {
		// Ansible finds a role's tasks in tasks/main.yml or tasks/main.yaml.
		p, sum, err := g.folder(s.rule.file, role.Value, "tasks/main.yml", "tasks/main.yaml")
		if err != nil {
			g.errs.Add(role.Pos, "settings.roles", err.Error())
			continue
		}
		read = append(read, p+"/")
		if !slices.ContainsFunc(cell.Roles, func(r record.Folder) bool { return r.Path == p }) {
			cell.Roles = append(cell.Roles, record.Folder{Path: p, SHA256: sum})
		}
	}
	return read
}

// applyVars sets the rule's vars on the cell, a later rule's value over an earlier one's.
func (g *grid) applyVars(cell *record.Cell, s *settings) {
	if len(s.decl.Vars) == 0 {
		return
	}
	if cell.Vars == nil {
		cell.Vars = map[string]string{}
	}
	// The rule's vars are checked together; only when they fail is each checked again, to
	// report it at its own place.
	check := !g.checked && imagebuilder.CheckVars(*cell, s.decl.Vars, "vars", nil) != nil
	for _, k := range slices.Sorted(maps.Keys(s.decl.Vars)) {
		v := s.decl.Vars[k]
		if check {
			if err := imagebuilder.CheckVars(*cell, map[string]Scalar{k: v}, "vars", nil); err != nil {
				g.errs.Add(v.Pos, "settings.vars."+k, err.Error())
			}
		}
		cell.Vars[k] = v.Value
	}
}

// applyHints lays the rule's publish hints for the cell's infrastructure over the cell's.
func (g *grid) applyHints(cell *record.Cell, decl *settingsRule) {
	switch cell.Infra {
	case record.InfraAWS:
		if a := decl.AWS; a != nil {
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
		if v := decl.VSphere; v != nil {
			h := cmp.Or(cell.Publish.VSphere, &record.VSphereHints{})
			h.Datacenter = cmp.Or(v.Datacenter, h.Datacenter)
			h.Cluster = cmp.Or(v.Cluster, h.Cluster)
			h.Host = cmp.Or(v.Host, h.Host)
			h.ResourcePool = cmp.Or(v.ResourcePool, h.ResourcePool)
			h.Datastore = cmp.Or(v.Datastore, h.Datastore)
			h.Folder = cmp.Or(v.Folder, h.Folder)
			h.Network = cmp.Or(v.Network, h.Network)
			h.ContentLibrary = cmp.Or(v.ContentLibrary, h.ContentLibrary)
			if v.InsecureConnection != nil {
				h.InsecureConnection = *v.InsecureConnection
			}
			cell.Publish.VSphere = h
		}
	case record.InfraAzure:
		if z := decl.Azure; z != nil {
			cell.Publish.Azure = g.applyAzure(z, cmp.Or(cell.Publish.Azure, &record.AzureHints{}))
		}
	}
}

// applyAzure applies an Azure setting to a cell's hints h (its set fields win) and returns
// them; what Azure would refuse is reported where it is declared.
func (g *grid) applyAzure(z *azureDecl, h *record.AzureHints) *record.AzureHints {
	h.ResourceGroup = cmp.Or(z.ResourceGroup, h.ResourceGroup)
	h.Gallery = cmp.Or(z.Gallery, h.Gallery)
	h.Regions = orList(z.Regions, h.Regions)
	if z.ReplicaCount != nil {
		h.ReplicaCount = *z.ReplicaCount
	}
	h.StorageAccountType = cmp.Or(z.StorageAccountType, h.StorageAccountType)
	h.Subscriptions = orList(z.Subscriptions, h.Subscriptions)
	h.Tenants = orList(z.Tenants, h.Tenants)
	if z.Community != nil {
		h.Community = *z.Community
	}
	if !g.checked { // else it passed when the cell was first made
		g.checkAzure(z)
	}
	return h
}

// azureGUID is the form of Azure subscription and tenant ids.
var azureGUID = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// checkAzure reports the Azure settings Azure would refuse, where they are declared: the
// storage account types and replica counts a gallery image version's target region takes
// (armcompute's StorageAccountType; at most 100 replicas a region), subscription and
// tenant ids.
func (g *grid) checkAzure(z *azureDecl) {
	switch z.StorageAccountType {
	case "", "Standard_LRS", "Standard_ZRS", "Premium_LRS":
	default:
		g.errs.Add(z.Field("storageAccountType"), "settings.azure.storageAccountType", fmt.Sprintf("%q; want Standard_LRS, Standard_ZRS or Premium_LRS", z.StorageAccountType))
	}
	if n := z.ReplicaCount; n != nil && (*n < 1 || *n > 100) {
		g.errs.Add(z.Field("replicaCount"), "settings.azure.replicaCount", fmt.Sprintf("%d; want 1 to 100 replicas a region", *n))
	}
	for _, l := range []struct {
		key string
		ids []string
	}{{"subscriptions", z.Subscriptions}, {"tenants", z.Tenants}} {
		for _, id := range l.ids {
			if !azureGUID.MatchString(id) {
				g.errs.Add(z.Field(l.key), "settings.azure."+l.key, fmt.Sprintf("%q is not an id like 00000000-0000-0000-0000-000000000000", id))
			}
		}
	}
}

// checkOSVars reports a cell whose var files and vars lack what its OS cannot be built
// without (a RHEL ISO: upstream only ships a placeholder), at the place the cell is declared.
func (g *grid) checkOSVars(c *candidate, cell record.Cell) {
	var missing []string
	for _, k := range imagebuilder.RequiredOSVars(cell.OS.Name) {
		set := cell.Vars[k] != ""
		for _, vf := range cell.VarFiles {
			set = set || g.setsString(vf.Path, k)
		}
		if !set {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		g.errs.Add(c.origin, "", fmt.Sprintf("cell %s: a %s image needs %s in a var file or vars of a settings rule matching it: Image Builder's RHEL var files only name a placeholder ISO such as file:///rhel-9.4-x86_64-dvd.iso; name your own ISO and its checksum",
			g.id(c), cell.OS.Name, strings.Join(missing, " and ")))
	}
}

// setsString reports whether var file p (read by varFile) sets variable k to a non-empty
// string.
func (g *grid) setsString(p, k string) bool {
	var s string
	return json.Unmarshal(g.varKeys[p][k], &s) == nil && s != ""
}

// varFile resolves a var file named in declFile (relative to its folder, and inside it) to a
// slash path relative to the working directory, and reads it once per run: its sha256, and
// the variables it sets. It is read through an os.Root on that folder, so neither "..", an
// absolute path nor a link can reach a file outside it.
func (g *grid) varFile(declFile, name string) (string, string, error) {
	p, err := declaredPath(declFile, name)
	if err != nil {
		return "", "", fmt.Errorf("var file %w", err)
	}
	dir, rel := path.Dir(declFile), filepath.ToSlash(name)
	if sum, ok := g.fileHash[p]; ok {
		return p, sum, nil
	}
	root, err := os.OpenRoot(filepath.FromSlash(dir))
	if err != nil {
		return "", "", fmt.Errorf("var file %q: %w", name, err)
	}
	defer root.Close()
	data, err := limits.VarFile.ReadFS(root.FS(), path.Clean(rel), p)
	if err != nil {
		return "", "", fmt.Errorf("var file %q (relative to the declaring file's folder): %w", name, err)
	}
	var vars map[string]json.RawMessage
	if err := json.Unmarshal(data, &vars); err != nil {
		return "", "", fmt.Errorf("var file %q: want a JSON object of packer variables: %w", name, err)
	}
	h := sha256.Sum256(data)
	sum := hex.EncodeToString(h[:])
	g.fileHash[p], g.varKeys[p] = sum, vars
	return p, sum, nil
}

// folder resolves a folder named in declFile (relative to its folder) like varFile, checks
// that it holds one of the files want (slash paths), and digests its files once per run.
func (g *grid) folder(declFile, name string, want ...string) (string, string, error) {
	p, err := declaredPath(declFile, name)
	if err != nil {
		return "", "", fmt.Errorf("folder %w", err)
	}
	if sum, ok := g.fileHash[p+"/"]; ok {
		return p, sum, nil
	}
	dir, err := tree.Resolve(filepath.FromSlash(path.Dir(declFile)), filepath.FromSlash(name))
	if err != nil {
		return "", "", fmt.Errorf("folder %q: %w", name, err)
	}
	if !slices.ContainsFunc(want, func(w string) bool {
		info, err := os.Stat(filepath.Join(dir, filepath.FromSlash(w)))
		return err == nil && info.Mode().IsRegular()
	}) {
		return "", "", fmt.Errorf("folder %q (relative to the declaring file's folder): want a folder holding %s", name, strings.Join(want, " or "))
	}
	sum, err := tree.Digest(dir)
	if err != nil {
		return "", "", fmt.Errorf("folder %q: %w", name, err)
	}
	g.fileHash[p+"/"] = sum
	return p, sum, nil
}

// declaredPath resolves name, declared in declFile relative to its folder, to a slash path
// relative to the working directory. It must stay inside that folder: a grid names no file
// or folder outside its own (no "..", not absolute).
func declaredPath(declFile, name string) (string, error) {
	dir, rel := path.Dir(declFile), filepath.ToSlash(name)
	if path.IsAbs(rel) || filepath.IsAbs(name) || !filepath.IsLocal(filepath.FromSlash(rel)) {
		return "", fmt.Errorf("%q leaves the declaring file's folder %s: want a path relative to it, inside it (no \"..\", not absolute)", name, dir)
	}
	return path.Join(dir, rel), nil
}

// orList is a when it has elements, else b.
func orList(a, b []string) []string {
	if len(a) > 0 {
		return a
	}
	return b
}
