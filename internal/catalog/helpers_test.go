package catalog

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imagegrid/imagegrid/internal/record"
)

// published makes the publish record of one cell. infra picks the placement: vsphere gets an
// OVA VERSION, aws an AMI per region, azure a gallery image version.
func published(infra, osID, tkr string, replaces bool, key string, regions ...string) record.PublishRecord {
	name, version, _ := strings.Cut(osID, "-")
	typ := "linux"
	switch {
	case name == "windows": // the OS id's version as Image Builder's windows-<version>.json sets it
		typ = "windows"
	case len(version) == 4:
		version = version[:2] + "." + version[2:]
	}
	semver, _, _ := strings.Cut(tkr, "-tkg")
	buildKey := strings.Repeat(key, 64)[:64]
	cell := record.Cell{
		APIVersion: record.APIVersion, Kind: record.KindCell,
		ID:   infra + "-" + osID + "-amd64-" + strings.ReplaceAll(semver, "+", "---"),
		Grid: "tkg", Infra: infra,
		OS:              record.OS{ID: osID, Name: name, Version: version, Arch: "amd64", Type: typ},
		Kubernetes:      record.Kubernetes{Semver: semver, TKr: tkr},
		ReplacesDefault: replaces,
		BuildKey:        buildKey,
	}
	at := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	r := record.PublishRecord{
		APIVersion: record.APIVersion, Kind: record.KindPublishRecord,
		Cell: cell, BuildKey: buildKey, Status: record.PublishSucceeded,
		Started: at, Finished: at.Add(5 * time.Minute), BuiltAt: at.Add(-time.Hour),
		ImageBuilderVersion: "v0.1.55",
	}
	switch infra {
	case record.InfraVSphere:
		r.VSphere = &record.VSpherePlacement{Status: record.PublishSucceeded, VCenter: "vcenter.example.com", Datacenter: "DC0",
			Template: "/DC0/vm/" + osID, MoRef: "vm-42", Version: tkr + "-" + buildKey[:12]}
	case record.InfraAWS:
		for i, region := range regions {
			r.AMIs = append(r.AMIs, record.AMIPlacement{Region: region, Status: record.PublishSucceeded,
				ID: "ami-" + buildKey[:15] + string(rune('a'+i)) + "0"})
		}
	case record.InfraAzure:
		if len(regions) == 0 {
			regions = []string{"eastus"}
		}
		for _, region := range regions {
			r.Azure = append(r.Azure, record.AzurePlacement{Status: record.PublishSucceeded, Region: region,
				ID: "/subscriptions/0000/resourceGroups/images/providers/Microsoft.Compute/galleries/tkg/images/capi-" + osID + "/versions/0.3." + buildKey[:6]})
		}
	}
	return r
}

// copyCatalog copies testdata/catalog into a new temporary directory.
func copyCatalog(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/catalog")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// git runs the real git binary in dir and returns its output.
func git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("these tests need the git binary: apt-get install git")
	}
	cmd := exec.Command("git", append([]string{"-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "core.quotepath=off", "-c", "init.defaultBranch=main"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// files reads every file under dir, path → content.
func files(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			if d != nil && d.Name() == ".git" {
				return fs.SkipDir
			}
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
