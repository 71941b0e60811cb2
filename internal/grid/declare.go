package grid

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/go-version"
	"github.com/imagegrid/imagegrid/internal/record"
)

// release is a validated Kubernetes release. A grid may have thousands, all kept while its
// cells stream: a release keeps what its cells need, not its declaration.
type release struct {
	index int // position in grid.releases
	rank  int // position in version order
	// version is the parsed version, for ranking releases and solving rules' constraints;
	// expand drops it once those are done.
	version *version.Version
	at      Pos               // where the version is declared
	k8s     record.Kubernetes // its Semver is the declared version
	// tkgConfigAt is where tkgConfig is declared, for the checks of Windows cells.
	tkgConfigAt Pos
	builder     *imageBuilder
	file        string
	// tkgConfig is the TKr's TKG Image Builder configuration (flavor tkg).
	tkgConfig *record.Folder
	// windowsBundle is the resource bundle of the release's Windows cells (flavor tkg).
	windowsBundle string
}

func (g *grid) addName(d *fileDecl) {
	if d.Name == "" {
		return
	}
	pos := d.Field("name")
	if err := record.CheckGridName(d.Name); err != nil {
		g.errs.Add(pos, "name", err.Error())
		return
	}
	if g.name != "" && g.name != d.Name {
		g.errs.Add(pos, "name", fmt.Sprintf("grid named %q here but %q at %s: files of one grid must agree", d.Name, g.name, g.namePos))
		return
	}
	g.name, g.namePos = d.Name, pos
}

func (g *grid) addBuilders(d *fileDecl) {
	for _, name := range slices.Sorted(maps.Keys(d.ImageBuilders)) {
		decl := d.ImageBuilders[name]
		key := "imageBuilders." + name
		if prev, ok := g.builders[name]; ok {
			g.errs.Add(decl.At, key, fmt.Sprintf("image builder declared twice: also at %s", prev.decl.At))
			continue
		}
		ib := &imageBuilder{name: name, decl: decl, file: d.At.File}
		ib.ref = record.ImageBuilder{Image: decl.Image, Version: decl.Version, Flavor: cmp.Or(decl.Flavor, record.FlavorUpstream)}
		if decl.Image == "" {
			g.errs.Add(decl.At, key+".image", "missing: want the Image Builder container image, e.g. registry.k8s.io/scl-image-builder/cluster-node-image-builder-amd64:v0.1.55")
		}
		if ib.ref.Version == "" {
			ib.ref.Version = imageTag(decl.Image)
			if ib.ref.Version == "" && decl.Image != "" {
				g.errs.Add(decl.Field("image"), key+".image", "the image has no tag to take the version from: add version: (e.g. v0.1.55)")
			}
		}
		if ib.ref.Flavor != record.FlavorUpstream && ib.ref.Flavor != record.FlavorTKG {
			g.errs.Add(decl.Field("flavor"), key+".flavor", fmt.Sprintf("%q is not a flavor: want upstream or tkg", decl.Flavor))
		}
		if len(decl.Targets) == 0 {
			g.errs.Add(decl.At, key+".targets", "missing: list the OS ids this release builds per infrastructure, e.g. targets: {vsphere: [ubuntu-2204]}")
		}
		for _, infra := range slices.Sorted(maps.Keys(decl.Targets)) {
			tkey := key + ".targets." + infra
			if _, ok := infraTargets[infra]; !ok {
				g.errs.Add(decl.Field("targets"), tkey, fmt.Sprintf("unknown infrastructure %q: want one of %s", infra, knownInfras()))
				continue
			}
			for _, t := range decl.Targets[infra] {
				if !knownTarget(t) {
					g.errs.Add(decl.Field("targets"), tkey, fmt.Sprintf("unknown OS %q: want one of %s (with -arm64 for arm64 targets)", t, knownOSIDs()))
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
		if r := g.release(d, "kubernetes["+strconv.Itoa(i)+"]", decl); r != nil {
			r.index = len(g.releases)
			g.releases = append(g.releases, r)
			g.byVersion[decl.Version] = r
		}
	}
}

// release is the Kubernetes release decl of d (at key) with its versions, image builder and
// TKG configuration, or nil after reporting why it is not one.
func (g *grid) release(d *fileDecl, key string, decl releaseDecl) *release {
	r := &release{at: decl.Field("version"), tkgConfigAt: decl.TKGConfig.Pos, file: d.At.File}
	m := kubernetesVersionRE.FindStringSubmatch(decl.Version)
	parsed, err := version.NewVersion(decl.Version)
	if m == nil || err != nil {
		g.errs.Add(decl.Field("version"), key+".version", fmt.Sprintf("%q is not a Kubernetes version: want v<major>.<minor>.<patch>[+<build>], e.g. v1.30.2 or v1.30.2+vmware.1", decl.Version))
		return nil
	}
	r.version = parsed
	if prev := g.byVersion[decl.Version]; prev != nil {
		g.errs.Add(decl.Field("version"), key+".version", fmt.Sprintf("Kubernetes release %s declared twice: also at %s", decl.Version, prev.at))
		return nil
	}
	r.builder = g.builderFor(decl, key)
	if r.builder == nil {
		return nil
	}
	core := m[1] + "." + m[2] + "." + m[3]
	pre := strings.Replace(m[4], "-", "~", 1) // packages spell v1.31.0-rc.1 as 1.31.0~rc.1
	r.k8s = record.Kubernetes{
		Semver:     decl.Version,
		Series:     "v" + m[1] + "." + m[2],
		DebVersion: cmp.Or(decl.DebVersion, core+pre+"-1.1"),
		RPMVersion: cmp.Or(decl.RPMVersion, core+pre),
		TKr:        decl.TKr,
	}
	if r.builder.ref.Flavor != record.FlavorTKG {
		if cmp.Or(decl.TKr, decl.ResourceBundle, decl.WindowsResourceBundle, decl.TKGConfig.Value) != "" {
			g.errs.Add(decl.At, key, fmt.Sprintf("tkr, resourceBundle, windowsResourceBundle and tkgConfig are for TKG builds, but image builder %q is of flavor upstream", r.builder.name))
			return nil
		}
		return r
	}
	if !g.tkgRelease(d, key, decl, r) {
		return nil
	}
	return r
}

// tkgRelease completes r, the release decl of a TKG image builder, with its TKr's resource
// bundle and TKG Image Builder configuration; it reports false after reporting what is
// missing or wrong.
func (g *grid) tkgRelease(d *fileDecl, key string, decl releaseDecl, r *release) bool {
	if decl.TKr == "" {
		g.errs.Add(decl.At, key+".tkr", fmt.Sprintf("missing: image builder %q is of flavor tkg, so the release needs its TKr version, e.g. %s-tkg.1", r.builder.name, decl.Version))
		return false
	}
	if !strings.HasPrefix(decl.TKr, decl.Version+"-") || kubernetesVersionRE.FindString(decl.TKr) == "" {
		g.errs.Add(decl.Field("tkr"), key+".tkr", fmt.Sprintf("%q is not a TKr version of %s: want %s-tkg.<n>", decl.TKr, decl.Version, decl.Version))
		return false
	}
	r.k8s.ResourceBundle = cmp.Or(decl.ResourceBundle, "projects.registry.vmware.com/tkg/linux-resource-bundle:"+strings.ReplaceAll(decl.TKr, "+", "_"))
	r.windowsBundle = cmp.Or(decl.WindowsResourceBundle, "projects.registry.vmware.com/tkg/windows-resource-bundle:"+strings.ReplaceAll(decl.TKr, "+", "_"))
	if decl.TKGConfig.Value == "" {
		g.errs.Add(decl.At, key+".tkgConfig", fmt.Sprintf("missing: image builder %q is of flavor tkg, so the release needs the folder of its TKr's TKG Image Builder configuration (tkg.json, the tkg/ Ansible roles, goss/), e.g. tkg-config/%s", r.builder.name, decl.TKr))
		return false
	}
	p, sum, err := g.folder(d.At.File, decl.TKGConfig.Value, "tkg.json")
	if err != nil {
		g.errs.Add(decl.TKGConfig.Pos, key+".tkgConfig", err.Error())
		return false
	}
	if err := tkgConfigRelease(p, decl.Version); err != nil {
		g.errs.Add(decl.TKGConfig.Pos, key+".tkgConfig", err.Error())
		return false
	}
	r.tkgConfig = &record.Folder{Path: p, SHA256: sum}
	return true
}

func (g *grid) builderFor(decl releaseDecl, key string) *imageBuilder {
	names := slices.Sorted(maps.Keys(g.builders))
	if decl.ImageBuilder == "" {
		if len(names) == 1 {
			return g.builders[names[0]]
		}
		g.errs.Add(decl.At, key+".imageBuilder", fmt.Sprintf("missing: name the image builder of this release, one of: %s", listOrNone(names)))
		return nil
	}
	ib, ok := g.builders[decl.ImageBuilder]
	if !ok {
		g.errs.Add(decl.Field("imageBuilder"), key+".imageBuilder", fmt.Sprintf("unknown image builder %q: declared are %s", decl.ImageBuilder, listOrNone(names)))
	}
	return ib
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "none (declare one under imageBuilders:)"
	}
	return strings.Join(names, ", ")
}

func (g *grid) addInfrastructures(d *fileDecl) {
	for _, infra := range slices.Sorted(maps.Keys(d.Infrastructures)) {
		decl := d.Infrastructures[infra]
		key := "infrastructures." + infra
		if _, ok := infraTargets[infra]; !ok {
			g.errs.Add(d.Field("infrastructures"), key, fmt.Sprintf("unknown infrastructure %q: want one of %s", infra, knownInfras()))
			continue
		}
		archs := g.archs(decl.Arch, decl.Field("arch"), key+".arch")
		for _, osID := range decl.OS {
			if _, ok := knownOS[osID.Value]; !ok {
				g.errs.Add(osID.Pos, key+".os", fmt.Sprintf("unknown OS %q: want one of %s", osID.Value, knownOSIDs()))
				continue
			}
			for _, r := range g.releases {
				for _, arch := range archs {
					if !g.addCandidate(newCandidate(infra, osID.Value, arch, r, osID.Pos, nil)) {
						return
					}
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
			g.errs.Add(pos, key, fmt.Sprintf("unknown architecture %q: want one of %s", a, strings.Join(knownArch, ", ")))
		}
	}
	return values
}

// tkgConfigRelease checks that the tkg.json of the TKG configuration in dir (slash path) is a
// JSON object whose kubernetes_semver, if it sets one, is the release's: a release pointed at
// another TKr's configuration would build that TKr's Kubernetes.
func tkgConfigRelease(dir, version string) error {
	name := path.Join(dir, "tkg.json")
	data, err := os.ReadFile(filepath.FromSlash(name))
	if err != nil {
		return err
	}
	var vars map[string]any
	if err := json.Unmarshal(data, &vars); err != nil {
		return fmt.Errorf("%s: want a JSON object of packer variables: %w", name, err)
	}
	if v, ok := vars["kubernetes_semver"]; ok && v != version {
		return fmt.Errorf("%s sets kubernetes_semver %v, the release is %s: is it the configuration of another TKr?", name, v, version)
	}
	return nil
}
