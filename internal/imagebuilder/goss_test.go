package imagebuilder

import (
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/record"
)

func gossResult(kind, id, prop string, expected, found []string) GossResult {
	ok := strings.Join(expected, " ") == strings.Join(found, " ")
	return GossResult{ResourceType: kind, ResourceID: id, Property: prop, Expected: expected, Found: found, Successful: ok}
}

// upstreamHTTP are the results of upstream's goss spec for a build from the resource bundle.
func upstreamHTTP(version string) []GossResult {
	return []GossResult{
		gossResult("Command", "containerd --version | awk", "stdout", []string{"1.6.33"}, []string{"1.6.33"}),
		gossResult("Command", "kubectl version --client -o json | jq", "stdout", []string{version}, []string{version}),
		gossResult("Command", "kubeadm version -o json | jq", "stdout", []string{version}, []string{version}),
		gossResult("Command", "kubelet --version | awk", "stdout", []string{version}, []string{version}),
		gossResult("Command", "crictl images | grep -v 'IMAGE ID'", "stdout", []string{"kube-apiserver", "pause"}, []string{"kube-apiserver", "pause"}),
		gossResult("Package", "cloud-init", "installed", []string{"true"}, []string{"true"}),
		gossResult("Service", "cloud-init", "enabled", []string{"true"}, []string{"true"}),
	}
}

func TestNodeImageFromGoss(t *testing.T) {
	t.Parallel()
	c := record.Cell{Kubernetes: record.Kubernetes{Semver: "v1.30.2+vmware.1"}}
	tests := []struct {
		name    string
		results func() []GossResult
		verdict string
		reason  string
	}{
		{name: "everything checked and found", results: func() []GossResult { return upstreamHTTP("1.30.2+vmware.1") }, verdict: record.NodeImagePassed},
		{name: "a spec of another release passes goss but not the cell", results: func() []GossResult { return upstreamHTTP("1.29.6+vmware.1") },
			verdict: record.NodeImageFailed, reason: "goss did not confirm kubeadm (1.29.6+vmware.1), kubelet (1.29.6+vmware.1), kubectl (1.29.6+vmware.1)"},
		{name: "Kubernetes not installed", results: func() []GossResult {
			r := upstreamHTTP("1.30.2+vmware.1")
			r[2] = gossResult("Command", "kubeadm version -o json | jq", "stdout", []string{"1.30.2+vmware.1"}, nil)
			return r
		}, verdict: record.NodeImageFailed, reason: "goss did not confirm kubeadm (nothing)"},
		{name: "a spec that does not test cloud-init", results: func() []GossResult { return upstreamHTTP("1.30.2+vmware.1")[:5] },
			verdict: record.NodeImageFailed, reason: "goss did not confirm cloud-init (not tested)"},
		{name: "a missing image", results: func() []GossResult {
			r := upstreamHTTP("1.30.2+vmware.1")
			r[4] = gossResult("Command", "crictl images | grep -v 'IMAGE ID'", "stdout", []string{"kube-apiserver", "pause"}, []string{"kube-apiserver"})
			return r
		}, verdict: record.NodeImageFailed, reason: "goss did not confirm image pause (nothing)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rep := NodeImageFromGoss(c, GossOutput{Results: tt.results()}, "tkg-config/x/goss/goss.yaml")
			if rep.Source != record.NodeImageSourceGoss || rep.Verdict != tt.verdict || rep.Reason != tt.reason {
				t.Errorf("report = %s %s %q, want %s %q", rep.Source, rep.Verdict, rep.Reason, tt.verdict, tt.reason)
			}
			var names []string
			for _, ch := range rep.Checks {
				names = append(names, ch.Name)
				if ch.Name == "cloud-init" && ch.OK && (ch.Expected != "installed, enabled" || ch.Found != "installed, enabled") {
					t.Errorf("cloud-init check = %+v, want the package installed and the service enabled", ch)
				}
			}
			if got := strings.Join(names, ","); got != "kubeadm,kubelet,kubectl,containerd,image kube-apiserver,image pause,cloud-init" {
				t.Errorf("checks = %s, want every expectation, tested or not", got)
			}
		})
	}
}

func TestParseGoss(t *testing.T) {
	t.Parallel()
	if _, err := ParseGoss([]byte(`{"builds": [], "last_run_uuid": "x"}`)); err == nil {
		t.Error("a packer manifest was taken for goss's result")
	}
	out, err := ParseGoss([]byte(`{"results": [{"resource-type": "Service", "resource-id": "cloud-init", "property": "enabled", "expected": ["true"], "found": ["true"], "successful": true}], "summary": {"failed-count": 0, "test-count": 1}}`))
	if err != nil || len(out.Results) != 1 || !out.Results[0].Successful || out.Summary.TestCount != 1 {
		t.Errorf("ParseGoss = %+v, %v", out, err)
	}
}

// upstreamWindows are the results of upstream's Windows goss checks for a TKG Windows build.
func upstreamWindows(semver string) []GossResult {
	return []GossResult{
		gossResult("Command", "kubectl version --client", "stdout", []string{semver, "windows", "amd64"}, []string{semver, "windows", "amd64"}),
		gossResult("Command", "kubeadm version", "stdout", []string{semver, "windows", "amd64"}, []string{semver, "windows", "amd64"}),
		gossResult("Command", "kubelet --version", "stdout", []string{semver}, []string{semver}),
		gossResult("Command", "Correct Containerd Version", "stdout", []string{"1.6.33+vmware.1"}, []string{"1.6.33+vmware.1"}),
		gossResult("Command", "Correct Containerd config", "stdout", []string{`sandbox_image = "projects.registry.vmware.com/tkg/pause:3.9"`}, []string{`sandbox_image = "projects.registry.vmware.com/tkg/pause:3.9"`}),
		gossResult("Command", "Windows Service - cloudbase-init", "stdout", []string{"Manual", "Stopped"}, []string{"Manual", "Stopped"}),
	}
}

// TestNodeImageFromWindowsGoss: a Windows cell's goss result is read against upstream's
// Windows checks, whose version commands look for kubernetes_semver with its "v".
func TestNodeImageFromWindowsGoss(t *testing.T) {
	t.Parallel()
	c := record.Cell{OS: record.OS{Type: "windows"}, Kubernetes: record.Kubernetes{Semver: "v1.30.2+vmware.1"}}
	tests := []struct {
		name    string
		results []GossResult
		verdict string
		reason  string
	}{
		{"everything checked and found", upstreamWindows("v1.30.2+vmware.1"), record.NodeImagePassed, ""},
		{"another release's binaries", upstreamWindows("v1.29.6+vmware.1"), record.NodeImageFailed, "goss did not confirm kubeadm (v1.29.6+vmware.1, windows, amd64), kubelet (v1.29.6+vmware.1), kubectl (v1.29.6+vmware.1, windows, amd64)"},
		{"no cloudbase-init", upstreamWindows("v1.30.2+vmware.1")[:5], record.NodeImageFailed, "goss did not confirm cloudbase-init (not tested)"},
		{"Linux checks only", upstreamHTTP("1.30.2+vmware.1"), record.NodeImageFailed, "goss did not confirm containerd (not tested), sandbox image (not tested), cloudbase-init (not tested)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rep := NodeImageFromGoss(c, GossOutput{Results: tt.results}, "packer/goss/goss.yaml")
			if rep.Verdict != tt.verdict || rep.Reason != tt.reason {
				t.Errorf("report = %s %q, want %s %q", rep.Verdict, rep.Reason, tt.verdict, tt.reason)
			}
		})
	}
}
