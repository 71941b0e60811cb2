// Package nodeimage makes small but genuine node image disks for tests and the Image Builder
// stand-in: a raw disk with a GPT or MBR partition table and an ext4 root filesystem made by
// the real mkfs.ext4 -d (no root needed), holding what Image Builder installs for Cluster
// API — kubeadm, kubelet and kubectl stamped with their version as Kubernetes' build does,
// containerd stamped with its version, containerd's metadata database (written by
// containerd's own metadata package) and content store with the images kubeadm needs, and
// cloud-init with its systemd units enabled — laid out as on Ubuntu 22.04, Photon 5 or RHEL 8
// (all with a merged /usr: /lib → usr/lib).
// Breaks make the variants a broken build would produce.
package nodeimage

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Spec describes the node image disk to make.
type Spec struct {
	// Kubernetes is the version the kube binaries carry ("v1.30.2+vmware.1").
	Kubernetes string
	// Containerd is the version containerd carries ("1.7.13"; a leading v is kept as given).
	Containerd string
	// Arch is "amd64" or "arm64".
	Arch string
	// Images are the image references in containerd's k8s.io namespace.
	Images []string
	// Table is "gpt" (the default), "mbr", or "flatcar": a GPT whose partition is Flatcar's
	// USR-A.
	Table string
	// Distro is "ubuntu" (the default), "photon" or "rhel": where cloud-init's Python package
	// lies and what /etc/os-release says.
	Distro string
	// FS is the root filesystem: "ext4" (the default: Ubuntu, Photon) or "xfs" (the RHEL
	// family; made with mkfs.xfs -p from xfsprogs, and at least 300 MiB as mkfs.xfs wants).
	FS string
	// SizeMiB is the disk's size (default 64).
	SizeMiB int
	// Breaks name what to break, each one of Breaks' keys.
	Breaks []string
	// DiscardLayers removes the images' layers from the content store once unpacked, as
	// containerd does with discard_unpacked_layers = true.
	DiscardLayers bool
	// KubeletMiB pads kubelet's code to that size (a real one is ~110 MB); 0 keeps it tiny.
	KubeletMiB int
	// Extra are more files, path (relative to the root) → content; a nil content makes a
	// 4 MiB sparse file with data only in its second and last MiB.
	Extra map[string][]byte
}

// Breaks are the broken variants Spec.Breaks can ask for, and what each does.
var Breaks = map[string]string{
	"missing-kubectl":     "no /usr/bin/kubectl",
	"kubeadm-version":     "kubeadm from another Kubernetes version",
	"cloud-init-disabled": "/etc/cloud/cloud-init.disabled exists",
	"cloud-init-masked":   "cloud-init.service masked (a link to /dev/null in /etc/systemd/system)",
	"missing-etcd":        "no etcd image in containerd",
	"lost-layers":         "the images' layers are neither in the content store nor unpacked",
	"wrong-coredns-tag":   "the coredns image has another tag",
}

// Write makes the disk image at path. It needs mkfs.ext4 (Debian: e2fsprogs).
func Write(path string, spec Spec) error {
	for _, b := range spec.Breaks {
		if _, ok := Breaks[b]; !ok {
			return fmt.Errorf("break %q: want one of %s", b, strings.Join(slices.Sorted(maps.Keys(Breaks)), ", "))
		}
	}
	if spec.Arch == "" {
		spec.Arch = "amd64"
	}
	if spec.SizeMiB == 0 {
		spec.SizeMiB = 64
	}
	tree, err := os.MkdirTemp(filepath.Dir(path), ".nodeimage-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tree)
	if err := writeTree(tree, spec); err != nil {
		return err
	}
	size := int64(spec.SizeMiB) << 20
	start, length, err := writeTable(path, size, spec.Table, spec.Table == "flatcar")
	if err != nil {
		return err
	}
	switch spec.FS {
	case "ext4", "":
		return mkfsExt4(tree, path, start, length)
	case "xfs":
		return mkfsXFS(tree, path, start, length)
	}
	return fmt.Errorf("filesystem %q: want ext4 or xfs", spec.FS)
}

// mkfsExt4 makes the ext4 root in place, populated from tree.
func mkfsExt4(tree, path string, start, length int64) error {
	mkfs, err := exec.LookPath("mkfs.ext4")
	if err != nil {
		return fmt.Errorf("mkfs.ext4 is missing: install it (Debian: apt-get install e2fsprogs): %w", err)
	}
	// 4 KiB blocks as on any real root filesystem (mkfs.ext4 picks 1 KiB for small ones).
	cmd := exec.Command(mkfs, "-q", "-F", "-t", "ext4", "-b", "4096", "-L", "cloudimg-rootfs",
		"-E", fmt.Sprintf("offset=%d,root_owner=0:0", start), "-d", tree, path, fmt.Sprintf("%dk", length>>10))
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("mkfs.ext4: %w: %s", err, out)
	}
	return nil
}

func (s Spec) broken(b string) bool { return slices.Contains(s.Breaks, b) }

// commit is a stand-in git commit: 40 hex digits derived from the version.
func commit(v string) string {
	sum := sha1.Sum([]byte(v))
	return hex.EncodeToString(sum[:])
}

// distros are the layouts Spec.Distro picks from: where each distribution's python3 puts
// cloud-init (Debian's dist-packages, site-packages of the versioned python elsewhere).
var distros = map[string]struct{ osRelease, python string }{
	"ubuntu": {"PRETTY_NAME=\"Ubuntu 22.04.4 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nID=ubuntu\n", "usr/lib/python3/dist-packages"},
	"photon": {"NAME=\"VMware Photon OS\"\nVERSION=\"5.0\"\nID=photon\nVERSION_ID=5.0\n", "usr/lib/python3.11/site-packages"},
	"rhel":   {"NAME=\"Red Hat Enterprise Linux\"\nVERSION=\"8.10 (Ootpa)\"\nID=\"rhel\"\nVERSION_ID=\"8.10\"\n", "usr/lib/python3.6/site-packages"},
}

func writeTree(tree string, spec Spec) error {
	distro := spec.Distro
	if distro == "" {
		distro = "ubuntu"
	}
	d, ok := distros[distro]
	if !ok {
		return fmt.Errorf("distro %q: want one of %s", distro, strings.Join(slices.Sorted(maps.Keys(distros)), ", "))
	}
	files := map[string][]byte{
		"etc/os-release": []byte(d.osRelease),
		// Kubernetes' debs (and Image Builder's http source) put the binaries in /usr/bin;
		// kubelet is position independent, as distribution packages build it.
		"usr/bin/kubeadm": kubeBinary(spec.Arch, false, 0, spec.Kubernetes, commit(spec.Kubernetes)),
		"usr/bin/kubelet": kubeBinary(spec.Arch, true, spec.KubeletMiB<<20, spec.Kubernetes, commit(spec.Kubernetes)),
		"usr/bin/kubectl": kubeBinary(spec.Arch, false, 0, spec.Kubernetes, commit(spec.Kubernetes)),
		// Image Builder's containerd role unpacks the release tarball into /usr/local.
		"usr/local/bin/containerd": containerdBinary(spec.Arch, spec.Containerd, commit(spec.Containerd)),
		// cloud-init as the distribution packages it: the version in the Python package,
		// units in /lib/systemd/system, the datasources Image Builder configures for vSphere.
		d.python + "/cloudinit/version.py":                       []byte("__VERSION__ = \"23.4.4\"\n"),
		"etc/cloud/cloud.cfg":                                    []byte("# The top level settings are used as module\ndatasource_list: [ NoCloud, ConfigDrive, OpenStack, None ]\n"),
		"etc/cloud/cloud.cfg.d/99-DataSourceVMwareGuestInfo.cfg": []byte("datasource_list: [ \"VMware\", \"OVF\", \"None\" ]\n"),
		"etc/default/grub":                                       []byte("GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT=\"\"\nGRUB_CMDLINE_LINUX=\"net.ifnames=0 biosdevname=0\"\n"),
	}
	for _, unit := range cloudInitUnits {
		files["usr/lib/systemd/system/"+unit] = []byte("[Unit]\nDescription=" + unit + "\n[Install]\nWantedBy=cloud-init.target\n")
	}
	files["usr/lib/systemd/system/cloud-init.target"] = []byte("[Unit]\nDescription=Cloud-init target\n[Install]\nWantedBy=multi-user.target\n")
	if spec.broken("kubeadm-version") {
		other := "v1.29.6"
		files["usr/bin/kubeadm"] = kubeBinary(spec.Arch, false, 0, other, commit(other))
	}
	if spec.broken("missing-kubectl") {
		delete(files, "usr/bin/kubectl")
	}
	if spec.broken("cloud-init-disabled") {
		files["etc/cloud/cloud-init.disabled"] = []byte("disabled by the image build\n")
	}
	for name, data := range spec.Extra {
		files[name] = data
	}
	if err := writeFiles(tree, files); err != nil {
		return err
	}
	if err := writeLinks(tree, treeLinks(spec)); err != nil {
		return err
	}
	layers := keepLayers
	switch {
	case spec.broken("lost-layers"):
		layers = lostLayers
	case spec.DiscardLayers:
		layers = discardLayers
	}
	return writeContainerd(tree, spec.Arch, spec.images(), layers)
}

// writeFiles writes files (path in the tree → content) under tree; a nil content is a sparse
// file, and files in a bin folder are executable.
func writeFiles(tree string, files map[string][]byte) error {
	for name, data := range files {
		p := filepath.Join(tree, filepath.FromSlash(name))
		if data == nil {
			if err := writeSparse(p); err != nil {
				return err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if strings.Contains(name, "/bin/") {
			mode = 0o755
		}
		if err := os.WriteFile(p, data, mode); err != nil {
			return err
		}
	}
	return nil
}

// treeLinks are the symbolic links of the tree (path → target): Ubuntu's merged /usr, where
// /lib, /bin and /sbin are links into /usr so /lib/... paths go through a link in the
// middle, and cloud-init's units enabled (or masked, when spec breaks it so).
func treeLinks(spec Spec) map[string]string {
	links := map[string]string{"lib": "usr/lib", "bin": "usr/bin", "sbin": "usr/sbin"}
	for _, unit := range cloudInitUnits {
		links["etc/systemd/system/cloud-init.target.wants/"+unit] = "/lib/systemd/system/" + unit
	}
	links["etc/systemd/system/multi-user.target.wants/cloud-init.target"] = "/lib/systemd/system/cloud-init.target"
	if spec.broken("cloud-init-masked") {
		links["etc/systemd/system/cloud-init.service"] = "/dev/null"
	}
	return links
}

// writeLinks makes the symbolic links (path in the tree → target) under tree.
func writeLinks(tree string, links map[string]string) error {
	for name, target := range links {
		p := filepath.Join(tree, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.Symlink(target, p); err != nil {
			return err
		}
	}
	return nil
}

// writeSparse writes a 4 MiB file with holes: data in its second and last MiB only.
func writeSparse(p string) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, off := range []int64{1 << 20, 3 << 20} {
		if _, err := f.WriteAt(SparseData(off), off); err != nil {
			return err
		}
	}
	return f.Close()
}

// SparseData is the MiB written at off in the sparse files of Spec.Extra.
func SparseData(off int64) []byte {
	b := make([]byte, 1<<20)
	for i := range b {
		b[i] = byte((off + int64(i)) * 7 / 5)
	}
	return b
}

// images applies the image breaks to Spec.Images.
func (s Spec) images() []string {
	var out []string
	for _, ref := range s.Images {
		name, tag := splitRef(ref)
		switch {
		case s.broken("missing-etcd") && strings.HasSuffix(name, "/etcd"):
			continue
		case s.broken("wrong-coredns-tag") && strings.HasSuffix(name, "coredns"):
			ref = name + ":v0.1.0-" + tag // another coredns release altogether
		}
		out = append(out, ref)
	}
	return out
}

func splitRef(ref string) (string, string) {
	i := strings.LastIndex(ref, ":")
	if i < 0 || strings.Contains(ref[i:], "/") {
		return ref, ""
	}
	return ref[:i], ref[i+1:]
}

// cloudInitUnits are cloud-init's four boot stages (cloud-init's systemd/ templates).
var cloudInitUnits = []string{"cloud-init-local.service", "cloud-init.service", "cloud-config.service", "cloud-final.service"}
