package propose

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/actions"
	"github.com/imagegrid/imagegrid/internal/catalog"
	"github.com/imagegrid/imagegrid/internal/record"
)

func TestCatalogWarningsReachTheSummary(t *testing.T) {
	summary := filepath.Join(t.TempDir(), "summary")
	env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary}
	var log strings.Builder
	gh := actions.New(&log, func(k string) string { return env[k] })
	if err := warn(gh, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(summary); err == nil {
		t.Error("no warnings wrote a summary")
	}
	w := "pull request #1: could not request reviews from alice: 422 Reviews may only be requested from collaborators."
	if err := warn(gh, []string{w}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(summary)
	if !strings.Contains(string(got), "**Catalog warnings**") || !strings.Contains(string(got), "- "+w+"\n") {
		t.Errorf("summary %q", got)
	}
	if log.String() != "::warning title=catalog::"+w+"\n" {
		t.Errorf("annotation %q", log.String())
	}
}

// TestStepStoresEachRecordsChanges runs the step in local mode on a run of two records, one
// catalogued and one skipped: only the catalogued one is stored again, with its own changes,
// the records handed in are left as they were, the token comes from the input and is
// masked, and the step outputs name the branch and commit.
func TestStepStoresEachRecordsChanges(t *testing.T) {
	dir := catalogRepo(t)
	outputs := filepath.Join(t.TempDir(), "outputs")
	env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": outputs, "INPUT_TOKEN": "s3cret-token"}
	var log strings.Builder
	gh := actions.New(&log, func(k string) string { return env[k] })
	gh.Declare("catalog-branch", "catalog-commit", "pull-request")

	skipped := ovaRecord()
	skipped.Cell.ID, skipped.Status = "vsphere-photon-5-amd64-v1.30.2---vmware.1", record.PublishSkipped
	records := []record.PublishRecord{skipped, ovaRecord()}
	var stored []record.PublishRecord
	opts := &Options{Dir: dir, Base: "main", Path: "catalog"}
	step := Step{Options: opts, Actions: gh, Log: &log, Record: func(pr record.PublishRecord) error {
		stored = append(stored, pr)
		return nil
	}}
	if err := step.Run(context.Background(), records); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if len(stored) != 1 || stored[0].Cell.ID != records[1].Cell.ID {
		t.Fatalf("stored %d records, want only %s's: %+v", len(stored), records[1].Cell.ID, stored)
	}
	want := record.CatalogChange{
		File:   "v1.30.2---vmware.1-tkg.1/config/OSImage-v1.30.2---vmware.1-tkg.1-ubuntu-2204-amd64-ova-imagegrid.yml",
		Object: "OSImage/v1.30.2---vmware.1-tkg.1-ubuntu-2204-amd64-ova-imagegrid", Action: catalog.ActionCreated,
	}
	if !slices.Contains(stored[0].Catalog, want) {
		t.Errorf("stored changes %+v lack %+v", stored[0].Catalog, want)
	}
	if records[0].Catalog != nil || records[1].Catalog != nil {
		t.Error("the step changed the records it was handed")
	}
	if opts.Token != "s3cret-token" || !strings.Contains(log.String(), "::add-mask::s3cret-token") {
		t.Errorf("token %q not taken from the input and masked:\n%s", opts.Token, log.String())
	}
	out, _ := os.ReadFile(outputs)
	commit := git(t, dir, "rev-parse", "imagegrid/catalog-tkg")
	for _, w := range []string{"catalog-branch<<", "imagegrid/catalog-tkg", "catalog-commit<<", commit} {
		if !strings.Contains(string(out), w) {
			t.Errorf("outputs lack %q:\n%s", w, out)
		}
	}
}
