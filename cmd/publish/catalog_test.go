package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/testutil/moto"
	"github.com/imagegrid/imagegrid/internal/testutil/vcsim"
)

// catalogRepo copies examples/catalog into a new git repository and returns its folder.
func catalogRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../../examples/catalog")); err != nil {
		t.Fatal(err)
	}
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "add", "-A")
	git(t, dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "catalog")
	return dir
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestRunProposesCatalog publishes, then commits the catalog change in a local checkout and
// keeps each record's edits in its publish record; a second run commits nothing.
func TestRunProposesCatalog(t *testing.T) {
	vc := vcsim.Start(t)
	mt := moto.Start(t)
	records := layout(t, mt)
	config := writeConfig(t, vc)
	actionsEnv(t, mt)
	repo := catalogRepo(t)
	out := filepath.Join(t.TempDir(), "published")
	args := []string{"--records", records, "--out", out, "--config", config, "--catalog-dir", repo}

	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s%s", err, stdout.String(), stderr.String())
	}
	if branch := git(t, repo, "branch", "--show-current"); branch != "imagegrid/catalog-tkg" {
		t.Errorf("catalog checkout on %q, want imagegrid/catalog-tkg", branch)
	}
	changed := git(t, repo, "diff", "--name-only", "main", "HEAD")
	for _, want := range []string{"config/TanzuKubernetesRelease.yml", "OSImage-v1.30.2---vmware.1-tkg.1-ubuntu-2204-amd64-ova-imagegrid.yml", "images.json"} {
		if !strings.Contains(changed, want) {
			t.Errorf("the catalog commit does not change %s:\n%s", want, changed)
		}
	}
	pr, err := record.ReadFile[record.PublishRecord](filepath.Join(out, "vsphere-ubuntu-2204-amd64-v1.30.2---vmware.1.json"), record.KindPublishRecord)
	if err != nil {
		t.Fatal(err)
	}
	if len(pr.Catalog) == 0 || !strings.Contains(stdout.String(), "catalog: committed") {
		t.Errorf("no catalog changes recorded: %+v\n%s", pr.Catalog, stdout.String())
	}
	head := git(t, repo, "rev-parse", "HEAD")

	stdout.Reset()
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("second run: %v\n%s", err, stdout.String())
	}
	if again := git(t, repo, "rev-parse", "HEAD"); again != head {
		t.Errorf("the second run committed again: %s → %s\n%s", head, again, git(t, repo, "show", "HEAD"))
	}
}

func TestCheckCatalog(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"--check", "--catalog-dir", "../../examples/catalog"}, &stdout, &stderr); err != nil {
		t.Fatalf("the example catalog: %v", err)
	}
	bad := t.TempDir()
	if err := os.CopyFS(bad, os.DirFS("../../examples/catalog")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(bad, "v1.30.2---vmware.1-tkg.1/config/OSImage-v1.30.2---vmware.1-tkg.1-photon-5-amd64-ova.yml")); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"--check", "--catalog-dir", bad}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "v1.30.2---vmware.1-tkg.1-photon-5-amd64-ova") {
		t.Errorf("a TKr listing a missing OSImage: %v", err)
	}
}

// TestCheckCatalogSelectors: --check judges the catalog with the selectors of the publish
// config when there is one (tanzu-framework's otherwise), and a config named by --config
// must exist.
func TestCheckCatalogSelectors(t *testing.T) {
	dir := t.TempDir()
	coarse := filepath.Join(dir, "coarse.yaml")
	fine := filepath.Join(dir, "fine.yaml")
	for path, doc := range map[string]string{
		coarse: "apiVersion: imagegrid.io/v1alpha1\nkind: PublishConfig\ncatalog:\n  selectors:\n    vsphere: [image-type]\n",
		fine:   "apiVersion: imagegrid.io/v1alpha1\nkind: PublishConfig\ncatalog:\n  selectors:\n    vsphere: [\"image-type,os-name,os-version\"]\n",
	} {
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A second ubuntu OVA (24.04) beside TKG's 22.04 in the example TKr.
	noble := t.TempDir()
	if err := os.CopyFS(noble, os.DirFS("../../examples/catalog")); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(noble, "v1.30.2---vmware.1-tkg.1", "config")
	src, err := os.ReadFile(filepath.Join(config, "OSImage-v1.30.2---vmware.1-tkg.1-ubuntu-2204-amd64-ova.yml"))
	if err != nil {
		t.Fatal(err)
	}
	osImage := strings.NewReplacer("2204", "2404", "5e8e7a5e6d4f7b91", "0e0e0e0e0e0e0e0e").Replace(string(src))
	if err := os.WriteFile(filepath.Join(config, "OSImage-v1.30.2---vmware.1-tkg.1-ubuntu-2404-amd64-ova.yml"), []byte(osImage), 0o644); err != nil {
		t.Fatal(err)
	}
	tkr, err := os.ReadFile(filepath.Join(config, "TanzuKubernetesRelease.yml"))
	if err != nil {
		t.Fatal(err)
	}
	tkr = []byte(strings.Replace(string(tkr), "  osImages:\n", "  osImages:\n  - name: v1.30.2---vmware.1-tkg.1-ubuntu-2404-amd64-ova\n", 1))
	if err := os.WriteFile(filepath.Join(config, "TanzuKubernetesRelease.yml"), tkr, 0o644); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name    string
		args    []string
		wantErr []string
	}{
		{"the example with tanzu-framework's selectors", []string{"--catalog-dir", "../../examples/catalog"}, nil},
		{"the example with coarser selectors", []string{"--catalog-dir", "../../examples/catalog", "--config", coarse},
			[]string{"ubuntu-2204-amd64-ova", "photon-5-amd64-ova", "selector image-type=ova", `vsphere clusters resolve with "image-type"`}},
		{"ubuntu 24.04 beside 22.04", []string{"--catalog-dir", noble},
			[]string{"ubuntu-2204-amd64-ova", "ubuntu-2404-amd64-ova", "selector image-type=ova,os-name=ubuntu"}},
		{"ubuntu 24.04 beside 22.04, for clusters that select os-version", []string{"--catalog-dir", noble, "--config", fine}, nil},
		{"a config that is not there", []string{"--catalog-dir", noble, "--config", filepath.Join(dir, "missing.yaml")}, []string{"missing.yaml"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), append([]string{"--check"}, tc.args...), &stdout, &stderr)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			for _, w := range tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v does not say %q", err, w)
				}
			}
		})
	}
}

// TestRunCatalogUsesConfigSelectors: publish hands the config's selectors to the catalog step,
// which checks the catalog with them before any edit. The run's only record is of a failed
// build, so nothing is published and no cloud is needed.
func TestRunCatalogUsesConfigSelectors(t *testing.T) {
	records := t.TempDir()
	failed := buildRecord(cell("aws", "ubuntu-2404", failedKey), record.BuildFailed)
	failed.Failure = &record.Failure{Class: record.FailurePermanent, Reason: "goss non-zero exit status"}
	if err := record.WriteFile(filepath.Join(records, failed.Cell.ID, "build-record.json"), failed); err != nil {
		t.Fatal(err)
	}
	coarse := filepath.Join(t.TempDir(), "publish.yaml")
	doc := "apiVersion: imagegrid.io/v1alpha1\nkind: PublishConfig\naws: {regions: [us-east-1]}\ncatalog:\n  selectors:\n    vsphere: [image-type]\n"
	if err := os.WriteFile(coarse, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		config  string
		wantErr string
	}{
		{"testdata/aws-only.yaml", ""},
		{coarse, "both match the selector image-type=ova"},
	} {
		t.Run(filepath.Base(tc.config), func(t *testing.T) {
			repo := catalogRepo(t)
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), []string{"--records", records, "--out", t.TempDir(), "--config", tc.config, "--catalog-dir", repo}, &stdout, &stderr)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("%v\n%s", err, stdout.String())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "inconsistent before any edit") {
				t.Errorf("error %v; want the catalog refused with %q", err, tc.wantErr)
			}
		})
	}
}
