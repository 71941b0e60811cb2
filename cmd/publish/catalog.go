package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/imagegrid/imagegrid/internal/actions"
	"github.com/imagegrid/imagegrid/internal/catalog/update"
	"github.com/imagegrid/imagegrid/internal/publish"
	"github.com/imagegrid/imagegrid/internal/record"
)

// proposeCatalog is the last step of publish: it points the TKr catalog at the images just
// published, commits or opens the pull request, and stores each record's catalog edits in its
// publish record. Without --catalog-dir or --catalog-repo the catalog is left alone.
func proposeCatalog(ctx context.Context, gh *actions.Runner, o options, records []record.PublishRecord, log io.Writer) error {
	c := o.catalog
	if c.Dir == "" && c.Repo == "" {
		fmt.Fprintln(log, "catalog: neither --catalog-dir nor --catalog-repo given; the catalog is not changed")
		return nil
	}
	if o.dryRun {
		fmt.Fprintln(log, "catalog: dry run; the catalog is not changed")
		return nil
	}
	c.Token = cmp.Or(c.Token, gh.Input("token"), os.Getenv("GITHUB_TOKEN"))
	gh.Mask(c.Token)
	end := gh.Group("catalog: point the TKr catalog at the new images")
	res, err := update.Run(ctx, c, records, log)
	end()
	if err != nil {
		return fmt.Errorf("catalog: %w (the images are published; run publish again to retry the catalog change)", err)
	}
	changes := map[string][]record.CatalogChange{}
	for _, a := range res.Applied {
		changes[a.Cell.ID] = append(changes[a.Cell.ID], a.Changes...)
	}
	recorder := publish.Recorder{Dir: o.out}
	for i := range records {
		if got := changes[records[i].Cell.ID]; len(got) > 0 {
			records[i].Catalog = got
			if _, err := recorder.Write(records[i]); err != nil {
				return err
			}
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
