package propose

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"strings"
	"testing"

	gh "github.com/google/go-github/v93/github"

	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/testutil/fakegithub"
)

// TestPullRequestMode runs the step end to end against the fake GitHub. Its cyclomatic
// complexity is above 15 because it is one scenario checked step by step: each branch is an
// assertion, not logic.
func TestPullRequestMode(t *testing.T) {
	files := map[string]string{}
	err := fs.WalkDir(os.DirFS("../catalog/testdata/catalog"), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(os.DirFS("../catalog/testdata/catalog"), p)
		files["tkr/"+p] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := fakegithub.New("acme", "catalog", files)
	defer srv.Close()
	opts := &Options{Repo: "acme/catalog", Base: "main", Path: "tkr", Labels: "catalog, images", Reviewers: "alice",
		RunURL: "https://github.com/acme/images/actions/runs/7", Token: srv.Token, APIURL: srv.URL}
	records := []record.PublishRecord{ovaRecord()}
	var log bytes.Buffer
	res, err := Propose(context.Background(), opts, records, &log)
	if err != nil {
		t.Fatal(err)
	}
	pulls := srv.Pulls()
	if res.Commit == "" || len(pulls) != 1 || res.PullRequest == "" {
		t.Fatalf("result %+v, pulls %+v", res, pulls)
	}
	p := pulls[0]
	for _, want := range []string{"`vsphere-ubuntu-2204-amd64-v1.30.2---vmware.1` | vsphere | `OVA v1.30.2+vmware.1-tkg.1-abababababab`",
		"OSImage/v1.30.2---vmware.1-tkg.1-ubuntu-2204-amd64-ova |", "https://github.com/acme/images/actions/runs/7", Marker} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("body lacks %q:\n%s", want, p.Body)
		}
	}
	if p.Head != "imagegrid/catalog-tkg" || strings.Join(p.Labels, ",") != "catalog,images" || strings.Join(p.Reviewers, ",") != "alice" {
		t.Errorf("pull request %+v", p)
	}
	branch := srv.Files("imagegrid/catalog-tkg")
	if !strings.Contains(branch["tkr/images.json"], `"cellId": "vsphere-ubuntu-2204-amd64-v1.30.2---vmware.1"`) {
		t.Errorf("images.json on the branch: %q", branch["tkr/images.json"])
	}
	if _, err := record.Decode[record.PublishedImages]("images.json", []byte(branch["tkr/images.json"]), record.KindPublishedImages); err != nil {
		t.Errorf("the ledger does not decode strictly: %v", err)
	}
	if branch["tkr/v1.29.6---vmware.1-tkg.2/config/TanzuKubernetesRelease.yml"] != files["tkr/v1.29.6---vmware.1-tkg.2/config/TanzuKubernetesRelease.yml"] {
		t.Error("an untouched file changed")
	}
	commits := srv.Commits("imagegrid/catalog-tkg")

	again, err := Propose(context.Background(), opts, records, &log)
	if err != nil {
		t.Fatal(err)
	}
	if again.Commit != "" || srv.Commits("imagegrid/catalog-tkg") != commits || len(srv.Pulls()) != 1 {
		t.Errorf("the same records made a second commit or pull request: %+v", again)
	}

	// A later run publishes another image while the pull request is still open: the pull
	// request is updated and its body describes both runs' images.
	photon := ovaRecord()
	key := strings.Repeat("cd", 32)
	photon.Cell.ID, photon.Cell.BuildKey, photon.BuildKey = "vsphere-photon-5-amd64-v1.30.2---vmware.1", key, key
	photon.Cell.OS = record.OS{ID: "photon-5", Name: "photon", Version: "5", Arch: "amd64", Type: "linux"}
	photon.VSphere.Version = "v1.30.2+vmware.1-tkg.1-" + key[:12]
	opts.RunURL = "https://github.com/acme/images/actions/runs/8"
	if _, err := Propose(context.Background(), opts, []record.PublishRecord{photon}, &log); err != nil {
		t.Fatal(err)
	}
	pulls = srv.Pulls()
	if len(pulls) != 1 {
		t.Fatalf("%d pull requests, want the one updated", len(pulls))
	}
	for _, want := range []string{"`vsphere-ubuntu-2204-amd64-v1.30.2---vmware.1`", "`vsphere-photon-5-amd64-v1.30.2---vmware.1`",
		"Published by run https://github.com/acme/images/actions/runs/7.", "Published by run https://github.com/acme/images/actions/runs/8."} {
		if !strings.Contains(pulls[0].Body, want) {
			t.Errorf("the updated body lacks %q:\n%s", want, pulls[0].Body)
		}
	}
}

func TestBodyCarriesOnlyItsOwnRows(t *testing.T) {
	previous := "Someone's own description.\n| `not ours` | x | y | z | w |\n"
	if got := Body(nil, "", previous); strings.Contains(got, "not ours") {
		t.Errorf("a body imagegrid did not write was carried on:\n%s", got)
	}
}

func TestProposeRejectsGridsThatCannotNameTheBranch(t *testing.T) {
	a, b := ovaRecord(), ovaRecord()
	b.Cell.Grid = "other"
	_, err := Propose(context.Background(), &Options{Dir: t.TempDir()}, []record.PublishRecord{a, b}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "once per grid") {
		t.Fatalf("got %v", err)
	}
	_, err = Propose(context.Background(), &Options{}, []record.PublishRecord{a}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "exactly one of --catalog-dir") {
		t.Fatalf("got %v", err)
	}
	// The grid declaration's rule: a grid matrix would refuse names no branch.
	for _, grid := range []string{"", "TKG", "tkg.1", "tkg_1", "-tkg", strings.Repeat("g", 64)} {
		a.Cell.Grid = grid
		_, err = Propose(context.Background(), &Options{Dir: t.TempDir()}, []record.PublishRecord{a}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), "is not a valid grid name") {
			t.Errorf("grid %q: got %v", grid, err)
		}
	}
}

// TestPullRequestModeRefusesLinkedCatalogFile makes a catalog file on GitHub a symbolic link
// (a tree entry of mode 120000): the run is refused, naming it, and nothing is pushed.
func TestPullRequestModeRefusesLinkedCatalogFile(t *testing.T) {
	const tkr = "tkr/v1.30.2---vmware.1-tkg.1/config/TanzuKubernetesRelease.yml"
	data, err := os.ReadFile("../catalog/testdata/catalog/v1.30.2---vmware.1-tkg.1/config/TanzuKubernetesRelease.yml")
	if err != nil {
		t.Fatal(err)
	}
	srv := fakegithub.New("acme", "catalog", map[string]string{tkr: string(data)})
	defer srv.Close()
	ctx := context.Background()
	api := srv.URL + "/"
	client, err := gh.NewClient(gh.WithAuthToken(srv.Token), gh.WithURLs(&api, nil))
	if err != nil {
		t.Fatal(err)
	}
	ref, _, err := client.Git.GetRef(ctx, "acme", "catalog", "heads/main")
	if err != nil {
		t.Fatal(err)
	}
	parent, _, err := client.Git.GetCommit(ctx, "acme", "catalog", ref.GetObject().GetSHA())
	if err != nil {
		t.Fatal(err)
	}
	tree, _, err := client.Git.CreateTree(ctx, "acme", "catalog", parent.GetTree().GetSHA(), []*gh.TreeEntry{
		{Path: new(tkr), Mode: new("120000"), Type: new("blob"), Content: new("../../../../other/TanzuKubernetesRelease.yml")},
	})
	if err != nil {
		t.Fatal(err)
	}
	commit, _, err := client.Git.CreateCommit(ctx, "acme", "catalog", gh.Commit{Message: new("link the TKr"), Tree: tree, Parents: []*gh.Commit{parent}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := client.Git.UpdateRef(ctx, "acme", "catalog", "heads/main", gh.UpdateRef{SHA: commit.GetSHA()}); err != nil {
		t.Fatal(err)
	}
	opts := &Options{Repo: "acme/catalog", Base: "main", Path: "tkr", Token: srv.Token, APIURL: srv.URL}
	_, err = Propose(ctx, opts, []record.PublishRecord{ovaRecord()}, &bytes.Buffer{})
	want := "v1.30.2---vmware.1-tkg.1/config/TanzuKubernetesRelease.yml is a symbolic link: imagegrid edits the catalog through no link"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Run: %v; want an error containing %q", err, want)
	}
	if pulls := srv.Pulls(); len(pulls) != 0 {
		t.Errorf("pull requests opened: %+v", pulls)
	}
}
