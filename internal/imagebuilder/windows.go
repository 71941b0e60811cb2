package imagebuilder

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/imagegrid/imagegrid/internal/record"
)

// A Windows node image for TKG on vSphere is built the way VMware's procedure for Windows
// custom machine images does it: the TKr's windows-resource-bundle serves Kubernetes,
// containerd and the other Windows executables; a windows.json names them (with the bundle's
// address) beside the datastore paths of the Windows and VMware Tools ISOs; the user's
// autounattend.xml replaces upstream's; and the OVA is exported with ovftool
// (IB_OVFTOOL=1, IB_OVFTOOL_ARGS=--skipManifestCheck).
const (
	// TKGConfigWindowsVars is the Windows variable file of a TKr's TKG configuration, with
	// <IP> and <PORT> standing for the windows-resource-bundle's address, as tkg.json is for
	// Linux.
	TKGConfigWindowsVars = "windows.json"
	// WindowsOVFToolArgs are the IB_OVFTOOL_ARGS of TKG's Windows procedure. Upstream's
	// hack/image-build-ova.py (v0.1.14 … v0.1.55) writes no .mf when IB_OVFTOOL is set and
	// runs "ovftool <IB_OVFTOOL_ARGS> <ovf> <ova>": ovftool must not look for the manifest.
	WindowsOVFToolArgs = "--skipManifestCheck"
)

// windowsVars are the packer variables build writes for a Windows cell from the grid's
// windows settings (WindowsVars); they are owned, like Vars.
var windowsVars = []string{"os_iso_path", "vmtools_iso_path"}

// IsWindows reports whether c builds a Windows image.
func IsWindows(c record.Cell) bool { return c.OS.Type == "windows" }

// WindowsVars are os_iso_path and vmtools_iso_path from the grid. Upstream's
// packer/ova/windows-2019.json (and -2022) only name placeholders ("[datastore]
// ISO/en_windows_server_2019_x64_dvd_4cb967d8.iso"), which packer-windows.json's vsphere-iso
// builder mounts as iso_paths.
func WindowsVars(c record.Cell) map[string]string {
	if c.Windows == nil {
		return map[string]string{}
	}
	return map[string]string{"os_iso_path": c.Windows.ISOPath, "vmtools_iso_path": c.Windows.VMToolsISOPath}
}

// AnswerFilePath is where Image Builder reads a Windows cell's answer file, relative to
// images/capi: packer/ova/packer-windows.json puts
// "./packer/ova/windows/{{user `build_name`}}/autounattend.xml" on the build VM's floppy,
// build_name being the OS id (packer/ova/windows-2019.json), and the Makefile's vSphere
// target rewrites that file in place first (hack/windows-ova-unattend.py sets its TimeZone
// from unattend_timezone), so it must be writable.
func AnswerFilePath(c record.Cell) string {
	return path.Join("packer/ova/windows", c.OS.ID, "autounattend.xml")
}

// MissingWindows are the keys of the grid's windows settings a Windows cell lacks:
// windows.isoPath, windows.vmToolsIsoPath, windows.answerFile.
func MissingWindows(c record.Cell) []string {
	w := c.Windows
	if w == nil {
		w = &record.Windows{}
	}
	var missing []string
	for _, f := range []struct{ key, value string }{
		{"windows.isoPath", w.ISOPath}, {"windows.vmToolsIsoPath", w.VMToolsISOPath}, {"windows.answerFile", w.AnswerFile.Path},
	} {
		if strings.TrimSpace(f.value) == "" {
			missing = append(missing, f.key)
		}
	}
	return missing
}

// CheckWindows reports what a Windows cell lacks to be built: the grid's windows settings.
func CheckWindows(c record.Cell) error {
	if missing := MissingWindows(c); len(missing) > 0 {
		return fmt.Errorf("cell %s: a Windows image needs %s (settings of the grid matching the cell): the datastore paths of the Windows and VMware Tools ISOs and the autounattend.xml Windows Setup reads", c.ID, strings.Join(missing, ", "))
	}
	return nil
}

// windowsDefaults are the defaults of Image Builder's Windows var files (v0.1.14:
// packer/config/common.json, packer/config/windows/common.json,
// packer/config/additional_components.json, packer/ova/packer-windows.json) that decide where
// Kubernetes and its companions come from, for variables no var file of imagegrid's sets.
var windowsDefaults = map[string]Setting{
	"runtime":                    {Value: "docker-ee", From: "Image Builder's default (packer/config/windows/common.json)"},
	"windows_service_manager":    {Value: "nssm", From: "Image Builder's default (packer/config/windows/common.json)"},
	"nssm_url":                   {Value: "https://upstreamartifacts.azureedge.net/nssm/nssm.exe", From: "Image Builder's default (packer/config/windows/common.json)"},
	"wins_url":                   {Value: "https://github.com/rancher/wins/releases/download/v0.0.4/wins.exe", From: "Image Builder's default (packer/ova/packer-windows.json)"},
	"kubernetes_base_url":        {Value: "https://kubernetesreleases.blob.core.windows.net/kubernetes/", From: "Image Builder's default (packer/ova/packer-windows.json)"},
	"cloudbase_init_url":         {Value: "https://github.com/cloudbase/cloudbase-init/releases/download/", From: "Image Builder's default (packer/ova/packer-windows.json)"},
	"pause_image":                {Value: "registry.k8s.io/pause:3.9", From: "Image Builder's default (packer/config/common.json)"},
	"load_additional_components": {Value: "false", From: "Image Builder's default (packer/config/additional_components.json)"},
	"additional_executables":     {Value: "false", From: "Image Builder's default (packer/config/additional_components.json)"},
}

// CheckWindowsInstallsKubernetes refuses a TKG Windows cell whose effective variables would
// not install Kubernetes from the TKr's windows-resource-bundle, as upstream's Windows roles
// read them (ansible/windows at v0.1.14, through packer/config/windows/ansible-args-windows.json):
// runtimes/ installs containerd only when runtime is "containerd" (the default is
// docker-ee), from containerd_url checked against containerd_sha256_windows; kubernetes/
// downloads kubernetes_base_url/<kubeadm|kubelet|kubectl|kube-proxy>.exe (the default base,
// kubernetesreleases.blob.core.windows.net, has no +vmware builds), nssm_url for the nssm
// service manager and wins_url when set; node_windows.yml installs cloudbase-init (which
// Cluster API's bootstrap needs) only when cloudbase_init_url is set; and
// load_additional_components/ downloads additional_executables_list when both
// load_additional_components and additional_executables are true.
func CheckWindowsInstallsKubernetes(c record.Cell, vars map[string]Setting, bundleURL string) error {
	get := effective(vars, windowsDefaults)
	var problems []string
	if s := get("runtime"); s.Value != "containerd" {
		problems = append(problems, fmt.Sprintf("runtime is %q (set by %s), want \"containerd\": ansible/windows/roles/runtimes installs containerd only then", s.Value, s.From))
	}
	problems = append(problems, windowsDownloads(get, bundleURL)...)
	if s, reg := get("pause_image"), Registry(c.Kubernetes.ResourceBundle); s.Value != "" && !strings.HasPrefix(s.Value, reg+"/") {
		problems = append(problems, fmt.Sprintf("pause_image is %q (set by %s): want the TKr's sandbox image from %s, the registry of its resource bundle", s.Value, s.From, reg))
	}
	if s := get("kubernetes_semver"); s.Value != c.Kubernetes.Semver {
		problems = append(problems, fmt.Sprintf("kubernetes_semver is %q (set by %s), the cell's release is %s: is this the Windows configuration of TKr %s?", s.Value, s.From, c.Kubernetes.Semver, c.Kubernetes.TKr))
	}
	for _, name := range windowsVars {
		if s := get(name); strings.TrimSpace(s.Value) == "" {
			problems = append(problems, fmt.Sprintf("%s is empty (set by %s): want the datastore path from the grid's windows settings", name, s.From))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("cell %s: Image Builder would not install Kubernetes %s from the windows-resource-bundle:\n  %s", c.ID, c.Kubernetes.Semver, strings.Join(problems, "\n  "))
	}
	return nil
}

// windowsDownloads reports what upstream's Windows roles would download from elsewhere than
// the windows-resource-bundle at bundleURL ("" when none runs: only emptiness is checked),
// or could not download at all, get giving each variable's effective setting.
func windowsDownloads(get func(string) Setting, bundleURL string) []string {
	bundle := strings.TrimSuffix(bundleURL, "/") + "/"
	var problems []string
	onBundle := func(name, value, from string) {
		if bundleURL != "" && !strings.HasPrefix(value, bundle) {
			problems = append(problems, fmt.Sprintf("%s is %q (set by %s): want a file of the TKr's windows-resource-bundle at %s", name, value, from, bundleURL))
		}
	}
	required := []string{"kubernetes_base_url", "containerd_url", "containerd_sha256_windows", "cloudbase_init_url", "pause_image"}
	if get("windows_service_manager").Value == "nssm" {
		required = append(required, "nssm_url")
	}
	for _, name := range required {
		s := get(name)
		if strings.TrimSpace(s.Value) == "" {
			problems = append(problems, fmt.Sprintf("%s is empty (set by %s): want the windows-resource-bundle's (windows.json of the TKG configuration sets it)", name, s.From))
			continue
		}
		if strings.HasSuffix(name, "_url") {
			onBundle(name, s.Value, s.From)
		}
	}
	if s := get("wins_url"); s.Value != "" {
		onBundle("wins_url", s.Value, s.From)
	}
	if get("load_additional_components").Value == "true" && get("additional_executables").Value == "true" {
		s := get("additional_executables_list")
		for _, u := range strings.Split(s.Value, ",") {
			onBundle("additional_executables_list", strings.TrimSpace(u), s.From)
		}
	}
	return problems
}

// effective returns a lookup of the effective value of a packer variable: vars (in
// PACKER_VAR_FILES order, later winning), else Image Builder's default, else empty.
func effective(vars, defaults map[string]Setting) func(string) Setting {
	return func(name string) Setting {
		if s, ok := vars[name]; ok {
			return s
		}
		if s, ok := defaults[name]; ok {
			return s
		}
		return Setting{From: "no var file"}
	}
}

// ownedWindowsVars are the variables of windowsVars a cell owns: all of them for a Windows
// cell, none otherwise.
func ownedWindowsVars(c record.Cell) []string {
	if !IsWindows(c) {
		return nil
	}
	return slices.Clone(windowsVars)
}
