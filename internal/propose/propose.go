// Package propose is the catalog step of publish: it points a TKr catalog at the images of a
// run's publish records and proposes the change — as a pull request through the GitHub API
// (--catalog-repo) or as a commit on a branch of a local git checkout (--catalog-dir) — and
// stores in each publish record the catalog changes made for it. Check checks a catalog for
// pull request validation (publish --check).
package propose

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/imagegrid/imagegrid/internal/catalog"
	"github.com/imagegrid/imagegrid/internal/changeset"
	"github.com/imagegrid/imagegrid/internal/record"
)

// Options are the catalog flags of publish.
type Options struct {
	// Dir is a local git checkout of the catalog repository (local mode).
	Dir string
	// Repo is "owner/name" of the catalog repository on GitHub (pull request mode).
	Repo string
	// Base is the branch the change is proposed against.
	Base string
	// Path is the catalog's folder inside the repository ("" for its root).
	Path string
	// Prune deletes the OSImages a new image replaced when no TKr lists them any more.
	Prune bool
	// Labels and Reviewers are comma-separated, for the pull request.
	Labels, Reviewers string
	// RunURL links the pull request to the run that published the images.
	RunURL string
	// Token authenticates to GitHub (Step.Run fills it in from the token input or the
	// GITHUB_TOKEN environment variable when it is empty, and masks it); it is never printed.
	Token string
	// APIURL is the GitHub REST endpoint; empty means GITHUB_API_URL, else api.github.com.
	APIURL string
	// Selectors are the OSImage selectors of the clusters (the publish config's
	// catalog.selectors over catalog.DefaultSelectors); nil means the defaults.
	Selectors catalog.Selectors
}

// RegisterFlags defines the catalog flags on fs and returns the options they fill.
func RegisterFlags(fs *flag.FlagSet) *Options {
	o := &Options{}
	fs.StringVar(&o.Dir, "catalog-dir", "", "local git checkout of the catalog: commit on the branch imagegrid/catalog-<grid> there and print the pull request body")
	fs.StringVar(&o.Repo, "catalog-repo", "", "catalog repository on GitHub (owner/name): open or update a pull request there")
	fs.StringVar(&o.Base, "catalog-base", "main", "branch the catalog change is proposed against")
	fs.StringVar(&o.Path, "catalog-path", "", "folder of the catalog inside the repository (default: its root)")
	fs.BoolVar(&o.Prune, "prune", false, "delete OSImages replaced by new images when no TKr lists them any more")
	fs.StringVar(&o.Labels, "labels", "", "comma-separated labels for the catalog pull request")
	fs.StringVar(&o.Reviewers, "reviewers", "", "comma-separated reviewers (users, or org/team) for the catalog pull request")
	fs.StringVar(&o.RunURL, "run-url", "", "URL of the run, linked from the pull request")
	return o
}

// Result is what Propose did.
type Result struct {
	// Applied has one entry per record, in the order of the records, with the catalog
	// changes to store in it.
	Applied []catalog.Applied
	// Branch is the branch the change was committed on.
	Branch string
	// Commit is the new commit, "" when the catalog already pointed at every image.
	Commit string
	// PullRequest is the URL of the pull request opened or updated (pull request mode).
	PullRequest string
	// Body is the pull request body.
	Body string
	// Warnings are what did not work without failing the step (reviewers GitHub would not
	// request), for the job summary.
	Warnings []string
}

// Propose applies records to the catalog and proposes the change. Records of several grids
// are an error: each grid has its own branch and pull request.
func Propose(ctx context.Context, o *Options, records []record.PublishRecord, log io.Writer) (Result, error) {
	if (o.Dir == "") == (o.Repo == "") {
		return Result{}, errors.New("give exactly one of --catalog-dir (a local git checkout) and --catalog-repo (owner/name on GitHub)")
	}
	grid, err := gridOf(records)
	if err != nil {
		return Result{}, err
	}
	if grid == "" {
		fmt.Fprintln(log, "catalog: no publish records; nothing to do")
		return Result{}, nil
	}
	b := &batch{opts: o, records: records, branch: "imagegrid/catalog-" + grid}
	if o.Dir != "" {
		return runLocal(ctx, o, b, log)
	}
	return runGitHub(ctx, o, b, log)
}

// gridOf returns the one grid of records, which names the branch.
func gridOf(records []record.PublishRecord) (string, error) {
	grid := ""
	for _, r := range records {
		g := r.Cell.Grid
		if err := record.CheckGridName(g); err != nil {
			return "", fmt.Errorf("cell %s: %w", r.Cell.ID, err)
		}
		if grid != "" && g != grid {
			return "", fmt.Errorf("cell %s is of grid %s, others of grid %s: run the catalog step once per grid", r.Cell.ID, g, grid)
		}
		grid = g
	}
	return grid, nil
}

// Check loads the catalog of o's checkout (o.Dir, its folder o.Path) and checks its
// invariants with o.Selectors (nil: the defaults), for pull request validation.
func Check(o *Options) error {
	if o.Dir == "" {
		return errors.New("--check needs --catalog-dir (a checkout of the catalog)")
	}
	c, err := catalog.Load(os.DirFS(filepath.Join(o.Dir, filepath.FromSlash(o.Path))), o.Selectors)
	if err != nil {
		return err
	}
	return c.Check()
}

// batch is one application of a run's records to a catalog tree.
type batch struct {
	opts    *Options
	records []record.PublishRecord
	branch  string
	applied []catalog.Applied
}

// edit applies the records to the catalog in repo (a repository tree) and returns the
// changed files, with paths relative to the repository root.
func (b *batch) edit(repo fs.FS) ([]changeset.Change, error) {
	root := repo
	if p := strings.Trim(b.opts.Path, "/"); p != "" {
		sub, err := fs.Sub(repo, p)
		if err != nil {
			return nil, err
		}
		root = sub
	}
	c, err := catalog.Load(root, b.opts.Selectors)
	if err != nil {
		return nil, err
	}
	applied, err := c.Apply(b.records, catalog.ApplyOptions{Prune: b.opts.Prune})
	if err != nil {
		return nil, err
	}
	changes, err := c.Changes()
	if err != nil {
		return nil, err
	}
	b.applied = applied
	for i := range changes {
		changes[i].Path = path.Join(strings.Trim(b.opts.Path, "/"), changes[i].Path)
	}
	return changes, nil
}

// title is the commit and pull request title.
func (b *batch) title() string {
	return "Point the TKr catalog at the images of grid " + strings.TrimPrefix(b.branch, "imagegrid/catalog-")
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
