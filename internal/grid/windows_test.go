package grid

import (
	"cmp"
	"path/filepath"
	"strings"
	"testing"
)

const windowsKeyGrid = `apiVersion: imagegrid.io/v1alpha1
kind: Grid
imageBuilders:
  ib:
    image: registry.k8s.io/scl-image-builder/cluster-node-image-builder-amd64:v0.1.55
    targets: {vsphere: [ubuntu-2204, windows-2019]}
kubernetes:
  - version: v1.30.2
infrastructures:
  vsphere: {os: [ubuntu-2204, windows-2019]}
settings:
  - match: {os: windows-2019}
    windows:
      isoPath: "[ds1] ISO/windows-2019.iso"
      vmToolsIsoPath: "[ds1] ISO/vmtools.iso"
      answerFile: autounattend.xml
`

// TestWindowsBuildKey: a Windows cell's answer file and ISO paths are part of its build key
// (a new answer file or ISO is a new image) and of no other cell's.
func TestWindowsBuildKey(t *testing.T) {
	dir := t.TempDir()
	grid := filepath.Join(dir, "grid.yaml")
	answer := filepath.Join(dir, "autounattend.xml")
	writeFile(t, grid, windowsKeyGrid)
	writeFile(t, answer, `<unattend xmlns="urn:schemas-microsoft-com:unattend"/>`)
	const win, linux = "vsphere-windows-2019-amd64-v1.30.2", "vsphere-ubuntu-2204-amd64-v1.30.2"
	base := keys(t, dir)
	if base[win] == "" || base[linux] == "" {
		t.Fatalf("cells: %v", base)
	}
	for _, tc := range []struct {
		name         string
		grid, answer string
	}{
		{"answer file", windowsKeyGrid, `<unattend xmlns="urn:schemas-microsoft-com:unattend"><!-- a KMS host --></unattend>`},
		{"Windows ISO", strings.Replace(windowsKeyGrid, "ISO/windows-2019.iso", "ISO/windows-2019-2025-01.iso", 1), ""},
		{"VMware Tools ISO", strings.Replace(windowsKeyGrid, "ISO/vmtools.iso", "ISO/vmtools-12.5.iso", 1), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := t.TempDir()
			writeFile(t, filepath.Join(d, "grid.yaml"), tc.grid)
			writeFile(t, filepath.Join(d, "autounattend.xml"), cmp.Or(tc.answer, `<unattend xmlns="urn:schemas-microsoft-com:unattend"/>`))
			got := keys(t, d)
			if got[win] == base[win] {
				t.Errorf("changing the %s left the Windows cell's build key as it was", tc.name)
			}
			if got[linux] != base[linux] {
				t.Errorf("changing the %s changed the Linux cell's build key", tc.name)
			}
		})
	}
}

// TestWindowsSettingsOnlyForVSphereWindows: a windows block in a rule that also matches Linux
// or non-vSphere cells leaves them as they were.
func TestWindowsSettingsOnlyForVSphereWindows(t *testing.T) {
	dir := t.TempDir()
	grid := strings.NewReplacer("match: {os: windows-2019}", "match: {}",
		"targets: {vsphere: [ubuntu-2204, windows-2019]}", "targets: {vsphere: [ubuntu-2204, windows-2019], aws: [windows-2019]}",
		"  vsphere: {os: [ubuntu-2204, windows-2019]}", "  vsphere: {os: [ubuntu-2204, windows-2019]}\n  aws: {os: [windows-2019]}").Replace(windowsKeyGrid)
	writeFile(t, filepath.Join(dir, "grid.yaml"), grid)
	writeFile(t, filepath.Join(dir, "autounattend.xml"), `<unattend xmlns="urn:schemas-microsoft-com:unattend"/>`)
	cells, err := Load(dir)
	if err != nil || len(cells) != 3 {
		t.Fatalf("%d cells, %v", len(cells), err)
	}
	for _, c := range cells {
		if (c.Windows != nil) != (c.OS.Type == "windows" && c.Infra == "vsphere") {
			t.Errorf("cell %s: windows = %+v", c.ID, c.Windows)
		}
	}
}

// TestWindows2022WhereImageBuilderHasIt: a windows-2022 vSphere cell is accepted for every
// Image Builder release with upstream's packer/ova/windows-2022.json (TKG's build as the release
// it is based on), with os.version 2022 and its own make target.
func TestWindows2022WhereImageBuilderHasIt(t *testing.T) {
	for _, image := range []string{
		"registry.k8s.io/scl-image-builder/cluster-node-image-builder-amd64:v0.1.55",
		"registry.k8s.io/scl-image-builder/cluster-node-image-builder-amd64:v0.1.13",
		"projects.registry.vmware.com/tkg/image-builder:v0.1.14_vmware.2",
	} {
		t.Run(image[strings.LastIndex(image, ":")+1:], func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "grid.yaml"), strings.NewReplacer("windows-2019", "windows-2022",
				"registry.k8s.io/scl-image-builder/cluster-node-image-builder-amd64:v0.1.55", image).Replace(windowsKeyGrid))
			writeFile(t, filepath.Join(dir, "autounattend.xml"), `<unattend xmlns="urn:schemas-microsoft-com:unattend"/>`)
			cells, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			var win int
			for _, c := range cells {
				if c.OS.Type != "windows" {
					continue
				}
				win++
				if c.OS.ID != "windows-2022" || c.OS.Name != "windows" || c.OS.Version != "2022" || c.Target.Build != "build-node-ova-vsphere-windows-2022" || c.Target.Validate != "validate-node-ova-local-windows-2022" {
					t.Errorf("cell %s: os %+v, target %+v", c.ID, c.OS, c.Target)
				}
			}
			if win != 1 {
				t.Errorf("%d Windows cells of %d; want 1", win, len(cells))
			}
		})
	}
}
