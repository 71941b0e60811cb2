package localpipeline

import (
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/grid"
	"github.com/imagegrid/imagegrid/internal/record"
)

// TestExampleCatalogHasEveryShippedRelease: whatever --only chooses of the shipped grid
// (--only os=windows-2019 takes all three releases), the example catalog has its TKr, so the
// local run catalogues it as TKG's catalog would.
func TestExampleCatalogHasEveryShippedRelease(t *testing.T) {
	t.Chdir("../..")
	cells, err := grid.Load("matrices")
	if err != nil {
		t.Fatal(err)
	}
	tkrs := map[string]bool{}
	for _, c := range cells {
		tkrs[c.Kubernetes.TKr] = true
	}
	if len(tkrs) < 3 {
		t.Fatalf("the shipped grid has TKrs %v; want its three releases", tkrs)
	}
	if err := checkReleases("examples/catalog", cells); err != nil {
		t.Error(err)
	}
}

// TestMissingReleaseIsNamedBeforeBuilding: a chosen cell whose TKr the example catalog lacks
// stops the run before any build, naming the TKr, its cells, where its package goes, and a
// release the catalog has.
func TestMissingReleaseIsNamedBeforeBuilding(t *testing.T) {
	cell := func(id, tkr string) record.Cell {
		return record.Cell{ID: id, Kubernetes: record.Kubernetes{TKr: tkr}}
	}
	cells := []record.Cell{
		cell("vsphere-windows-2019-amd64-v1.30.2---vmware.1", "v1.30.2+vmware.1-tkg.1"),
		cell("vsphere-windows-2019-amd64-v1.27.16---vmware.1", "v1.27.16+vmware.1-tkg.1"),
		cell("aws-ubuntu-2204-amd64-v1.27.16---vmware.1", "v1.27.16+vmware.1-tkg.1"),
		cell("vsphere-ubuntu-2204-amd64-v1.30.2", ""), // upstream Image Builder: no TKr to find
	}
	err := checkReleases("../../examples/catalog", cells)
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{
		"has no TanzuKubernetesRelease for 1 release(s)",
		"TKr v1.27.16+vmware.1-tkg.1 (cells vsphere-windows-2019-amd64-v1.27.16---vmware.1, aws-ubuntu-2204-amd64-v1.27.16---vmware.1)",
		"../../examples/catalog/v1.27.16---vmware.1-tkg.1/config/TanzuKubernetesRelease.yml",
		"add tkr=v1.30.2+vmware.1-tkg.1 to the --only filter",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if err := checkReleases("../../examples/catalog", cells[:1]); err != nil {
		t.Errorf("a cell of a catalogued release: %v", err)
	}
}
