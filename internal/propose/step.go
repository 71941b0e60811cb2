package propose

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/imagegrid/imagegrid/internal/actions"
	"github.com/imagegrid/imagegrid/internal/record"
)

// Step is the last step of publish: it points the TKr catalog at the images just published,
// commits or opens the pull request, and stores each record's catalog changes in its publish
// record. Without --catalog-dir or --catalog-repo the catalog is left alone.
type Step struct {
	Options *Options
	// DryRun leaves the catalog alone (publish --dry-run).
	DryRun bool
	// Actions reads the token input, masks the token, groups the log and takes the step's
	// outputs, annotations and summary.
	Actions *actions.Runner
	// Record stores a publish record whose Catalog was filled in (publish's recorder).
	Record func(record.PublishRecord) error
	Log    io.Writer
}

// Run proposes the catalog change of records. A failure says that the images are published
// and that publish may be run again for the catalog change alone.
func (s Step) Run(ctx context.Context, records []record.PublishRecord) error {
	o, gh, log := s.Options, s.Actions, s.Log
	if o.Dir == "" && o.Repo == "" {
		fmt.Fprintln(log, "catalog: neither --catalog-dir nor --catalog-repo given; the catalog is not changed")
		return nil
	}
	if s.DryRun {
		fmt.Fprintln(log, "catalog: dry run; the catalog is not changed")
		return nil
	}
	o.Token = cmp.Or(o.Token, gh.Input("token"), os.Getenv("GITHUB_TOKEN"))
	gh.Mask(o.Token)
	end := gh.Group("catalog: point the TKr catalog at the new images")
	res, err := Propose(ctx, o, records, log)
	end()
	if err != nil {
		return fmt.Errorf("catalog: %w (the images are published; run publish again to retry the catalog change)", err)
	}
	// Propose applies every record, in order: Applied[i] is records[i]'s.
	for i, a := range res.Applied {
		if len(a.Changes) == 0 {
			continue
		}
		r := records[i]
		r.Catalog = a.Changes
		if err := s.Record(r); err != nil {
			return err
		}
	}
	for _, kv := range [][2]string{{"catalog-branch", res.Branch}, {"catalog-commit", res.Commit}, {"pull-request", res.PullRequest}} {
		if err := gh.SetOutput(kv[0], kv[1]); err != nil {
			return err
		}
	}
	switch {
	case res.PullRequest != "":
		fmt.Fprintf(log, "catalog: pull request %s\n", res.PullRequest)
	case res.Commit != "":
		fmt.Fprintf(log, "catalog: committed %s on branch %s\n", shortCommit(res.Commit), res.Branch)
	default:
		fmt.Fprintln(log, "catalog: already points at every image; nothing to commit")
	}
	if res.Body != "" && res.PullRequest == "" {
		fmt.Fprintf(log, "\n%s\n", res.Body)
	}
	return warn(gh, res.Warnings)
}

// warn reports what the catalog step could not do without failing: as annotations, and in
// the job summary under the images.
func warn(gh *actions.Runner, warnings []string) error {
	if len(warnings) == 0 {
		return nil
	}
	var summary strings.Builder
	summary.WriteString("\n**Catalog warnings**\n\n")
	for _, w := range warnings {
		gh.Warning(actions.Annotation{Title: "catalog", Message: w})
		fmt.Fprintf(&summary, "- %s\n", w)
	}
	return gh.AddSummary(summary.String())
}

func shortCommit(sha string) string { return sha[:min(len(sha), 12)] }
