// Package inspect proves, from the disk of a built node image and without booting it, that
// it is what Cluster API expects of a node image: kubeadm, kubelet and kubectl at the cell's
// Kubernetes version, containerd at the version the image announces, every image kubeadm
// init/join pull already in containerd's k8s.io namespace for the node's architecture, and
// cloud-init installed and enabled. Every finding names the path it was read from. The disk
// is read in place (an OVA's VMDK inside its tar), read only, without root or mounts.
package inspect

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/imagegrid/imagegrid/internal/nodefs"
	"github.com/imagegrid/imagegrid/internal/ova"
	"github.com/imagegrid/imagegrid/internal/qcow2"
	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/vmdk"
)

// binDirs are where the checks look for binaries, in order: Kubernetes' packages and Image
// Builder's http source install to /usr/bin, its containerd role to /usr/local/bin, Flatcar
// and some custom roles to /opt/bin.
var binDirs = []string{"/usr/bin", "/usr/local/bin", "/opt/bin", "/usr/local/sbin", "/usr/sbin"}

// OVA inspects the boot disk (the first VMDK) of the OVA at path against what expect makes
// of the OVA's OVF properties. A disk it cannot read (LVM, NTFS, Flatcar) gives a
// not-checked report with the reason; a corrupt or unreadable one is an error.
func OVA(path string, expect func(props map[string]string) (Expect, error)) (record.NodeImageReport, error) {
	f, err := os.Open(path)
	if err != nil {
		return record.NodeImageReport{}, fmt.Errorf("inspect: %w", err)
	}
	defer f.Close()
	lay, err := ova.ReadLayout(f)
	if err != nil {
		return record.NodeImageReport{}, fmt.Errorf("inspect: %w", err)
	}
	e, err := expect(lay.Properties)
	if err != nil {
		return record.NodeImageReport{}, err
	}
	d := lay.Disks[0]
	disk, err := vmdk.Open(io.NewSectionReader(f, d.Offset, d.Size), d.Size)
	if err != nil {
		return record.NodeImageReport{}, fmt.Errorf("inspect %s: %s: %w", path, d.Name, err)
	}
	rep, err := Disk(disk, disk.Size(), e)
	if err != nil {
		return rep, fmt.Errorf("inspect %s: %s: %w", path, d.Name, err)
	}
	return rep, nil
}

// File inspects the node image in the file at path, whatever holds it: an OVA (by its tar
// header), a streamOptimized VMDK (by its KDMV magic), a qcow2 image (QFI\xfb), or a raw
// disk. props for expect are the OVA's OVF properties, nil otherwise.
func File(path string, expect func(props map[string]string) (Expect, error)) (record.NodeImageReport, error) {
	f, err := os.Open(path)
	if err != nil {
		return record.NodeImageReport{}, fmt.Errorf("inspect: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return record.NodeImageReport{}, fmt.Errorf("inspect: %w", err)
	}
	head := make([]byte, 512)
	n, _ := f.ReadAt(head, 0)
	head = head[:n]
	switch {
	case len(head) >= 262 && string(head[257:262]) == "ustar":
		return OVA(path, expect)
	}
	e, err := expect(nil)
	if err != nil {
		return record.NodeImageReport{}, err
	}
	var disk io.ReaderAt = f
	size := st.Size()
	switch {
	case strings.HasPrefix(string(head), "KDMV"):
		d, err := vmdk.Open(f, size)
		if err != nil {
			return record.NodeImageReport{}, fmt.Errorf("inspect %s: %w", path, err)
		}
		disk, size = d, d.Size()
	case strings.HasPrefix(string(head), "QFI\xfb"):
		d, err := qcow2.Open(f, size)
		if err != nil {
			return record.NodeImageReport{}, fmt.Errorf("inspect %s: %w", path, err)
		}
		disk, size = d, d.Size()
	}
	rep, err := Disk(disk, size, e)
	if err != nil {
		return rep, fmt.Errorf("inspect %s: %w", path, err)
	}
	return rep, nil
}

// Disk inspects a virtual disk (raw bytes through r, size bytes long).
func Disk(r io.ReaderAt, size int64, e Expect) (record.NodeImageReport, error) {
	root, err := nodefs.Open(r, size)
	var ns *nodefs.NotSupportedError
	if errors.As(err, &ns) {
		return record.NodeImageReport{Source: record.NodeImageSourceInspection, Verdict: record.NodeImageNotChecked,
			Reason: "not inspected: " + ns.Reason}, nil
	}
	if err != nil {
		return record.NodeImageReport{}, err
	}
	return Root(root, e), nil
}

// Root runs the checks on an opened root filesystem.
func Root(root *nodefs.FS, e Expect) record.NodeImageReport {
	var checks []record.NodeImageCheck
	for _, name := range []string{"kubeadm", "kubelet", "kubectl"} {
		checks = append(checks, checkBinary(root, name, e.Kubernetes, kubernetesVersion))
	}
	checks = append(checks, checkBinary(root, "containerd", e.Containerd, containerdVersion))
	checks = append(checks, checkImages(root, e)...)
	checks = append(checks, checkCloudInit(root)...)
	rep := record.NodeImageReport{Source: record.NodeImageSourceInspection, Verdict: record.NodeImagePassed, Checks: checks}
	var bad []string
	for _, c := range checks {
		if !c.OK {
			bad = append(bad, c.Name+": "+describe(c))
		}
	}
	if len(bad) > 0 {
		rep.Verdict = record.NodeImageFailed
		rep.Reason = strings.Join(bad, "; ")
	}
	return rep
}

// describe says in a few words why a check failed, naming the path.
func describe(c record.NodeImageCheck) string {
	s := c.Found
	if c.Expected != "" {
		s = fmt.Sprintf("found %s, want %s", c.Found, c.Expected)
	}
	if c.Where != "" {
		s += " (" + c.Where + ")"
	}
	return s
}

// findBinary returns the first of binDirs holding name.
func findBinary(root *nodefs.FS, name string) (string, nodefs.Info, error) {
	for _, dir := range binDirs {
		p := dir + "/" + name
		info, err := root.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		return p, info, err
	}
	return "", nodefs.Info{}, fs.ErrNotExist
}

// checkBinary finds name, checks it is an executable regular file and reads its version.
func checkBinary(root *nodefs.FS, name, want string, version func(io.ReaderAt) (string, error)) record.NodeImageCheck {
	c := record.NodeImageCheck{Name: name, Expected: want}
	p, info, err := findBinary(root, name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		c.Found, c.Where = "missing", strings.Join(binDirs, ", ")
		return c
	case err != nil:
		c.Found, c.Where = "unreadable: "+err.Error(), p
		return c
	}
	c.Where = p
	if !info.Mode.IsRegular() || info.Mode&0o111 == 0 {
		c.Found = fmt.Sprintf("not an executable file (mode %s)", info.Mode)
		return c
	}
	f, err := root.Open(p)
	if err != nil {
		c.Found = "unreadable: " + err.Error()
		return c
	}
	v, err := version(f)
	if err != nil {
		c.Found = "no version: " + err.Error()
		return c
	}
	c.Found = v
	c.OK = want == "" || strings.TrimPrefix(v, "v") == strings.TrimPrefix(want, "v")
	return c
}
