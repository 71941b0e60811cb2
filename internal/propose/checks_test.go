package propose

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/catalog"
	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/testutil/golden"
)

// TestBodyShowsNodeImageChecks: the pull request shows, per image, every node image report of
// its build, check by check, and an update keeps the checks of images it did not publish again.
func TestBodyShowsNodeImageChecks(t *testing.T) {
	applied := func(id string, reps ...record.NodeImageReport) catalog.Applied {
		return catalog.Applied{
			Cell: record.Cell{ID: id}, Infra: record.InfraVSphere,
			Images:    []catalog.Image{{Key: catalog.Key{ImageType: catalog.ImageOVA}, Ref: catalog.Ref{"version": id + "-v"}, Object: "OSImage/" + id}},
			Changes:   []record.CatalogChange{{Object: "OSImage/" + id, Action: "created"}},
			NodeImage: reps,
		}
	}
	goss := record.NodeImageReport{Source: record.NodeImageSourceGoss, Verdict: record.NodeImagePassed, Checks: []record.NodeImageCheck{
		{Name: "kubeadm", Expected: "1.30.2+vmware.1", Found: "1.30.2+vmware.1", Where: "tkg-config/x/goss/goss.yaml: Command kubeadm version | jq: stdout", OK: true},
		{Name: "cloud-init", Expected: "enabled", Found: "enabled", Where: "tkg-config/x/goss/goss.yaml: Service cloud-init: enabled", OK: true},
	}}
	inspection := record.NodeImageReport{Source: record.NodeImageSourceInspection, Verdict: record.NodeImagePassed, Checks: []record.NodeImageCheck{
		{Name: "image registry.k8s.io/pause:3.9", Expected: "3.9", Found: "3.9", Where: "/var/lib/containerd", OK: true},
	}}
	first := Body([]catalog.Applied{applied("vsphere-ubuntu-2204", goss, inspection), applied("vsphere-rhel-8")}, "https://example.com/runs/1", "")
	golden.Check(t, filepath.Join("testdata", "body-checks.md"), first)

	failed := goss
	failed.Verdict, failed.Reason = record.NodeImageFailed, "goss did not confirm kubeadm (1.29.6)"
	failed.Checks = []record.NodeImageCheck{{Name: "kubeadm", Expected: "1.30.2+vmware.1", Found: "1.29.6", Where: "goss"}}
	second := Body([]catalog.Applied{applied("vsphere-rhel-8", failed)}, "https://example.com/runs/2", first)
	for _, want := range []string{
		"<code>vsphere-ubuntu-2204</code>: goss passed", "<code>vsphere-ubuntu-2204</code>: inspection passed",
		"<code>vsphere-rhel-8</code>: goss failed: goss did not confirm kubeadm (1.29.6)", "| kubeadm | 1.30.2+vmware.1 | 1.29.6 | goss | ❌ |",
	} {
		if !strings.Contains(second, want) {
			t.Errorf("the updated body lacks %q:\n%s", want, second)
		}
	}
	if strings.Contains(second, "no node image report") || strings.Count(second, checksStart+"vsphere-rhel-8 ") != 1 {
		t.Errorf("the updated body kept the replaced checks of vsphere-rhel-8:\n%s", second)
	}
}
