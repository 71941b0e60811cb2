// Package ovatest makes small but genuine OVAs for tests and benchmarks: a streamOptimized
// VMDK written by the real qemu-img, an OVF descriptor shaped like Image Builder's (the CAPI
// ProductSection with VERSION), and a manifest, in a tar with the descriptor first.
package ovatest

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// Spec describes the OVA to make. The zero value makes a 1 MiB empty disk.
type Spec struct {
	// Name is the base name of the files inside the OVA ("ubuntu-2204-kube-v1.30.2").
	Name string
	// DiskBytes is the virtual disk size; rounded up to whole MiB, at least 1 MiB.
	DiskBytes int64
	// RandomData fills the disk with random bytes, so the VMDK does not compress and the OVA
	// is about DiskBytes large (benchmarks); otherwise the disk is empty and the OVA tiny.
	RandomData bool
	// Properties are the ProductSection properties, key → value (e.g. VERSION, DISTRO_NAME).
	Properties map[string]string
	// RawDisk, when set, is a raw disk image to convert instead of making one (DiskBytes and
	// RandomData are then ignored; it is left in place).
	RawDisk string
}

// OVA is what Make produced.
type OVA struct {
	Path   string
	Size   int64
	SHA256 string
}

// Make writes the OVA into dir and returns its path, size and digest. It fails the test when
// qemu-img is missing (install the Debian package qemu-utils).
func Make(tb testing.TB, dir string, spec Spec) OVA {
	tb.Helper()
	ova, err := build(dir, spec)
	if err != nil {
		tb.Fatalf("make test OVA: %v", err)
	}
	return ova
}

func build(dir string, spec Spec) (OVA, error) {
	qemu, err := exec.LookPath("qemu-img")
	if err != nil {
		return OVA{}, fmt.Errorf("qemu-img is missing: install it (Debian: apt-get install qemu-utils): %w", err)
	}
	if spec.Name == "" {
		spec.Name = "test-node"
	}
	work, err := os.MkdirTemp(dir, ".ova-*")
	if err != nil {
		return OVA{}, err
	}
	defer os.RemoveAll(work)
	vmdk, mib, err := streamDisk(qemu, work, spec)
	if err != nil {
		return OVA{}, err
	}
	st, err := os.Stat(vmdk)
	if err != nil {
		return OVA{}, err
	}
	rendered, err := descriptor(spec, filepath.Base(vmdk), st.Size(), mib)
	if err != nil {
		return OVA{}, err
	}
	ovf := bytes.NewBufferString(rendered)
	ovfName := spec.Name + ".ovf"
	vmdkSum, err := fileSHA256(vmdk)
	if err != nil {
		return OVA{}, err
	}
	ovfSum := sha256.Sum256(ovf.Bytes())
	mf := fmt.Sprintf("SHA256(%s)= %s\nSHA256(%s)= %s\n", ovfName, hex.EncodeToString(ovfSum[:]), filepath.Base(vmdk), vmdkSum)

	path := filepath.Join(dir, spec.Name+".ova")
	if err := writeTar(path, []entry{
		{name: ovfName, data: ovf.Bytes()},
		{name: filepath.Base(vmdk), file: vmdk},
		{name: spec.Name + ".mf", data: []byte(mf)},
	}); err != nil {
		return OVA{}, err
	}
	sum, err := fileSHA256(path)
	if err != nil {
		return OVA{}, err
	}
	st, err = os.Stat(path)
	if err != nil {
		return OVA{}, err
	}
	return OVA{Path: path, Size: st.Size(), SHA256: sum}, nil
}

// streamDisk writes the OVA's disk in work as a streamOptimized VMDK with qemu: spec's raw disk,
// or one of spec's size (zeros or random data). It returns the VMDK and the disk's MiB.
func streamDisk(qemu, work string, spec Spec) (vmdk string, mib int64, err error) {
	mib = max((spec.DiskBytes+(1<<20)-1)>>20, 1)
	raw := spec.RawDisk
	if raw == "" {
		raw = filepath.Join(work, "disk.raw")
		if err := writeRaw(raw, mib<<20, spec.RandomData); err != nil {
			return "", 0, err
		}
	} else if st, err := os.Stat(raw); err != nil {
		return "", 0, err
	} else {
		mib = (st.Size() + (1 << 20) - 1) >> 20
	}
	vmdk = filepath.Join(work, spec.Name+"-disk-0.vmdk")
	cmd := exec.Command(qemu, "convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", raw, vmdk)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", 0, fmt.Errorf("qemu-img convert: %w: %s", err, out)
	}
	if spec.RawDisk == "" {
		if err := os.Remove(raw); err != nil {
			return "", 0, err
		}
	}
	return vmdk, mib, nil
}

func writeRaw(path string, size int64, random bool) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if random {
		_, err = io.CopyN(f, rand.Reader, size)
	} else {
		err = f.Truncate(size)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Member is one member of an OVA, in archive order.
type Member struct {
	Name string
	Data []byte
}

// Members reads the members of the OVA at path, in order.
func Members(path string) ([]Member, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var members []Member
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return members, nil
		}
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		members = append(members, Member{Name: h.Name, Data: data})
	}
}

// Rewrite writes the OVA at path again with each member's content passed through edit, and
// returns the new file's size and digest: an OVA whose members are wrong but whose file digest
// a record can match.
func Rewrite(tb testing.TB, path string, edit func(name string, data []byte) []byte) OVA {
	tb.Helper()
	members, err := Members(path)
	if err != nil {
		tb.Fatalf("read test OVA: %v", err)
	}
	entries := make([]entry, len(members))
	for i, m := range members {
		entries[i] = entry{name: m.Name, data: edit(m.Name, m.Data)}
	}
	if err := writeTar(path, entries); err != nil {
		tb.Fatalf("rewrite test OVA: %v", err)
	}
	sum, err := fileSHA256(path)
	if err != nil {
		tb.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return OVA{Path: path, Size: st.Size(), SHA256: sum}
}

type entry struct {
	name string
	data []byte
	file string
}

func writeTar(path string, entries []entry) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	for _, e := range entries {
		if err := addEntry(tw, e); err != nil {
			f.Close()
			return err
		}
	}
	if err := tw.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func addEntry(tw *tar.Writer, e entry) error {
	var r io.Reader = bytes.NewReader(e.data)
	size := int64(len(e.data))
	if e.file != "" {
		f, err := os.Open(e.file)
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		r, size = f, st.Size()
	}
	if err := tw.WriteHeader(&tar.Header{Name: e.name, Mode: 0o644, Size: size, Format: tar.FormatUSTAR}); err != nil {
		return err
	}
	_, err := io.Copy(tw, r)
	return err
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// template is the OVF descriptor the Image Builder stand-in writes too: one file, so the
// OVAs the tests make and the ones the stand-in builds cannot drift apart.
var template = func() string {
	_, here, _, _ := runtime.Caller(0)
	data, err := os.ReadFile(filepath.Join(filepath.Dir(here), "..", "..", "..", "testdata", "imagebuilder", "images", "capi", "hack", "ovf_template.xml"))
	if err != nil {
		panic("ovatest: the OVF template: " + err.Error())
	}
	return string(data)
}()

// descriptor renders the OVF template for spec, with values XML-escaped.
func descriptor(spec Spec, disk string, diskSize, mib int64) (string, error) {
	var props []string
	for _, k := range slices.Sorted(maps.Keys(spec.Properties)) {
		props = append(props, fmt.Sprintf(`      <Property ovf:key="%s" ovf:type="string" ovf:userConfigurable="false" ovf:value="%s"/>`, html.EscapeString(k), html.EscapeString(spec.Properties[k])))
	}
	fields := map[string]string{
		"NAME": spec.Name, "DISK_FILE": disk, "DISK_SIZE": fmt.Sprint(diskSize), "CAPACITY_MIB": fmt.Sprint(mib),
		"GUEST_OS_TYPE": "ubuntu64Guest",
		"PRODUCT":       spec.Properties["DISTRO_NAME"] + " and Kubernetes " + spec.Properties["KUBERNETES_SEMVER"],
		"VERSION":       "kube-" + spec.Properties["KUBERNETES_SEMVER"],
	}
	var missing []string
	out := os.Expand(template, func(key string) string {
		if key == "PROPERTIES" {
			return strings.Join(props, "\n")
		}
		v, ok := fields[key]
		if !ok {
			missing = append(missing, key)
		}
		return html.EscapeString(v)
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("the OVF template has fields ovatest does not fill: %v", missing)
	}
	return out, nil
}
