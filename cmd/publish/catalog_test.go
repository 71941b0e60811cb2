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
