package catalog

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/record"
)

// Default OSImages of the fixture TKr v1.30.2 that an ubuntu image may clash with.
const (
	defaultOVA   = "OSImage/v1.30.2---vmware.1-tkg.1-ubuntu-2204-amd64-ova"
	defaultAMI   = "OSImage/v1.30.2---vmware.1-tkg.1-ubuntu-2204-amd64-us-east-1"
	defaultAzure = "OSImage/v1.30.2---vmware.1-tkg.1-ubuntu-2204-amd64-azure"
)

// TestSelectorsDecideTheSameCombination: an image replaces (or, without replacesDefault, is
// refused beside) exactly the OSImages of its TKr that a selector of its infrastructure also
// matches — with tanzu-framework's selectors by default, or those of the publish config.
//
// Its cyclomatic complexity is above 15: each branch is an assertion of the scenario, not
// logic.
func TestSelectorsDecideTheSameCombination(t *testing.T) {
	cases := []struct {
		name      string
		selectors Selectors
		before    []record.PublishRecord
		record    record.PublishRecord
		// replaces is the OSImage the image takes the place of ("" for none).
		replaces string
		// refused holds what the refusal must say; empty means the record is applied.
		refused []string
	}{
		{name: "vsphere: 24.04 beside the 22.04 default is refused",
			record:  published("vsphere", "ubuntu-2404", tkr130, false, "a"),
			refused: []string{defaultOVA, "TanzuKubernetesRelease.yml:3", "is a default image", "OSImage/v1.30.2---vmware.1-tkg.1-ubuntu-2404-amd64-ova-imagegrid", "image-type=ova,os-name=ubuntu", `vsphere clusters resolve with "image-type,os-name"`, "replacesDefault: true", "catalog.selectors.vsphere"}},
		{name: "vsphere: 24.04 with replacesDefault replaces the 22.04 default",
			record: published("vsphere", "ubuntu-2404", tkr130, true, "a"), replaces: defaultOVA},
		{name: "vsphere: clusters that also select os-version keep both",
			selectors: Selectors{record.InfraVSphere: {{LabelImageType, LabelOSName, LabelOSVersion}}},
			record:    published("vsphere", "ubuntu-2404", tkr130, false, "a")},
		{name: "vsphere: another OS name is a combination of its own",
			record: published("vsphere", "rhel-8", tkr130, false, "a")},
		{name: "aws: 24.04 beside the 22.04 default is refused",
			record:  published("aws", "ubuntu-2404", tkr130, false, "b", "us-east-1"),
			refused: []string{defaultAMI, "ami-region=us-east-1,os-name=ubuntu,os-arch=amd64", `aws clusters resolve with "ami-region,os-name,os-arch"`, "catalog.selectors.aws"}},
		{name: "aws: 24.04 with replacesDefault replaces the 22.04 default of its region only",
			record: published("aws", "ubuntu-2404", tkr130, true, "b", "us-east-1"), replaces: defaultAMI},
		{name: "aws: a region without a default is a combination of its own",
			record: published("aws", "ubuntu-2404", tkr130, false, "b", "eu-west-1")},
		{name: "aws: clusters that select on the region and the OS name only (tanzu-framework v0.25 control planes)",
			selectors: Selectors{record.InfraAWS: {{"ami-region", LabelOSName}, {"ami-region", LabelOSName, LabelOSArch}}},
			record:    arm64(published("aws", "ubuntu-2204", tkr130, false, "b", "us-east-1")),
			refused:   []string{defaultAMI, "ami-region=us-east-1,os-name=ubuntu", `aws clusters resolve with "ami-region,os-name" and "ami-region,os-name,os-arch"`}},
		{name: "aws: arm64 beside the amd64 default is a combination of its own",
			record: arm64(published("aws", "ubuntu-2204", tkr130, false, "b", "us-east-1"))},
		{name: "azure: 24.04 beside the 22.04 default is kept (the selector has os-version)",
			record: published("azure", "ubuntu-2404", tkr130, false, "c")},
		{name: "azure: 22.04 beside the 22.04 default is refused",
			record:  published("azure", "ubuntu-2204", tkr130, false, "c"),
			refused: []string{defaultAzure, "os-name=ubuntu,os-version=2204", `azure clusters resolve with "os-name,os-version"`, "catalog.selectors.azure"}},
		{name: "azure: 22.04 with replacesDefault replaces the 22.04 default",
			record: published("azure", "ubuntu-2204", tkr130, true, "c"), replaces: defaultAzure},
		{name: "azure: clusters that select on the OS name only refuse 24.04 beside 22.04",
			selectors: Selectors{record.InfraAzure: {{LabelOSName}}},
			record:    published("azure", "ubuntu-2404", tkr130, false, "c"),
			refused:   []string{defaultAzure, "os-name=ubuntu", "catalog.selectors.azure"}},
		{name: "another cell's image is never replaced, even with replacesDefault",
			before:  []record.PublishRecord{published("vsphere", "ubuntu-2204", tkr130, true, "d")},
			record:  published("vsphere", "ubuntu-2404", tkr130, true, "e"),
			refused: []string{"OSImage/v1.30.2---vmware.1-tkg.1-ubuntu-2204-amd64-ova-imagegrid", "the image of cell vsphere-ubuntu-2204-amd64-v1.30.2---vmware.1", "image-type=ova,os-name=ubuntu", "only one of the two cells can be catalogued", "remove OSImage/v1.30.2---vmware.1-tkg.1-ubuntu-2204-amd64-ova-imagegrid from the TKr's spec.osImages"}},
		{name: "another cell's image in another region is a combination of its own",
			before: []record.PublishRecord{published("aws", "ubuntu-2204", tkr130, true, "d", "us-east-1")},
			record: published("aws", "ubuntu-2404", tkr130, true, "e", "eu-west-1")},
		{name: "a rebuild of the same cell updates its image in place",
			before: []record.PublishRecord{published("vsphere", "ubuntu-2404", tkr130, true, "d")},
			record: published("vsphere", "ubuntu-2404", tkr130, false, "e")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			selectors := DefaultSelectors().With(tc.selectors)
			dir := copyCatalog(t)
			if tc.before != nil {
				applyAndWrite(t, dir, selectors, tc.before, ApplyOptions{})
			}
			c, err := Load(os.DirFS(dir), selectors)
			if err != nil {
				t.Fatal(err)
			}
			applied, err := c.Apply([]record.PublishRecord{tc.record}, ApplyOptions{})
			if len(tc.refused) > 0 {
				if err == nil {
					t.Fatalf("applied %+v; want a refusal", applied)
				}
				for _, w := range append(tc.refused, tc.record.Cell.ID) {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("refusal %q does not say %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var replaced []string
			for _, img := range applied[0].Images {
				if img.Replaces != "" {
					replaced = append(replaced, img.Replaces)
				}
			}
			var want []string
			if tc.replaces != "" {
				want = []string{tc.replaces}
			}
			if !slices.Equal(replaced, want) {
				t.Errorf("replaced %v, want %v", replaced, want)
			}
			if err := c.Check(); err != nil {
				t.Errorf("the catalog breaks an invariant: %v", err)
			}
			tkr := c.tkrs[tkr130][0].obj
			if tc.replaces != "" && slices.Contains(tkr.OSImages, strings.TrimPrefix(tc.replaces, "OSImage/")) {
				t.Errorf("the TKr still lists %s", tc.replaces)
			}
			if name := strings.TrimPrefix(applied[0].Images[0].Object, "OSImage/"); !slices.Contains(tkr.OSImages, name) {
				t.Errorf("the TKr does not list the new OSImage %s", name)
			}
		})
	}
}

// TestRunWithClashingCells: two cells of one run whose images one selector matches in the
// same TKr are refused before any edit, whatever their replacesDefault.
func TestRunWithClashingCells(t *testing.T) {
	c, err := Load(os.DirFS("testdata/catalog"), nil)
	if err != nil {
		t.Fatal(err)
	}
	run := []record.PublishRecord{
		published("aws", "ubuntu-2204", tkr130, true, "a", "us-east-1", "us-west-2"),
		published("aws", "ubuntu-2404", tkr130, true, "b", "eu-west-1", "us-west-2"),
	}
	_, err = c.Apply(run, ApplyOptions{})
	for _, w := range []string{run[0].Cell.ID, run[1].Cell.ID, "TKr " + tkr130, "ami-region=us-west-2,os-name=ubuntu,os-arch=amd64", "only one of them can be catalogued", "catalog.selectors.aws"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("refusal %v does not say %q", err, w)
		}
	}
	if changes, _ := c.Changes(); len(changes) != 0 {
		t.Errorf("a refused run changed %v", changes)
	}
}

// TestCheckSelectors: Check reports two OSImages of a TKr that one selector matches, naming
// both, the selector and what to do; which pairs clash depends on the selectors.
func TestCheckSelectors(t *testing.T) {
	cases := []struct {
		name      string
		selectors Selectors
		want      []string
	}{
		{"the defaults hold on the fixture", nil, nil},
		{"clusters that select on the image type only", Selectors{record.InfraVSphere: {{LabelImageType}}},
			[]string{"OSImage/v1.30.2---vmware.1-tkg.1-ubuntu-2204-amd64-ova", "OSImage/v1.30.2---vmware.1-tkg.1-photon-5-amd64-ova", "both match the selector image-type=ova", "remove one of them from spec.osImages"}},
		{"clusters that select on a label the OSImages lack", Selectors{record.InfraVSphere: {{LabelImageType, "flavor"}}}, nil},
		{"aws clusters that ignore the region", Selectors{record.InfraAWS: {{LabelOSName, LabelOSArch}}},
			[]string{"-us-east-1", "-us-west-2", "os-name=ubuntu,os-arch=amd64"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(os.DirFS("testdata/catalog"), DefaultSelectors().With(tc.selectors))
			if err != nil {
				t.Fatal(err)
			}
			err = c.Check()
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			for _, w := range append(tc.want, "TanzuKubernetesRelease/v1.30.2---vmware.1-tkg.1") {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("violations %v do not say %q", err, w)
				}
			}
		})
	}
}

// TestResolverLabels: the labels a selector is matched against are those tanzu-framework's
// resolver derives: the spec wins over the object's own labels, the OS version is kept as
// written, ref fields keep their case and nested fields are joined.
func TestResolverLabels(t *testing.T) {
	got := resolverLabels(
		map[string]string{"os-name": "stale", "flavor": "cis"},
		osInfo{Type: "linux", Name: "ubuntu", Version: "22.04", Arch: "amd64"},
		ImageAzure,
		map[string]any{"resourceGroup": "rg", "version": "1.2.3+vmware.1", "nested": map[string]any{"x": 1}, "long": strings.Repeat("a", 70)},
	)
	want := map[string]string{
		"flavor": "cis", "os-type": "linux", "os-name": "ubuntu", "os-version": "22.04", "os-arch": "amd64",
		"image-type": "azure", "azure-resourceGroup": "rg", "azure-version": "1.2.3---vmware.1", "azure-nested-x": "1",
		"azure-long": strings.Repeat("a", 63),
	}
	if len(got) != len(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("label %s = %q, want %q", k, got[k], v)
		}
	}
}

func arm64(r record.PublishRecord) record.PublishRecord {
	r.Cell.OS.Arch = "arm64"
	r.Cell.ID = strings.Replace(r.Cell.ID, "-amd64-", "-arm64-", 1)
	return r
}
