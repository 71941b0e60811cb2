package propose

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imagegrid/imagegrid/internal/catalog"
	"github.com/imagegrid/imagegrid/internal/record"
)

// ovaRecord is the publish record of a vSphere ubuntu-2204 image that replaces the default
// of TKr v1.30.2+vmware.1-tkg.1 in ../catalog/testdata/catalog.
func ovaRecord() record.PublishRecord {
	key := strings.Repeat("ab", 32)
	at := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	return record.PublishRecord{
		APIVersion: record.APIVersion, Kind: record.KindPublishRecord,
		Cell: record.Cell{
			APIVersion: record.APIVersion, Kind: record.KindCell,
			ID: "vsphere-ubuntu-2204-amd64-v1.30.2---vmware.1", Grid: "tkg", Infra: record.InfraVSphere,
			OS:              record.OS{ID: "ubuntu-2204", Name: "ubuntu", Version: "22.04", Arch: "amd64", Type: "linux"},
			Kubernetes:      record.Kubernetes{Semver: "v1.30.2+vmware.1", TKr: "v1.30.2+vmware.1-tkg.1"},
			ReplacesDefault: true, BuildKey: key,
		},
		BuildKey: key, Status: record.PublishSucceeded, Started: at, Finished: at, BuiltAt: at, ImageBuilderVersion: "v0.1.55",
		VSphere: &record.VSpherePlacement{Status: record.PublishSucceeded, VCenter: "vc", Datacenter: "DC0", Template: "/DC0/vm/t", MoRef: "vm-1",
			Version: "v1.30.2+vmware.1-tkg.1-" + key[:12]},
	}
}

// git runs the real git binary in dir.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("these tests need the git binary: apt-get install git")
	}
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// catalogRepo makes a git repository whose folder "catalog" holds ../catalog/testdata/catalog.
func catalogRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	if err := os.CopyFS(filepath.Join(dir, "catalog"), os.DirFS("../catalog/testdata/catalog")); err != nil {
		t.Fatal(err)
	}
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "catalog")
	return dir
}

func TestLocalMode(t *testing.T) {
	dir := catalogRepo(t)
	opts := &Options{Dir: dir, Base: "main", Path: "catalog", RunURL: "https://github.com/o/r/actions/runs/1"}
	var log bytes.Buffer
	res, err := Propose(context.Background(), opts, []record.PublishRecord{ovaRecord()}, &log)
	if err != nil {
		t.Fatal(err)
	}
	if res.Commit == "" || res.Branch != "imagegrid/catalog-tkg" {
		t.Fatalf("result %+v", res)
	}
	if got := git(t, dir, "rev-parse", "imagegrid/catalog-tkg"); got != res.Commit {
		t.Errorf("branch at %s, want %s", got, res.Commit)
	}
	files := git(t, dir, "diff", "--name-status", "main", "imagegrid/catalog-tkg")
	for _, want := range []string{
		"A\tcatalog/images.json",
		"A\tcatalog/v1.30.2---vmware.1-tkg.1/config/OSImage-v1.30.2---vmware.1-tkg.1-ubuntu-2204-amd64-ova-imagegrid.yml",
		"M\tcatalog/v1.30.2---vmware.1-tkg.1/config/TanzuKubernetesRelease.yml",
	} {
		if !strings.Contains(files, want) {
			t.Errorf("commit lacks %q:\n%s", want, files)
		}
	}
	for _, want := range []string{"| `vsphere-ubuntu-2204-amd64-v1.30.2---vmware.1` | vsphere |", "OSImage/v1.30.2---vmware.1-tkg.1-ubuntu-2204-amd64-ova", "https://github.com/o/r/actions/runs/1"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks the body line %q:\n%s", want, log.String())
		}
	}
	if err := Check(&Options{Dir: dir, Path: "catalog"}); err != nil {
		t.Errorf("check after the edit: %v", err)
	}

	// The same records again: no second commit.
	again, err := Propose(context.Background(), opts, []record.PublishRecord{ovaRecord()}, &log)
	if err != nil {
		t.Fatal(err)
	}
	if again.Commit != "" || git(t, dir, "rev-parse", "HEAD") != res.Commit {
		t.Errorf("second run committed %q", again.Commit)
	}
}

func TestLocalModeRefusesDirtyCheckout(t *testing.T) {
	dir := catalogRepo(t)
	if err := os.WriteFile(filepath.Join(dir, "catalog", "stray.yml"), []byte("a: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Propose(context.Background(), &Options{Dir: dir, Base: "main", Path: "catalog"}, []record.PublishRecord{ovaRecord()}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "uncommitted changes") || !strings.Contains(err.Error(), "stray.yml") {
		t.Fatalf("got %v", err)
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../catalog/testdata/catalog")); err != nil {
		t.Fatal(err)
	}
	if err := Check(&Options{}); err == nil || !strings.Contains(err.Error(), "--check needs --catalog-dir") {
		t.Errorf("a check without a checkout: got %v", err)
	}
	if err := Check(&Options{Dir: dir}); err != nil {
		t.Fatalf("the fixture catalog fails the check: %v", err)
	}
	tkr := filepath.Join(dir, "v1.30.2---vmware.1-tkg.1", "config", "TanzuKubernetesRelease.yml")
	data, _ := os.ReadFile(tkr)
	broken := strings.Replace(string(data), "photon-5-amd64-ova", "photon-5-amd64-ova-missing", 1)
	if err := os.WriteFile(tkr, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Check(&Options{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "OSImage/v1.30.2---vmware.1-tkg.1-photon-5-amd64-ova-missing, which is not in the catalog") ||
		!strings.Contains(err.Error(), "TanzuKubernetesRelease.yml:3") {
		t.Fatalf("got %v", err)
	}
}

func TestLocalModeFailureLeavesCheckoutAsItWas(t *testing.T) {
	dir := catalogRepo(t)
	bad := ovaRecord()
	bad.Cell.ReplacesDefault = false // the TKr has a default for this combination: refused
	_, err := Propose(context.Background(), &Options{Dir: dir, Base: "main", Path: "catalog"}, []record.PublishRecord{bad}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "replacesDefault") {
		t.Fatalf("got %v", err)
	}
	if b := git(t, dir, "rev-parse", "--abbrev-ref", "HEAD"); b != "main" {
		t.Errorf("checkout left on %s", b)
	}
	if branches := git(t, dir, "branch", "--list", "imagegrid/*"); branches != "" {
		t.Errorf("branch left behind: %s", branches)
	}
	if status := git(t, dir, "status", "--porcelain"); status != "" {
		t.Errorf("files left behind:\n%s", status)
	}
}

// TestRunUsesSelectors: the selectors of the options decide both the check and the edits.
func TestRunUsesSelectors(t *testing.T) {
	noble := ovaRecord() // ubuntu 24.04 beside the TKr's ubuntu 22.04 default
	noble.Cell.ID, noble.Cell.OS.ID, noble.Cell.OS.Version = "vsphere-ubuntu-2404-amd64-v1.30.2---vmware.1", "ubuntu-2404", "24.04"
	noble.Cell.ReplacesDefault = false
	withVersion := catalog.DefaultSelectors().With(catalog.Selectors{record.InfraVSphere: {{catalog.LabelImageType, catalog.LabelOSName, catalog.LabelOSVersion}}})

	dir := catalogRepo(t)
	opts := &Options{Dir: dir, Base: "main", Path: "catalog"}
	_, err := Propose(context.Background(), opts, []record.PublishRecord{noble}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "image-type=ova,os-name=ubuntu") {
		t.Fatalf("tanzu-framework's selectors: got %v, want a refusal naming the selector", err)
	}
	opts.Selectors = withVersion
	res, err := Propose(context.Background(), opts, []record.PublishRecord{noble}, &bytes.Buffer{})
	if err != nil || res.Commit == "" {
		t.Fatalf("clusters that select os-version: %+v, %v; want a commit", res, err)
	}

	check := &Options{Dir: dir, Path: "catalog", Selectors: withVersion}
	if err := Check(check); err != nil {
		t.Errorf("check with the selectors the edit used: %v", err)
	}
	check.Selectors = nil
	err = Check(check)
	if err == nil || !strings.Contains(err.Error(), "ubuntu-2404-amd64-ova-imagegrid") {
		t.Errorf("check with tanzu-framework's selectors: got %v, want the clash", err)
	}
}

// TestLocalModeRefusesLinkedCatalogFile commits a catalog file that is a link to a file
// outside the repository: the run is refused, naming it, and the checkout, the link and its
// target stay as they were.
func TestLocalModeRefusesLinkedCatalogFile(t *testing.T) {
	dir := catalogRepo(t)
	outside := filepath.Join(t.TempDir(), "TanzuKubernetesRelease.yml")
	tkr := filepath.Join(dir, "catalog", "v1.30.2---vmware.1-tkg.1", "config", "TanzuKubernetesRelease.yml")
	data, err := os.ReadFile(tkr)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(outside, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(tkr); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, tkr); err != nil {
		t.Fatal(err)
	}
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "link the TKr")
	_, err = Propose(context.Background(), &Options{Dir: dir, Base: "main", Path: "catalog"}, []record.PublishRecord{ovaRecord()}, &bytes.Buffer{})
	want := "v1.30.2---vmware.1-tkg.1/config/TanzuKubernetesRelease.yml is a symbolic link: imagegrid edits the catalog through no link"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Run: %v; want an error containing %q", err, want)
	}
	if info, err := os.Lstat(tkr); err != nil || info.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v, %v", info, err)
	}
	if got, _ := os.ReadFile(outside); string(got) != string(data) {
		t.Error("the file outside the repository changed")
	}
	if status := git(t, dir, "status", "--porcelain"); status != "" {
		t.Errorf("files left behind:\n%s", status)
	}
}
