package imagebuilder

import (
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/imagegrid/imagegrid/internal/record"
)

// The layout of a TKr's TKG Image Builder configuration, as VMware publishes it for each TKr
// (and its procedure mounts it into the Image Builder container): tkg.json, the variables,
// with <IP> and <PORT> standing for the resource bundle's address; tkg/, the Ansible role that
// tkg.json's custom_role_names names; goss/, the goss spec of the TKr. Its metadata.json is not
// used: imagegrid writes its own, with a VERSION unique to the build.
const (
	TKGConfigVars  = "tkg.json"
	TKGConfigRoles = "tkg"
	TKGConfigGoss  = "goss"
)

// composedVars are the Packer variables build composes from the grid's roles and the
// release's tkgConfig: the Ansible roles Image Builder runs (ansible/node.yml includes
// custom_role_names, then node_custom_roles_post: a role named in both would run twice) and
// the goss spec it validates with. They are owned (OwnedVars): roles are declared with the
// grid's roles and tkgConfig instead.
var composedVars = []string{
	"custom_role", "custom_role_names", "node_custom_roles_pre", "node_custom_roles_post",
	"goss_tests_dir", "goss_entry_file", "goss_format",
}

// BundleVars decodes the tkg.json of a TKG configuration with the resource bundle's address
// substituted for VMware's <IP> and <PORT> placeholders. name is the file, for errors.
func BundleVars(name string, data []byte, bundleURL string) (map[string]any, error) {
	host, port, err := net.SplitHostPort(strings.TrimPrefix(strings.TrimSuffix(bundleURL, "/"), "http://"))
	if err != nil {
		return nil, fmt.Errorf("resource bundle address %q: %w", bundleURL, err)
	}
	var vars map[string]any
	if err := json.Unmarshal(data, &vars); err != nil {
		return nil, fmt.Errorf("%s: want a JSON object of packer variables (VMware's tkg.json): %w", name, err)
	}
	address := strings.NewReplacer("<IP>", host, "<PORT>", port)
	for k, v := range vars {
		if s, ok := v.(string); ok {
			vars[k] = address.Replace(s)
		}
	}
	return vars, nil
}

// GossSpecNames are the goss specs a TKG configuration may hold for cell c, in the order they
// are looked for: VMware's name for one infrastructure and OS
// (goss/vsphere-ubuntu-1.30.2+vmware.1-goss-spec.yaml), then goss/goss.yaml.
func GossSpecNames(c record.Cell) []string {
	return []string{
		fmt.Sprintf("%s/%s-%s-%s-goss-spec.yaml", TKGConfigGoss, c.Infra, c.OS.Name, strings.TrimPrefix(c.Kubernetes.Semver, "v")),
		TKGConfigGoss + "/goss.yaml",
	}
}

// Customisation are the owned variables: the roles Image Builder runs after installing
// Kubernetes, and the goss spec.
type Customisation struct {
	// Roles are role folders as Image Builder sees them, in order: the TKG configuration's
	// tkg/ role first, then the grid's roles.
	Roles []string
	// GossTestsDir and GossEntryFile name the goss spec (empty: Image Builder's own):
	// packer-provisioner-goss uploads the tests folder and runs the entry file, which is
	// relative to the folder holding it ("goss/<spec>").
	GossTestsDir, GossEntryFile string
}

// Vars returns the customisation as packer variables. Every role is in custom_role_names
// once and node_custom_roles_pre/post are empty, so that ansible/node.yml (v0.1.14:
// custom_role_names.split() + node_custom_roles_post.split()) runs each once, after the
// kubernetes role.
func (c Customisation) Vars() map[string]string {
	v := map[string]string{
		"custom_role":            strconv.FormatBool(len(c.Roles) > 0),
		"custom_role_names":      strings.Join(c.Roles, " "),
		"node_custom_roles_pre":  "",
		"node_custom_roles_post": "",
		"goss_format":            "json",
	}
	if c.GossEntryFile != "" {
		v["goss_tests_dir"], v["goss_entry_file"] = c.GossTestsDir, c.GossEntryFile
	}
	return v
}

// Setting is the effective value of a packer variable and the var file that set it last.
type Setting struct {
	Value string
	From  string
}

// imageBuilderDefaults are the defaults of Image Builder's packer/config files that decide
// whether Kubernetes is installed, for variables no var file of imagegrid's sets.
var imageBuilderDefaults = map[string]Setting{
	"kubernetes_cni_source_type": {Value: "pkg", From: "Image Builder's default (packer/config/cni.json)"},
	"kubernetes_source_type":     {Value: "pkg", From: "Image Builder's default (packer/config/kubernetes.json)"},
}

// CheckInstallsKubernetes refuses a TKG Linux cell whose effective variables (vars, in
// PACKER_VAR_FILES order, later winning) would not install Kubernetes from the resource
// bundle. Upstream ansible/roles/kubernetes/tasks/main.yml (v0.1.14 … v0.1.55) imports url.yml
// only when kubernetes_source_type and kubernetes_cni_source_type are both "http", and
// packer/config/cni.json defaults the latter to "pkg"; url.yml, the containerd role and
// containerd's sandbox need the sources below, and packer/config/common.json's pause_image is
// registry.k8s.io's, not the TKr's.
func CheckInstallsKubernetes(c record.Cell, vars map[string]Setting, bundleURL string) error {
	get := effective(vars, imageBuilderDefaults)
	var problems []string
	for _, name := range []string{"kubernetes_source_type", "kubernetes_cni_source_type"} {
		if s := get(name); s.Value != "http" {
			problems = append(problems, fmt.Sprintf("%s is %q (set by %s), want \"http\": Image Builder installs Kubernetes from the bundle only when kubernetes_source_type and kubernetes_cni_source_type are both \"http\" (ansible/roles/kubernetes/tasks/main.yml)", name, s.Value, s.From))
		}
	}
	for _, name := range []string{"kubernetes_http_source", "kubernetes_cni_http_source", "kubernetes_cni_semver", "containerd_url", "containerd_sha256", "pause_image"} {
		if s := get(name); strings.TrimSpace(s.Value) == "" {
			problems = append(problems, fmt.Sprintf("%s is empty (set by %s): want the resource bundle's (tkg.json sets it)", name, s.From))
		}
	}
	// The binaries come from the TKr's resource bundle, which build starts and tkg.json names
	// (<IP>:<PORT>): a source elsewhere would put binaries imagegrid never checked in the image.
	if bundleURL != "" {
		for _, name := range []string{"kubernetes_http_source", "kubernetes_cni_http_source", "containerd_url"} {
			if s := get(name); s.Value != "" && !strings.HasPrefix(s.Value, strings.TrimSuffix(bundleURL, "/")+"/") {
				problems = append(problems, fmt.Sprintf("%s is %q (set by %s): want a file of the TKr's resource bundle at %s", name, s.Value, s.From, bundleURL))
			}
		}
	}
	if s, reg := get("pause_image"), Registry(c.Kubernetes.ResourceBundle); s.Value != "" && !strings.HasPrefix(s.Value, reg+"/") {
		problems = append(problems, fmt.Sprintf("pause_image is %q (set by %s): want the TKr's sandbox image from %s, the registry of its resource bundle", s.Value, s.From, reg))
	}
	if s := get("kubernetes_semver"); s.Value != c.Kubernetes.Semver {
		problems = append(problems, fmt.Sprintf("kubernetes_semver is %q (set by %s), the cell's release is %s: is this the TKG configuration of TKr %s?", s.Value, s.From, c.Kubernetes.Semver, c.Kubernetes.TKr))
	}
	if len(problems) > 0 {
		return fmt.Errorf("cell %s: Image Builder would not install Kubernetes %s from the resource bundle:\n  %s", c.ID, c.Kubernetes.Semver, strings.Join(problems, "\n  "))
	}
	return nil
}

// Registry is the registry and project of an image reference:
// "projects.registry.vmware.com/tkg/linux-resource-bundle:v1" → "projects.registry.vmware.com/tkg".
func Registry(image string) string {
	repo, _, _ := strings.Cut(image, "@")
	if i := strings.LastIndex(repo, "/"); i >= 0 {
		return repo[:i]
	}
	return repo
}
