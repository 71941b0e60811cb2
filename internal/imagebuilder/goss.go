package imagebuilder

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/imagegrid/imagegrid/internal/record"
)

// GossOutput is goss's JSON result, as packer-provisioner-goss prints it with Image Builder's
// goss_format "json" (packer/config/goss-args.json).
type GossOutput struct {
	Results []GossResult `json:"results"`
	Summary struct {
		FailedCount int `json:"failed-count"`
		TestCount   int `json:"test-count"`
	} `json:"summary"`
}

// GossResult is one goss test: a property of a resource, what was expected and found.
type GossResult struct {
	ResourceType string   `json:"resource-type"`
	ResourceID   string   `json:"resource-id"`
	Property     string   `json:"property"`
	Expected     []string `json:"expected"`
	Found        []string `json:"found"`
	Successful   bool     `json:"successful"`
}

// ParseGoss decodes one goss JSON result; other JSON (a packer manifest, Ansible output) is an
// error.
func ParseGoss(data []byte) (GossOutput, error) {
	var out GossOutput
	if err := json.Unmarshal(data, &out); err != nil {
		return out, err
	}
	if out.Results == nil {
		return out, fmt.Errorf("not a goss result: no results")
	}
	return out, nil
}

// nodeCheck is what Cluster API expects of a node image, and how to recognise goss's test of
// it in upstream's specs (packer/goss/goss-command.yaml, goss-package.yaml,
// goss-service.yaml) and TKG's.
type nodeCheck struct {
	name    string
	matches func(r GossResult) bool
	// version: the check must also have found the cell's Kubernetes version.
	version bool
}

func command(part string) func(GossResult) bool {
	return func(r GossResult) bool {
		return r.ResourceType == "Command" && r.Property == "stdout" && strings.Contains(r.ResourceID, part)
	}
}

func commandOrPackage(part, pkg string) func(GossResult) bool {
	cmd := command(part)
	return func(r GossResult) bool {
		return cmd(r) || r.ResourceType == "Package" && r.ResourceID == pkg
	}
}

var nodeChecks = []nodeCheck{
	{name: "kubeadm", matches: commandOrPackage("kubeadm version", "kubeadm"), version: true},
	{name: "kubelet", matches: commandOrPackage("kubelet --version", "kubelet"), version: true},
	{name: "kubectl", matches: commandOrPackage("kubectl version", "kubectl"), version: true},
	{name: "containerd", matches: command("containerd --version")},
	{name: "images", matches: command("crictl images")},
	{name: "cloud-init", matches: func(r GossResult) bool {
		return (r.ResourceType == "Service" || r.ResourceType == "Package") && r.ResourceID == "cloud-init"
	}},
}

// windowsNodeChecks are what Cluster API expects of a Windows node image, as upstream's
// Windows goss checks test it (packer/goss/goss-command.yaml and goss-service.yaml under OS
// "windows", goss-vars.yaml's common-windows-service; v0.1.14 … v0.1.55): the binaries by
// their version commands, containerd and the sandbox image kubeadm join needs by
// "Correct Containerd Version" and "Correct Containerd config" (no image is pulled ahead:
// TKG's windows.json sets prepull false), cloudbase-init, Windows' cloud-init, by its service.
var windowsNodeChecks = []nodeCheck{
	{name: "kubeadm", matches: command("kubeadm version"), version: true},
	{name: "kubelet", matches: command("kubelet --version"), version: true},
	{name: "kubectl", matches: command("kubectl version"), version: true},
	{name: "containerd", matches: command("Correct Containerd Version")},
	{name: "sandbox image", matches: command("Correct Containerd config")},
	{name: "cloudbase-init", matches: command("Windows Service - cloudbase-init")},
}

// NodeImageFromGoss reads goss's result for cell c as a node image report: kubeadm, kubelet
// and kubectl at the cell's version, containerd, the images kubeadm init/join need (one check
// each) and cloud-init, each as goss verified it (for Windows, windowsNodeChecks). An expectation goss did not test is a failed
// check. spec names the goss entry file, for the checks' Where.
func NodeImageFromGoss(c record.Cell, out GossOutput, spec string) record.NodeImageReport {
	rep := record.NodeImageReport{Source: record.NodeImageSourceGoss}
	version := strings.TrimPrefix(c.Kubernetes.Semver, "v")
	checks := nodeChecks
	if IsWindows(c) {
		checks = windowsNodeChecks
	}
	for _, nc := range checks {
		var hits []GossResult
		for _, r := range out.Results {
			if nc.matches(r) {
				hits = append(hits, r)
			}
		}
		if len(hits) == 0 {
			rep.Checks = append(rep.Checks, record.NodeImageCheck{Name: nc.name, Where: "not tested by " + spec})
			continue
		}
		if nc.name == "images" {
			rep.Checks = append(rep.Checks, imageChecks(hits[len(hits)-1], spec)...)
			continue
		}
		rep.Checks = append(rep.Checks, nc.check(hits, version, spec))
	}
	rep.Verdict = record.NodeImagePassed
	if bad := unconfirmed(rep.Checks); len(bad) > 0 {
		rep.Verdict = record.NodeImageFailed
		rep.Reason = "goss did not confirm " + strings.Join(bad, ", ")
	}
	return rep
}

// check is nc's verdict on the goss results it matched (hits): all successful and, for a
// version check, the cell's Kubernetes version found.
func (nc nodeCheck) check(hits []GossResult, version, spec string) record.NodeImageCheck {
	check := record.NodeImageCheck{Name: nc.name, OK: true}
	var where, expected, found []string
	for _, r := range hits {
		where = append(where, fmt.Sprintf("%s %s: %s", r.ResourceType, r.ResourceID, r.Property))
		check.OK = check.OK && r.Successful
		if r.Property == "stdout" || r.Property == "version" {
			expected, found = append(expected, r.Expected...), append(found, r.Found...)
			continue
		}
		// A boolean property (installed, enabled): say it as a word.
		expected = append(expected, r.Property)
		if slices.Equal(r.Found, []string{"true"}) {
			found = append(found, r.Property)
		} else {
			found = append(found, "not "+r.Property)
		}
	}
	check.Expected, check.Found = strings.Join(expected, ", "), strings.Join(found, ", ")
	if nc.version {
		check.Expected = version
		// upstream's Windows checks look for kubernetes_semver itself, with its "v".
		check.OK = check.OK && (slices.Contains(hits[0].Found, version) || slices.Contains(hits[0].Found, "v"+version) || hits[0].ResourceType == "Package")
	}
	check.Where = spec + ": " + strings.Join(where, "; ")
	return check
}

// unconfirmed names the failed checks, each with what goss found.
func unconfirmed(checks []record.NodeImageCheck) []string {
	var bad []string
	for _, ch := range checks {
		if !ch.OK {
			found := ch.Found
			if found == "" {
				found = "nothing"
			}
			if strings.HasPrefix(ch.Where, "not tested") {
				found = "not tested"
			}
			bad = append(bad, fmt.Sprintf("%s (%s)", ch.Name, found))
		}
	}
	return bad
}

// imageChecks makes one check per image goss expected in the crictl images list.
func imageChecks(r GossResult, spec string) []record.NodeImageCheck {
	var checks []record.NodeImageCheck
	for _, img := range r.Expected {
		ch := record.NodeImageCheck{Name: "image " + img, Expected: img, Where: fmt.Sprintf("%s: %s %s", spec, r.ResourceType, r.ResourceID)}
		if slices.Contains(r.Found, img) {
			ch.Found, ch.OK = img, true
		}
		checks = append(checks, ch)
	}
	if len(checks) == 0 {
		checks = append(checks, record.NodeImageCheck{Name: "images", Where: spec + ": " + r.ResourceID + " expects no image"})
	}
	return checks
}
