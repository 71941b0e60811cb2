package ova

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// member is one tar member of a test OVA.
type member struct {
	name     string
	typeflag byte
	body     []byte
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// goodMembers are the members of a well-formed OVA in Image Builder's order: OVF, manifest,
// disk.
func goodMembers(t *testing.T) []member {
	ovf := member{name: "node.ovf", body: readFixture(t, "capi.ovf")}
	disk := member{name: "node-disk-0.vmdk", body: []byte(strings.Repeat("disk", 40000))}
	return []member{ovf, manifestOf("node.mf", "SHA256", ovf, disk), disk}
}

// manifestOf is a manifest member listing the members with the algorithm's digests.
func manifestOf(name, alg string, members ...member) member {
	var b strings.Builder
	for _, m := range members {
		h := newHash(alg)
		h.Write(m.body)
		fmt.Fprintf(&b, "%s(%s)= %x\n", alg, m.name, h.Sum(nil))
	}
	return member{name: name, body: []byte(b.String())}
}

// writeOVA writes members as a tar at dir/node.ova and its sha256 file, returning the path.
func writeOVA(t *testing.T, members []member) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "node.ova")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	for _, m := range members {
		typ := m.typeflag
		if typ == 0 {
			typ = tar.TypeReg
		}
		hdr := &tar.Header{Name: m.name, Typeflag: typ, Mode: 0o644, Size: int64(len(m.body)), Format: tar.FormatUSTAR}
		if typ == tar.TypeSymlink {
			hdr.Linkname, hdr.Size = "/etc/passwd", 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			if _, err := tw.Write(m.body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	writeSum(t, path)
	return path
}

// writeSum writes path+".sha256" with path's digest, as Image Builder does.
func writeSum(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	digest := hex.EncodeToString(sum[:])
	if err := os.WriteFile(path+".sha256", []byte(digest+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return digest
}

func TestVerifyGoodOVA(t *testing.T) {
	t.Parallel()
	path := writeOVA(t, goodMembers(t))
	img, err := Verify(path)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if img.Size != st.Size() {
		t.Errorf("Size = %d, want %d", img.Size, st.Size())
	}
	if want := writeSum(t, path); img.SHA256 != want {
		t.Errorf("SHA256 = %s, want %s", img.SHA256, want)
	}
	if got := strings.Join(img.Members, ","); got != "node.ovf,node.mf,node-disk-0.vmdk" {
		t.Errorf("Members = %s", got)
	}
	if img.Product != "Ubuntu 22.04 and Kubernetes v1.30.2+vmware.1" || img.Version != "kube-v1.30.2+vmware.1" {
		t.Errorf("Product, Version = %q, %q", img.Product, img.Version)
	}
	want := map[string]string{
		"BUILD_TIMESTAMP": "1795748472", "IMAGE_BUILDER_VERSION": "v0.1.55", "DISTRO_NAME": "ubuntu",
		"DISTRO_VERSION": "22.04", "DISTRO_ARCH": "amd64", "KUBERNETES_SEMVER": "v1.30.2+vmware.1",
		"VERSION": "v1.30.2+vmware.1-tkg.1-0123456789ab",
	}
	if len(img.Properties) != len(want) {
		t.Errorf("Properties = %v, want %v", img.Properties, want)
	}
	if err := CheckProperties(img.Properties, want); err != nil {
		t.Errorf("CheckProperties: %v", err)
	}
}

func TestVerifyRefuses(t *testing.T) {
	t.Parallel()
	ovf := readFixture(t, "capi.ovf")
	disk := []byte("disk")
	tests := []struct {
		name    string
		members []member
		// edit changes the written OVA or its sum before Verify.
		edit func(t *testing.T, path string)
		want string
	}{
		{
			name:    "dot-dot member",
			members: []member{{name: "node.ovf", body: ovf}, {name: "../evil", body: disk}, {name: "node-disk-0.vmdk", body: disk}},
			want:    `tar member "../evil" contains ".."`,
		},
		{
			name:    "dot-dot inside member",
			members: []member{{name: "node.ovf", body: ovf}, {name: "a/../../evil", body: disk}},
			want:    `tar member "a/../../evil" contains ".."`,
		},
		{
			name:    "absolute member",
			members: []member{{name: "node.ovf", body: ovf}, {name: "/etc/cron.d/evil", body: disk}},
			want:    `tar member "/etc/cron.d/evil" has an absolute path`,
		},
		{
			name:    "symlink member",
			members: []member{{name: "node.ovf", body: ovf}, {name: "link", typeflag: tar.TypeSymlink}},
			want:    `tar member "link" has type '2'; OVA members are regular files`,
		},
		{
			name:    "duplicate member",
			members: []member{{name: "node.ovf", body: ovf}, {name: "node-disk-0.vmdk", body: disk}, {name: "node-disk-0.vmdk", body: disk}},
			want:    `tar member "node-disk-0.vmdk" appears twice`,
		},
		{
			name:    "OVF not first",
			members: []member{{name: "node-disk-0.vmdk", body: disk}, {name: "node.ovf", body: ovf}},
			want:    `first tar member is "node-disk-0.vmdk"`,
		},
		{
			name:    "referenced disk missing",
			members: []member{{name: "node.ovf", body: ovf}},
			want:    `node.ovf references "node-disk-0.vmdk", which is not in the OVA`,
		},
		{
			name:    "OVF not XML",
			members: []member{{name: "node.ovf", body: []byte("<Envelope><VirtualSystem>")}},
			want:    "node.ovf: parse OVF:",
		},
		{
			name:    "OVF without virtual system",
			members: []member{{name: "node.ovf", body: []byte("<Envelope></Envelope>")}},
			want:    "no VirtualSystem",
		},
		{
			name: "disk differs from the manifest",
			members: []member{{name: "node.ovf", body: ovf}, manifestOf("node.mf", "SHA256", member{name: "node.ovf", body: ovf}, member{name: "node-disk-0.vmdk", body: []byte("another disk")}),
				{name: "node-disk-0.vmdk", body: disk}},
			want: `tar member "node-disk-0.vmdk" has SHA256 ` + sha256Hex(disk) + `; the manifest node.mf says ` + sha256Hex([]byte("another disk")),
		},
		{
			name: "descriptor differs from a manifest after the disks",
			members: []member{{name: "node.ovf", body: ovf}, {name: "node-disk-0.vmdk", body: disk},
				manifestOf("node.mf", "SHA256", member{name: "node.ovf", body: []byte("<Envelope/>")}, member{name: "node-disk-0.vmdk", body: disk})},
			want: `tar member "node.ovf" has SHA256 ` + sha256Hex(ovf),
		},
		{
			name:    "member the manifest does not list",
			members: []member{{name: "node.ovf", body: ovf}, manifestOf("node.mf", "SHA256", member{name: "node.ovf", body: ovf}), {name: "node-disk-0.vmdk", body: disk}},
			want:    `tar member "node-disk-0.vmdk" is not listed in the manifest node.mf`,
		},
		{
			name: "manifest entry without a member",
			members: []member{{name: "node.ovf", body: ovf}, manifestOf("node.mf", "SHA256", member{name: "node.ovf", body: ovf}, member{name: "node-disk-0.vmdk", body: disk}, member{name: "extra.iso"}),
				{name: "node-disk-0.vmdk", body: disk}},
			want: "the manifest node.mf lists extra.iso, which is not in the OVA",
		},
		{
			name:    "manifest line not an entry",
			members: []member{{name: "node.ovf", body: ovf}, {name: "node.mf", body: []byte("MD5(node.ovf)= 00\n")}, {name: "node-disk-0.vmdk", body: disk}},
			want:    `node.mf:1: "MD5(node.ovf)= 00" is not a manifest entry`,
		},
		{
			name: "two manifests",
			members: []member{{name: "node.ovf", body: ovf}, manifestOf("node.mf", "SHA256", member{name: "node.ovf", body: ovf}),
				manifestOf("other.mf", "SHA256", member{name: "node.ovf", body: ovf})},
			want: "the OVA holds two manifests, node.mf and other.mf",
		},
		{
			name:    "wrong digest",
			members: goodMembers(t),
			edit: func(t *testing.T, path string) {
				if err := os.WriteFile(path+".sha256", []byte(strings.Repeat("ab", 32)+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			want: "node.ova.sha256 says abab",
		},
		{
			name:    "digest file not a digest",
			members: goodMembers(t),
			edit: func(t *testing.T, path string) {
				if err := os.WriteFile(path+".sha256", []byte("nope\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			want: `"nope" is not a sha256 digest`,
		},
		{
			name:    "digest file missing",
			members: goodMembers(t),
			edit: func(t *testing.T, path string) {
				if err := os.Remove(path + ".sha256"); err != nil {
					t.Fatal(err)
				}
			},
			want: "read digest:",
		},
		{
			name:    "truncated",
			members: goodMembers(t),
			edit: func(t *testing.T, path string) {
				st, err := os.Stat(path)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.Truncate(path, st.Size()/2); err != nil {
					t.Fatal(err)
				}
				writeSum(t, path) // the digest matches: only the tar walk can tell
			},
			want: "the OVA is truncated",
		},
		{
			name:    "not a tar",
			members: goodMembers(t),
			edit: func(t *testing.T, path string) {
				if err := os.WriteFile(path, []byte(strings.Repeat("not a tar archive\n", 64)), 0o644); err != nil {
					t.Fatal(err)
				}
				writeSum(t, path)
			},
			want: "read tar header",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := writeOVA(t, tt.members)
			if tt.edit != nil {
				tt.edit(t, path)
			}
			_, err := Verify(path)
			if err == nil {
				t.Fatalf("Verify succeeded, want an error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v\nwant it to contain %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), "node.ova") {
				t.Errorf("error %v does not name the OVA", err)
			}
		})
	}
}

func TestVerifyMissingOVA(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "gone.ova")
	if err := os.WriteFile(path+".sha256", []byte(strings.Repeat("0", 64)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Verify(path)
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("error = %v, want not-exist", err)
	}
}

func TestCheckProperties(t *testing.T) {
	t.Parallel()
	props := map[string]string{"KUBERNETES_SEMVER": "v1.30.2", "DISTRO_NAME": "ubuntu", "EXTRA": "x"}
	tests := []struct {
		name string
		want map[string]string
		err  string
	}{
		{name: "all agree", want: map[string]string{"KUBERNETES_SEMVER": "v1.30.2", "DISTRO_NAME": "ubuntu"}},
		{name: "nothing wanted", want: nil},
		{
			name: "different and missing",
			want: map[string]string{"KUBERNETES_SEMVER": "v1.30.3", "VERSION": "v1", "DISTRO_NAME": "ubuntu"},
			err:  `OVF property KUBERNETES_SEMVER is "v1.30.2", want "v1.30.3"; OVF property VERSION is missing, want "v1"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckProperties(props, tt.want)
			if tt.err == "" {
				if err != nil {
					t.Fatalf("CheckProperties: %v", err)
				}
				return
			}
			var mm *MismatchError
			if !errors.As(err, &mm) {
				t.Fatalf("error = %v, want a *MismatchError", err)
			}
			if err.Error() != tt.err {
				t.Errorf("error = %q\nwant    %q", err, tt.err)
			}
		})
	}
}

func TestParseOVFClassAndInstance(t *testing.T) {
	t.Parallel()
	d, err := parseOVF("node.ovf", []byte(`<Envelope><VirtualSystemCollection><VirtualSystem>
<ProductSection ovf:class="vami" ovf:instance="1"><Property ovf:key="ip" ovf:value="10.0.0.1"/></ProductSection>
</VirtualSystem></VirtualSystemCollection></Envelope>`))
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Properties["vami.ip.1"]; got != "10.0.0.1" {
		t.Errorf("Properties = %v, want vami.ip.1", d.Properties)
	}
	if _, err := parseOVF("node.ovf", []byte(`<Envelope><VirtualSystem><ProductSection><Property ovf:key="A" ovf:value="1"/><Property ovf:key="A" ovf:value="2"/></ProductSection></VirtualSystem></Envelope>`)); err == nil || !strings.Contains(err.Error(), `"A" is defined twice`) {
		t.Errorf("duplicate property: error = %v", err)
	}
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// TestManifestOrders verifies OVAs whose manifest comes first (Image Builder's order) or last
// (as some exporters write it), with SHA1, SHA256 and SHA512 entries, and the manifest
// digest each gives the build record.
func TestManifestOrders(t *testing.T) {
	t.Parallel()
	ovf := member{name: "node.ovf", body: readFixture(t, "capi.ovf")}
	disk := member{name: "node-disk-0.vmdk", body: []byte(strings.Repeat("disk", 1000))}
	tests := map[string][]member{
		"SHA256 first": {ovf, manifestOf("node.mf", "SHA256", ovf, disk), disk},
		"SHA1 first":   {ovf, manifestOf("node.mf", "SHA1", ovf, disk), disk},
		"SHA512 first": {ovf, manifestOf("node.mf", "SHA512", ovf, disk), disk},
		"SHA256 last":  {ovf, disk, manifestOf("node.mf", "SHA256", ovf, disk)},
		"no manifest":  {ovf, disk},
	}
	for name, members := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			img, err := Verify(writeOVA(t, members))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			// The manifest's digest anchors a chain of trust unless there is none or it lists
			// SHA-1 digests.
			want := ""
			for _, m := range members {
				if IsManifest(m.name) && !strings.HasPrefix(name, "SHA1") {
					want = sha256Hex(m.body)
				}
			}
			if img.ManifestSHA256 != want {
				t.Errorf("ManifestSHA256 = %q, want %q", img.ManifestSHA256, want)
			}
		})
	}
}

// TestPipelinedHash compares the pipelined hash with a plain one over writes of every size
// around its chunk.
func TestPipelinedHash(t *testing.T) {
	t.Parallel()
	data := make([]byte, 3*pipelinedChunk+12345)
	for i := range data {
		data[i] = byte(i * 7)
	}
	for _, step := range []int{1 << 10, pipelinedChunk - 1, pipelinedChunk, pipelinedChunk + 1, len(data)} {
		p := newPipelined(sha256.New())
		for rest := data; len(rest) > 0; {
			n := min(step, len(rest))
			p.Write(rest[:n])
			rest = rest[n:]
		}
		if got, want := hex.EncodeToString(p.Sum(nil)), sha256Hex(data); got != want {
			t.Errorf("writes of %d bytes: sum %s, want %s", step, got, want)
		}
	}
}
