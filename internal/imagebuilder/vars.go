package imagebuilder

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/imagegrid/imagegrid/internal/record"
)

// Locations are where Image Builder must put this cell's outputs and cache, as paths it sees
// (inside its container for the docker executor). Giving each cell its own keeps several
// cells on one runner apart.
type Locations struct {
	// OutputDir is packer's output_dir: the OVA and its packer manifest land there.
	OutputDir string
	// ManifestOutput is manifest_output: the AMI and Azure packer manifest.
	ManifestOutput string
	// CacheDir is PACKER_CACHE_DIR.
	CacheDir string
}

// BuildVersion is the build_version of a cell: its id, unique per cell and safe as a name.
func BuildVersion(c record.Cell) string { return c.ID }

// Vars returns imagegrid's packer variables for a cell: its Kubernetes versions and the
// private output locations. User var files come after these and may override them.
func Vars(c record.Cell, loc Locations) map[string]string {
	return map[string]string{
		"kubernetes_semver":      c.Kubernetes.Semver,
		"kubernetes_series":      c.Kubernetes.Series,
		"kubernetes_deb_version": c.Kubernetes.DebVersion,
		"kubernetes_rpm_version": c.Kubernetes.RPMVersion,
		"build_version":          BuildVersion(c),
		"output_dir":             loc.OutputDir,
		"manifest_output":        loc.ManifestOutput,
	}
}

// OwnedVars are the packer variables build sets itself for cell c and relies on afterwards
// (where the outputs land, the Kubernetes versions the image is checked against, the roles
// and goss spec it composes): every variable of Vars, and composedVars. A grid's vars and var
// files may not set them; matrix and build refuse those that do. A variable build starts to
// set belongs in Vars or composedVars, and so is owned here too.
func OwnedVars(c record.Cell) []string {
	owned := slices.Collect(maps.Keys(Vars(c, Locations{})))
	owned = append(owned, composedVars...)
	owned = append(owned, ownedWindowsVars(c)...)
	slices.Sort(owned)
	return owned
}

// CheckVars refuses the variables of vars that c's build owns (see OwnedVars); where names
// the setting for the message ("var file x.json", "vars"), and line, when not nil, gives the
// line where a variable is set in it (0 when unknown).
func CheckVars[V any](c record.Cell, vars map[string]V, where string, line func(name string) int) error {
	var set []string
	for _, name := range OwnedVars(c) {
		if _, ok := vars[name]; ok {
			if line != nil && line(name) > 0 {
				name = fmt.Sprintf("%s (line %d)", name, line(name))
			}
			set = append(set, name)
		}
	}
	if len(set) == 0 {
		return nil
	}
	from := "the grid's kubernetes: release (version, debVersion, rpmVersion)"
	if IsTKG(c) {
		from += " and the TKr's resource bundle"
	}
	windows := ""
	if IsWindows(c) {
		windows = ", the Windows and VMware Tools ISOs from the grid's windows settings (isoPath, vmToolsIsoPath)"
	}
	return fmt.Errorf("%s sets %s, which imagegrid sets for every cell and relies on: outputs go to the cell's workspace, Kubernetes comes from %s, Ansible roles and the goss spec from the grid's roles (settings[].roles: folders of Ansible roles) and the release's tkgConfig%s; remove it", where, strings.Join(set, ", "), from, windows)
}

// IsTKG reports whether the cell is built the TKG way (resource bundle, OVF VERSION).
func IsTKG(c record.Cell) bool { return c.ImageBuilder.Flavor == record.FlavorTKG }

// OVAVersion is the VERSION OVF property of a TKG cell's OVA: the TKr version and the first
// 12 digits of the build key, so every build of a TKr has its own and a TKG OSImage's
// ref.version can name exactly this image.
func OVAVersion(c record.Cell) string { return c.Kubernetes.TKr + "-" + c.ShortKey() }

// Metadata is the JSON object for OVF_CUSTOM_PROPERTIES: each key becomes an OVF property.
func Metadata(c record.Cell) map[string]string {
	return map[string]string{"VERSION": OVAVersion(c)}
}

// CheckTKG reports what a TKG cell lacks to be built.
func CheckTKG(c record.Cell) error {
	var missing []string
	if c.Kubernetes.TKr == "" {
		missing = append(missing, "kubernetes.tkr")
	}
	if c.Kubernetes.ResourceBundle == "" {
		missing = append(missing, "kubernetes.resourceBundle")
	}
	if c.TKGConfig == nil {
		missing = append(missing, "tkgConfig (the TKr's TKG Image Builder configuration, which installs Kubernetes from the resource bundle)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("cell %s: the tkg flavor needs %s", c.ID, strings.Join(missing, " and "))
	}
	return nil
}

// Env is the environment Image Builder's Makefile reads.
type Env struct {
	// VarFiles are PACKER_VAR_FILES, in order (later files win).
	VarFiles []string
	// CacheDir is PACKER_CACHE_DIR.
	CacheDir string
	// OVFCustomProperties is the metadata.json path (TKG); empty for none.
	OVFCustomProperties string
	// OVFTool sets IB_OVFTOOL=1 (TKG builds export with ovftool), OVFToolArgs
	// IB_OVFTOOL_ARGS (TKG's Windows procedure: WindowsOVFToolArgs).
	OVFTool     bool
	OVFToolArgs string
	// Force adds -force to PACKER_FLAGS: upstream's packer-node.json keeps the build VM
	// (destroy: false) under the name build_version, and packer-plugin-vsphere refuses to
	// create a VM whose name exists unless forced (driver PreCleanVM), so a retry or rebuild
	// of the cell must replace the previous attempt's VM.
	Force bool
	// PackerFlags are the user's own PACKER_FLAGS, kept when Force adds to them.
	PackerFlags string
	// Placement is more NAME=value pairs Image Builder's scripts read (AzureEnv).
	Placement []string
}

// List returns the environment as NAME=value pairs in a stable order.
func (e Env) List() []string {
	env := []string{
		"PACKER_VAR_FILES=" + strings.Join(e.VarFiles, " "),
		"PACKER_CACHE_DIR=" + e.CacheDir,
	}
	if e.OVFCustomProperties != "" {
		env = append(env, "OVF_CUSTOM_PROPERTIES="+e.OVFCustomProperties)
	}
	if e.OVFTool {
		env = append(env, "IB_OVFTOOL=1")
	}
	if e.OVFToolArgs != "" {
		env = append(env, "IB_OVFTOOL_ARGS="+e.OVFToolArgs)
	}
	if e.Force {
		env = append(env, "PACKER_FLAGS="+strings.TrimSpace(e.PackerFlags+" -force"))
	}
	return append(env, e.Placement...)
}

// ExpectedProperties are the OVF properties an OVA built for c must carry with exactly these
// values; a mismatch means Image Builder did not build what the cell asked for.
func ExpectedProperties(c record.Cell) map[string]string {
	want := map[string]string{
		"KUBERNETES_SEMVER": c.Kubernetes.Semver,
		"DISTRO_NAME":       c.OS.Name,
		"DISTRO_VERSION":    c.OS.Version,
		"DISTRO_ARCH":       c.OS.Arch,
	}
	if IsTKG(c) {
		want["VERSION"] = OVAVersion(c)
	}
	return want
}
