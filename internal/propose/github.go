package propose

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/imagegrid/imagegrid/internal/github"
)

// runGitHub commits the catalog change through the GitHub API and opens or updates the
// pull request.
func runGitHub(ctx context.Context, o *Options, b *batch, log io.Writer) (Result, error) {
	client, err := github.New(o.Repo, o.Token, cmp.Or(o.APIURL, os.Getenv("GITHUB_API_URL")), log)
	if err != nil {
		return Result{}, err
	}
	res := Result{Branch: b.branch}
	body := func(previous string) string {
		res.Body = Body(b.applied, o.RunURL, previous)
		return res.Body
	}
	out, err := client.Propose(ctx, github.Proposal{
		Base: o.Base, Branch: b.branch, Path: o.Path, Title: b.title(),
		Body:   body,
		Labels: splitList(o.Labels), Reviewers: splitList(o.Reviewers),
		Edit: b.edit,
	})
	if err != nil {
		return Result{}, err
	}
	res.Applied, res.Commit, res.PullRequest, res.Warnings = b.applied, out.Commit, out.PullRequestURL, out.Warnings
	if res.Body == "" {
		body("")
	}
	switch {
	case out.Commit == "":
		fmt.Fprintf(log, "catalog: %s already points at every image; no commit, no pull request change\n", o.Repo)
	default:
		fmt.Fprintf(log, "catalog: committed %s on %s in %s; pull request %s\n", out.Commit[:12], b.branch, o.Repo, out.PullRequestURL)
	}
	return res, nil
}
