package grid

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/record"
)

const keyGridBuilders = `apiVersion: imagegrid.io/v1alpha1
kind: Grid
imageBuilders:
  ib:
    image: registry.k8s.io/scl-image-builder/cluster-node-image-builder-amd64:v0.1.55
    targets: {vsphere: [ubuntu-2204, photon-5], aws: [ubuntu-2204]}
kubernetes:
  - version: v1.30.2
  - version: v1.29.6
`

const keyGridCells = `apiVersion: imagegrid.io/v1alpha1
kind: Grid
infrastructures:
  vsphere: {os: [ubuntu-2204, photon-5]}
  aws: {os: [ubuntu-2204]}
settings:
  - match: {os: ubuntu-2204}
    varFiles: [a.json]
  - match: {infra: vsphere, os: photon-5}
    varFiles: [b.json]
    vars: {disk_size: "40960", extra_rpms: audit}
`

// The same declaration in one file, with keys in another order everywhere.
const keyGridReordered = `kind: Grid
settings:
  - varFiles: [a.json]
    match: {os: ubuntu-2204}
  - vars: {extra_rpms: audit, disk_size: "40960"}
    varFiles: [b.json]
    match: {os: photon-5, infra: vsphere}
infrastructures:
  aws: {os: [ubuntu-2204]}
  vsphere: {os: [ubuntu-2204, photon-5]}
kubernetes:
  - version: v1.30.2
  - version: v1.29.6
imageBuilders:
  ib:
    targets: {aws: [ubuntu-2204], vsphere: [ubuntu-2204, photon-5]}
    image: registry.k8s.io/scl-image-builder/cluster-node-image-builder-amd64:v0.1.55
apiVersion: imagegrid.io/v1alpha1
`

// keys loads dir and returns cell id → build key.
func keys(t *testing.T, dir string) map[string]string {
	t.Helper()
	cells, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, c := range cells {
		out[c.ID] = c.BuildKey
	}
	return out
}

func TestBuildKey(t *testing.T) {
	split := t.TempDir()
	writeFile(t, filepath.Join(split, "1-builders.yaml"), keyGridBuilders)
	writeFile(t, filepath.Join(split, "2-cells.yaml"), keyGridCells)
	writeFile(t, filepath.Join(split, "a.json"), `{"extra_debs": "auditd"}`)
	writeFile(t, filepath.Join(split, "b.json"), `{"extra_rpms": "audit"}`)
	base := keys(t, split)
	if len(base) != 6 {
		t.Fatalf("want 6 cells, got %v", base)
	}

	t.Run("reordered keys and files change nothing", func(t *testing.T) {
		one := t.TempDir()
		writeFile(t, filepath.Join(one, "grid.yaml"), keyGridReordered)
		writeFile(t, filepath.Join(one, "a.json"), `{"extra_debs": "auditd"}`)
		writeFile(t, filepath.Join(one, "b.json"), `{"extra_rpms": "audit"}`)
		if got := keys(t, one); !maps.Equal(got, base) {
			t.Errorf("keys changed:\n got %v\nwant %v", got, base)
		}
	})

	t.Run("a changed var file changes exactly the keys of its cells", func(t *testing.T) {
		writeFile(t, filepath.Join(split, "b.json"), `{"extra_rpms": "audit aide"}`)
		defer writeFile(t, filepath.Join(split, "b.json"), `{"extra_rpms": "audit"}`)
		got := keys(t, split)
		for id, key := range base {
			usesB := id == "vsphere-photon-5-amd64-v1.30.2" || id == "vsphere-photon-5-amd64-v1.29.6"
			if changed := got[id] != key; changed != usesB {
				t.Errorf("cell %s: key changed = %v, want %v", id, changed, usesB)
			}
		}
	})

	t.Run("publish settings do not change keys", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "1-builders.yaml"), keyGridBuilders)
		writeFile(t, filepath.Join(dir, "2-cells.yaml"), keyGridCells+`  - match: {infra: aws}
    aws: {regions: [eu-west-1]}
    replacesDefault: true
`)
		writeFile(t, filepath.Join(dir, "a.json"), `{"extra_debs": "auditd"}`)
		writeFile(t, filepath.Join(dir, "b.json"), `{"extra_rpms": "audit"}`)
		if got := keys(t, dir); !maps.Equal(got, base) {
			t.Errorf("keys changed:\n got %v\nwant %v", got, base)
		}
	})

	t.Run("a different Image Builder changes every key", func(t *testing.T) {
		dir := t.TempDir()
		for _, f := range []string{"2-cells.yaml", "a.json", "b.json"} {
			data, err := os.ReadFile(filepath.Join(split, f))
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(dir, f), string(data))
		}
		writeFile(t, filepath.Join(dir, "1-builders.yaml"), strings.Replace(keyGridBuilders, ":v0.1.55", ":v0.1.56", 1))
		got := keys(t, dir)
		for id, key := range base {
			if got[id] == key {
				t.Errorf("cell %s kept its key with another Image Builder", id)
			}
		}
	})
}

// TestRolesInBuildKey: a role is a folder whose files count in the key of the cells using it,
// and a role declared by two rules is used once.
func TestRolesInBuildKey(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "1-builders.yaml"), keyGridBuilders)
	writeFile(t, filepath.Join(dir, "2-cells.yaml"), `apiVersion: imagegrid.io/v1alpha1
kind: Grid
infrastructures:
  vsphere: {os: [ubuntu-2204, photon-5]}
settings:
  - match: {os: ubuntu-2204}
    roles: [roles/hardening]
  - roles: [roles/hardening, roles/site]
`)
	writeFile(t, filepath.Join(dir, "roles", "hardening", "tasks", "main.yml"), "- name: a\n")
	writeFile(t, filepath.Join(dir, "roles", "site", "tasks", "main.yml"), "- name: b\n")
	cells, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cells {
		var paths []string
		for _, r := range c.Roles {
			paths = append(paths, strings.TrimPrefix(r.Path, filepath.ToSlash(dir)+"/"))
		}
		if got := strings.Join(paths, " "); got != "roles/hardening roles/site" {
			t.Errorf("cell %s roles = %s, want each role once, in declaration order", c.ID, got)
		}
	}
	base := keys(t, dir)
	writeFile(t, filepath.Join(dir, "roles", "site", "files", "banner"), "authorised use only\n")
	for id, key := range keys(t, dir) {
		if key == base[id] {
			t.Errorf("cell %s kept its key after a file was added to its role", id)
		}
	}
}

// TestKeyHalvesAreOneObject: the key input written as its head (kept while cells share it)
// and its tail is byte for byte encoding/json's encoding of the whole input, whose sha256 is
// the key, as cells of different sites follow one another.
func TestKeyHalvesAreOneObject(t *testing.T) {
	ubuntu := record.Cell{Infra: "vsphere", OS: record.OS{ID: "ubuntu-2204", Name: "ubuntu", Version: "22.04", Arch: "amd64", Type: "linux"},
		Target: record.Target{Build: "build-node-ova-vsphere-ubuntu-2204"}, Kubernetes: record.Kubernetes{Semver: "v1.30.2", Series: "v1.30"},
		ImageBuilder: record.ImageBuilder{Image: "ib:v0.1.55", Version: "v0.1.55", Flavor: "upstream"}}
	withSettings := ubuntu
	withSettings.Kubernetes.Semver = "v1.30.3"
	withSettings.Vars = map[string]string{"b": "<&>", "a": "\u2028größe"}
	withSettings.VarFiles = []record.VarFile{{Path: "x.json", SHA256: "11"}, {Path: "y.json", SHA256: "22"}}
	withSettings.TKGConfig = &record.Folder{Path: "tkg", SHA256: "33"}
	withSettings.Roles = []record.Folder{{Path: "r", SHA256: "44"}}
	photon := ubuntu
	photon.Infra, photon.OS.ID, photon.OS.Name, photon.Target.Build = "aws", "photon-5", "photon <5>", "build-ami-photon-5"
	k := newKeyHasher()
	for i, c := range []record.Cell{ubuntu, withSettings, photon, ubuntu, photon, withSettings} {
		var got bytes.Buffer
		k.write(&got, c)
		var want bytes.Buffer
		whole := keyInput{keyHead{KeyVersion: keyVersion, Infra: c.Infra, OS: c.OS, Target: c.Target.Build}, k.in.keyTail}
		if err := json.NewEncoder(&want).Encode(whole); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("cell %d: key input\n%s\nwant\n%s", i, got.String(), want.String())
		}
		if sum := sha256.Sum256(want.Bytes()); k.key(c) != hex.EncodeToString(sum[:]) {
			t.Errorf("cell %d: key is not the sha256 of its input", i)
		}
	}
}
