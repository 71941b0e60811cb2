package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/imagebuilder"
	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/testutil/ovatest"
)

// TestVerifyOnly verifies an OVA made by the real qemu-img with build --verify-only: the
// artifact printed is what a build record would carry, and an OVA that is not what its
// .sha256 or the cell says is refused with the reason.
func TestVerifyOnly(t *testing.T) {
	t.Parallel()
	cell := vsphereCell(t)
	dir := t.TempDir()
	props := map[string]string{"VERSION": imagebuilder.OVAVersion(cell), "KUBERNETES_SEMVER": "v1.30.2+vmware.1", "DISTRO_NAME": "ubuntu", "DISTRO_VERSION": "22.04", "DISTRO_ARCH": "amd64"}
	good := ovatest.Make(t, dir, ovatest.Spec{Name: "good", Properties: props})
	writeSum(t, good.Path, good.SHA256)
	props["DISTRO_VERSION"] = "24.04"
	other := ovatest.Make(t, dir, ovatest.Spec{Name: "other", Properties: props})
	writeSum(t, other.Path, other.SHA256)
	bad := ovatest.Make(t, dir, ovatest.Spec{Name: "bad"})
	writeSum(t, bad.Path, strings.Repeat("0", 64))

	tests := []struct {
		name string
		ova  string
		want string // in the error; none when empty
	}{
		{name: "as built", ova: good.Path},
		{name: "another OS version", ova: other.Path, want: `does not match cell vsphere-ubuntu-2204-amd64-v1.30.2---vmware.1: OVF property DISTRO_VERSION is "24.04", want "22.04"`},
		{name: "digest differs", ova: bad.Path, want: "bad.ova.sha256 says 0000"},
		{name: "missing", ova: filepath.Join(dir, "none.ova"), want: "none.ova.sha256: no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), []string{"--cell", "testdata/vsphere.json", "--verify-only", tt.ova}, nil, nil, &stdout, &stderr)
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("error = %v, want one containing %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			var got record.OVAArtifact
			if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
				t.Fatalf("stdout is not an OVA artifact: %v\n%s", err, stdout.String())
			}
			if got.Path != tt.ova || got.Size != good.Size || got.SHA256 != good.SHA256 || got.ManifestSHA256 != good.ManifestSHA256 || got.Version != props["VERSION"] || got.Properties["DISTRO_VERSION"] != "22.04" {
				t.Errorf("artifact %+v; want %s, %d bytes, sha256 %s, manifest sha256 %s, version %s", got, tt.ova, good.Size, good.SHA256, good.ManifestSHA256, props["VERSION"])
			}
		})
	}
}

// writeSum writes the OVA's .sha256 as Image Builder does: the hex digest and a newline.
func writeSum(t *testing.T, ova, sum string) {
	t.Helper()
	if err := os.WriteFile(ova+".sha256", []byte(sum+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// vsphereCell is the cell of testdata/vsphere.json.
func vsphereCell(tb testing.TB) record.Cell {
	tb.Helper()
	data, err := os.ReadFile("testdata/vsphere.json")
	if err != nil {
		tb.Fatal(err)
	}
	cell, err := record.Decode[record.Cell]("testdata/vsphere.json", data, record.KindCell)
	if err != nil {
		tb.Fatal(err)
	}
	return cell
}
