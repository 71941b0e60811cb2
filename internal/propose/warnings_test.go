package propose

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/testutil/fakegithub"
)

// TestReviewersGitHubRefusesAreWarnings: a reviewer who is not a collaborator does not fail
// the step (the commit and the pull request exist); Result says so.
func TestReviewersGitHubRefusesAreWarnings(t *testing.T) {
	// One TKr of the test catalog, with its OSImages.
	const dir = "../catalog/testdata/catalog/v1.30.2---vmware.1-tkg.1/config/"
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, e := range entries {
		data, err := os.ReadFile(dir + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		files["tkr/v1.30.2/"+e.Name()] = string(data)
	}
	srv := fakegithub.New("acme", "catalog", files)
	defer srv.Close()
	if err := srv.CheckContract(func(err error) { t.Errorf("contract: %v", err) }); err != nil {
		t.Fatal(err)
	}
	srv.SetCollaborators("bob")
	opts := &Options{Repo: "acme/catalog", Base: "main", Path: "tkr", Reviewers: "alice", Token: srv.Token, APIURL: srv.URL}
	res, err := Propose(context.Background(), opts, []record.PublishRecord{ovaRecord()}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "Reviews may only be requested from collaborators") || res.PullRequest == "" || res.Commit == "" {
		t.Errorf("%+v", res)
	}
	// A rerun succeeds too; with nothing to change it leaves the pull request alone.
	if res, err = Propose(context.Background(), opts, []record.PublishRecord{ovaRecord()}, &bytes.Buffer{}); err != nil || res.Commit != "" {
		t.Errorf("rerun: %v, %+v", err, res)
	}
}
