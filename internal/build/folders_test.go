package build

import (
	"os"
	"path/filepath"
	"testing"
)

// TestGossSpecPrefersVMwaresName: a TKG configuration as VMware ships it names its goss spec
// per infrastructure, OS and Kubernetes version; goss/goss.yaml is the fallback.
func TestGossSpecPrefersVMwaresName(t *testing.T) {
	t.Parallel()
	c := tkgCell()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "goss"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"goss.yaml", "aws-ubuntu-1.30.2+vmware.1-goss-spec.yaml"} {
		if err := os.WriteFile(filepath.Join(dir, "goss", name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := gossSpec(c, dir); err != nil || got != "goss/goss.yaml" {
		t.Errorf("without the cell's own spec: %q, %v; want goss/goss.yaml", got, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "goss", "vsphere-ubuntu-1.30.2+vmware.1-goss-spec.yaml"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := gossSpec(c, dir); err != nil || got != "goss/vsphere-ubuntu-1.30.2+vmware.1-goss-spec.yaml" {
		t.Errorf("with the cell's own spec: %q, %v", got, err)
	}
}
