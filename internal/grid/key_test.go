package grid

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
