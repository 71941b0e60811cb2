package vsphere

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/testutil/ovatest"
)

// standInOVFTool is the Image Builder stand-in's ovftool: it writes an OVA the way
// upstream's hack/image-build-ova.py has ovftool write it when IB_OVFTOOL is set.
const standInOVFTool = "../../testdata/imagebuilder/images/capi/hack/bin/ovftool"

// windowsProperties are the ProductSection properties upstream's hack/image-build-ova.py
// (v0.1.14, the TKG Image Builder's base) writes into a Windows OVF before it hands the
// descriptor to ovftool: DISTRO_NAME … KUBERNETES_SOURCE_TYPE, plus VERSION from
// OVF_CUSTOM_PROPERTIES. Upstream does not say that ovftool drops any of them; the stand-in
// keeps them as ovftool's OVF-to-OVA conversion does.
func windowsProperties(version string) map[string]string {
	return map[string]string{
		"VERSION": version, "DISTRO_NAME": "windows", "DISTRO_VERSION": "2019", "DISTRO_ARCH": "amd64",
		"CNI_VERSION": "v1.4.0+vmware.1", "CONTAINERD_VERSION": "1.6.33+vmware.1",
		"KUBERNETES_SEMVER": "v1.30.2+vmware.1", "KUBERNETES_SOURCE_TYPE": "http",
	}
}

// ovftoolOVA makes a Windows OVA the way the ovftool path does: image-build-ova.py writes the
// OVF and its disk with no .mf beside them (hack/image-build-ova.py, IB_OVFTOOL branch of
// main) and runs "ovftool <IB_OVFTOOL_ARGS> <ovf> <ova>" with TKG's --skipManifestCheck. It
// returns the OVA's path, its size and digest.
func ovftoolOVA(t *testing.T, dir, name string, props map[string]string) ovatest.OVA {
	t.Helper()
	src := ovatest.Make(t, t.TempDir(), ovatest.Spec{Name: name, DiskBytes: 1 << 20, Properties: props})
	members, err := ovatest.Members(src.Path)
	if err != nil {
		t.Fatal(err)
	}
	export := t.TempDir()
	var ovf string
	for _, m := range members {
		if strings.HasSuffix(m.Name, ".mf") {
			continue // the ovftool path writes no manifest beside the OVF
		}
		if strings.HasSuffix(m.Name, ".ovf") {
			ovf = filepath.Join(export, m.Name)
		}
		if err := os.WriteFile(filepath.Join(export, m.Name), m.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ova := filepath.Join(dir, name+".ova")
	if out, err := exec.Command(standInOVFTool, "--skipManifestCheck", ovf, ova).CombinedOutput(); err != nil {
		t.Fatalf("ovftool: %v\n%s", err, out)
	} else if strings.Contains(string(out), "No manifest file found") {
		t.Fatalf("ovftool looked for a manifest despite --skipManifestCheck:\n%s", out)
	}
	st, err := os.Stat(ova)
	if err != nil {
		t.Fatal(err)
	}
	return ovatest.OVA{Path: ova, Size: st.Size(), SHA256: fileDigest(t, ova)}
}

func fileDigest(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// windowsCell is the shipped grid's Windows cell of the release of ubuntuCell.
var windowsCell = func() record.Cell {
	c := ubuntuCell
	c.ID, c.Name = "vsphere-windows-2019-amd64-v1.30.2---vmware.1", "vsphere windows-2019 amd64 v1.30.2+vmware.1"
	c.OS = record.OS{ID: "windows-2019", Name: "windows", Version: "2019", Arch: "amd64", Type: "windows"}
	return c
}()

// TestPublishWindowsOVFToolOVA publishes a Windows OVA as the ovftool path makes it: imported,
// snapshotted and marked as a template, with its properties as ovftool kept them. A re-run
// finds the template by the build key imagegrid wrote in its extraConfig and imports nothing;
// so does a re-run whose OVA has other vApp properties (some missing, one changed) but the
// same build key and VERSION: the lookup never reads the properties ovftool may drop.
func TestPublishWindowsOVFToolOVA(t *testing.T) {
	t.Parallel()
	sim := newVCSim(t)
	dir := t.TempDir()
	name := "windows-2019-kube-v1.30.2+vmware.1"
	version := "v1.30.2+vmware.1-tkg.1-" + testKey[:16]
	props := windowsProperties(version)
	rec := ovaRecord(windowsCell, dir, ovftoolOVA(t, dir, name, props), version)
	members, err := ovatest.Members(filepath.Join(dir, rec.Artifacts.OVA.Path))
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != 3 || !strings.HasSuffix(members[0].Name, ".ovf") || !strings.HasSuffix(members[1].Name, ".mf") {
		t.Fatalf("the ovftool OVA holds %d members; want the OVF, ovftool's own manifest, the disk", len(members))
	}

	first, log := sim.publish(t, rec, dir)
	tname := TemplateName(rec.Cell)
	if first.VSphere.Status != record.PublishSucceeded || first.VSphere.Template != "/DC0/vm/"+tname || first.VSphere.Version != version {
		t.Fatalf("first publish = %+v\n%s", first.VSphere, log)
	}
	vms := vmsNamed(t, sim.client(t), tname)
	if len(vms) != 1 || !vms[0].isTemplate || len(vms[0].snapshots) != 1 || vms[0].snapshots[0] != snapshotName {
		t.Fatalf("after the first publish: %+v; want one snapshotted template", vms)
	}
	for k, v := range props {
		if vms[0].props[k] != v {
			t.Errorf("vApp property %s = %q; want %q as ovftool kept it", k, vms[0].props[k], v)
		}
	}

	// Other vApp properties, the same build key and VERSION: a rebuild through ovftool that
	// kept fewer properties, or a template whose properties were edited since.
	other := windowsProperties(version)
	delete(other, "CNI_VERSION")
	delete(other, "KUBERNETES_SOURCE_TYPE")
	other["CONTAINERD_VERSION"] = "1.6.28+vmware.2"
	otherDir := t.TempDir()
	tests := []struct {
		name string
		rec  record.BuildRecord
		dir  string
	}{
		{"the same OVA", rec, dir},
		{"an OVA with other vApp properties", ovaRecord(windowsCell, otherDir, ovftoolOVA(t, otherDir, name, other), version), otherDir},
	}
	for _, tt := range tests {
		again, log := sim.publish(t, tt.rec, tt.dir)
		if again.VSphere.Status != record.PublishReused || again.VSphere.MoRef != first.VSphere.MoRef || again.VSphere.Version != version {
			t.Errorf("%s: re-run = %+v; want %s reused\n%s", tt.name, again.VSphere, first.VSphere.MoRef, log)
		}
		if strings.Contains(log, "importing") || !strings.Contains(log, "already carries build key "+rec.Cell.ShortKey()) {
			t.Errorf("%s: the re-run did not find the template by its build key:\n%s", tt.name, log)
		}
		if n := len(vmsNamed(t, sim.client(t), tname)); n != 1 {
			t.Errorf("%s: %d VMs named %s; want the one template", tt.name, n, tname)
		}
	}
}
