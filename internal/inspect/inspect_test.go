package inspect_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/inspect"
	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/testutil/nodeimage"
	"github.com/imagegrid/imagegrid/internal/testutil/vmdktest"
)

var cell = record.Cell{
	ID:           "vsphere-ubuntu-2204-amd64-v1.30.2",
	OS:           record.OS{ID: "ubuntu-2204", Name: "ubuntu", Version: "22.04", Arch: "amd64", Type: "linux"},
	Kubernetes:   record.Kubernetes{Semver: "v1.30.2", Series: "v1.30"},
	ImageBuilder: record.ImageBuilder{Flavor: record.FlavorUpstream},
}

func expect(t testing.TB) inspect.Expect {
	t.Helper()
	e, err := inspect.ExpectFor(cell, map[string]string{"CONTAINERD_VERSION": "1.7.13"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// refs are the images of e as Image Builder would pull them (a prefix tag made concrete).
func refs(e inspect.Expect) []string {
	var out []string
	for _, img := range e.Images {
		tag := img.Tag
		if img.TagPrefix {
			tag += "12-0"
		}
		out = append(out, img.Repository+":"+tag)
	}
	return out
}

func inspectDisk(t *testing.T, spec nodeimage.Spec) record.NodeImageReport {
	t.Helper()
	path := filepath.Join(t.TempDir(), "disk.raw")
	if err := nodeimage.Write(path, spec); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	rep, err := inspect.Disk(f, st.Size(), expect(t))
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestVerdicts(t *testing.T) {
	t.Parallel()
	e := expect(t)
	base := nodeimage.Spec{Kubernetes: "v1.30.2", Containerd: "v1.7.13", Arch: "amd64", Images: refs(e)}
	for _, tc := range []struct {
		name  string
		edit  func(*nodeimage.Spec)
		check string // the failing check
		where string // the path its finding names
	}{
		{name: "good, GPT", edit: func(*nodeimage.Spec) {}},
		{name: "good, MBR", edit: func(s *nodeimage.Spec) { s.Table = "mbr" }},
		{name: "good, Photon", edit: func(s *nodeimage.Spec) { s.Distro = "photon" }},
		{name: "good, layers discarded once unpacked", edit: func(s *nodeimage.Spec) { s.DiscardLayers = true }},
		{name: "layers neither stored nor unpacked", edit: func(s *nodeimage.Spec) { s.Breaks = []string{"lost-layers"} }, check: "image registry.k8s.io/kube-apiserver", where: "meta.db: v1/k8s.io/content/blob/sha256:"},
		{name: "good, XFS root (RHEL family)", edit: func(s *nodeimage.Spec) { s.FS, s.SizeMiB, s.Distro = "xfs", 320, "rhel" }},
		{name: "XFS without kubectl", edit: func(s *nodeimage.Spec) {
			s.FS, s.SizeMiB, s.Breaks = "xfs", 320, []string{"missing-kubectl"}
		}, check: "kubectl", where: "/usr/bin"},
		{name: "missing kubectl", edit: func(s *nodeimage.Spec) { s.Breaks = []string{"missing-kubectl"} }, check: "kubectl", where: "/usr/bin"},
		{name: "kubeadm of another version", edit: func(s *nodeimage.Spec) { s.Breaks = []string{"kubeadm-version"} }, check: "kubeadm", where: "/usr/bin/kubeadm"},
		{name: "other containerd", edit: func(s *nodeimage.Spec) { s.Containerd = "1.6.28" }, check: "containerd", where: "/usr/local/bin/containerd"},
		{name: "missing etcd", edit: func(s *nodeimage.Spec) { s.Breaks = []string{"missing-etcd"} }, check: "image registry.k8s.io/etcd", where: "meta.db"},
		{name: "wrong coredns tag", edit: func(s *nodeimage.Spec) { s.Breaks = []string{"wrong-coredns-tag"} }, check: "image registry.k8s.io/coredns/coredns", where: "meta.db"},
		{name: "arm64 images only", edit: func(s *nodeimage.Spec) { s.Arch = "arm64" }, check: "image registry.k8s.io/kube-apiserver", where: "/var/lib/containerd/io.containerd.content.v1.content/blobs/sha256/"},
		{name: "cloud-init disabled", edit: func(s *nodeimage.Spec) { s.Breaks = []string{"cloud-init-disabled"} }, check: "cloud-init not disabled", where: "/etc/cloud/cloud-init.disabled"},
		{name: "cloud-init masked", edit: func(s *nodeimage.Spec) { s.Breaks = []string{"cloud-init-masked"} }, check: "cloud-init unit cloud-init.service", where: "/etc/systemd/system/cloud-init.service"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			spec := base
			tc.edit(&spec)
			rep := inspectDisk(t, spec)
			if rep.Source != record.NodeImageSourceInspection {
				t.Fatalf("source %q", rep.Source)
			}
			if tc.check == "" {
				if rep.Verdict != record.NodeImagePassed {
					t.Fatalf("verdict %s: %s", rep.Verdict, rep.Reason)
				}
				return
			}
			if rep.Verdict != record.NodeImageFailed {
				t.Fatalf("verdict %s, want failed", rep.Verdict)
			}
			var failed []string
			for _, c := range rep.Checks {
				if !c.OK {
					failed = append(failed, c.Name)
					if c.Name == tc.check && !strings.Contains(c.Where, tc.where) {
						t.Errorf("check %s names %q, want the path %q", c.Name, c.Where, tc.where)
					}
				}
			}
			if len(failed) == 0 || (failed[0] != tc.check && !(tc.name == "arm64 images only")) {
				t.Fatalf("failed checks %v, want %s; reason %s", failed, tc.check, rep.Reason)
			}
			if !strings.Contains(rep.Reason, tc.where) {
				t.Errorf("reason %q does not name %q", rep.Reason, tc.where)
			}
		})
	}
}

func TestFileReadsRawQcow2AndBothVMDKLayouts(t *testing.T) {
	t.Parallel()
	e := expect(t)
	dir := t.TempDir()
	raw := filepath.Join(dir, "disk.raw")
	if err := nodeimage.Write(raw, nodeimage.Spec{Kubernetes: "v1.30.2", Containerd: "1.7.13", Images: refs(e)}); err != nil {
		t.Fatal(err)
	}
	vmdk, qcow := filepath.Join(dir, "disk.vmdk"), filepath.Join(dir, "disk.qcow2")
	for _, c := range [][]string{
		{"convert", "-q", "-O", "vmdk", "-o", "subformat=streamOptimized", raw, vmdk},
		{"convert", "-q", "-c", "-O", "qcow2", raw, qcow},
	} {
		if out, err := exec.Command("qemu-img", c...).CombinedOutput(); err != nil {
			t.Fatalf("qemu-img: %v: %s", err, out)
		}
	}
	data, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	vmware := filepath.Join(dir, "vmware.vmdk")
	if err := os.WriteFile(vmware, vmdktest.VMwareLayout(data), 0o644); err != nil {
		t.Fatal(err)
	}
	expectFn := func(map[string]string) (inspect.Expect, error) { return e, nil }
	for _, p := range []string{raw, vmdk, vmware, qcow} {
		rep, err := inspect.File(p, expectFn)
		if err != nil || rep.Verdict != record.NodeImagePassed {
			t.Errorf("%s: %v %s %s", filepath.Base(p), err, rep.Verdict, rep.Reason)
		}
	}
}

func TestReportsFacts(t *testing.T) {
	t.Parallel()
	e := expect(t)
	rep := inspectDisk(t, nodeimage.Spec{Kubernetes: "v1.30.2", Containerd: "1.7.13", Images: refs(e)})
	found := map[string]record.NodeImageCheck{}
	for _, c := range rep.Checks {
		found[c.Name] = c
	}
	for name, want := range map[string]string{
		"kubelet":                "v1.30.2",
		"containerd":             "1.7.13",
		"cloud-init":             "23.4.4",
		"cloud-init datasources": "VMware, OVF, None",
	} {
		if found[name].Found != want {
			t.Errorf("%s: found %q, want %q", name, found[name].Found, want)
		}
	}
	if c := found["image registry.k8s.io/pause"]; !strings.Contains(c.Found, "@sha256:") {
		t.Errorf("pause image: found %q, want a digest", c.Found)
	}
	if c := found["cloud-init unit cloud-init.service"]; c.Where != "/etc/systemd/system/cloud-init.target.wants/cloud-init.service" || !strings.Contains(c.Found, "/usr/lib/systemd/system/cloud-init.service") {
		t.Errorf("unit: %+v", c)
	}
}

// TestFlatcarIsNotChecked: Flatcar's USR partition gives a not-checked report with the reason.
func TestFlatcarIsNotChecked(t *testing.T) {
	t.Parallel()
	e := expect(t)
	rep := inspectDisk(t, nodeimage.Spec{Kubernetes: "v1.30.2", Containerd: "1.7.13", Images: refs(e), Table: "flatcar"})
	if rep.Verdict != record.NodeImageNotChecked || !strings.Contains(rep.Reason, "GPT partition 1: Flatcar USR partition") {
		t.Fatalf("report %+v", rep)
	}
}

// TestUnsupportedDisksAreNotChecked: an LVM or NTFS disk gives a not-checked report with the
// reason, never a pass and never an empty one.
func TestUnsupportedDisksAreNotChecked(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		typ  byte
		want string
	}{
		{"LVM (RHEL's default autopart)", 0x8e, "LVM"},
		{"Windows", 0x07, "NTFS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			disk := make([]byte, 4<<20)
			disk[0] = 0xeb // boot code
			e := disk[446:]
			e[4] = tc.typ
			binary.LittleEndian.PutUint32(e[8:], 2048)
			binary.LittleEndian.PutUint32(e[12:], 4096)
			disk[510], disk[511] = 0x55, 0xaa
			rep, err := inspect.Disk(bytes.NewReader(disk), int64(len(disk)), expect(t))
			if err != nil {
				t.Fatal(err)
			}
			if rep.Verdict != record.NodeImageNotChecked || !strings.HasPrefix(rep.Reason, "not inspected: MBR partition 1: ") || !strings.Contains(rep.Reason, tc.want) {
				t.Fatalf("report %+v, want not-checked naming %s", rep, tc.want)
			}
		})
	}
}
