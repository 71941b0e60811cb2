// Package github proposes file changes as a pull request through the GitHub REST API
// (github.com/google/go-github): one fixed branch, commits made with the Git Data API (blobs,
// trees, commits, refs), the open pull request of that branch updated rather than a second
// one opened, and nothing done when nothing changed.
package github

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"testing/fstest"
	"time"

	gh "github.com/google/go-github/v93/github"

	"github.com/imagegrid/imagegrid/internal/catalog"
)

// maxAttempts bounds how often Propose starts over when the branch moved under it.
const maxAttempts = 5

// Client talks to one repository.
type Client struct {
	gh          *gh.Client
	owner, repo string
	log         io.Writer
	transport   *retryTransport
}

// New returns a client for repo ("owner/name") authenticated with token. apiURL is the REST
// endpoint ("" for api.github.com). Requests are retried on 5xx and rate limits (retry.go).
func New(repo, token, apiURL string, log io.Writer) (*Client, error) {
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return nil, fmt.Errorf("--catalog-repo %q: want owner/name", repo)
	}
	if token == "" {
		return nil, errors.New("no GitHub token: set GITHUB_TOKEN (in a workflow: env: GITHUB_TOKEN: ${{ github.token }})")
	}
	transport := &retryTransport{base: http.DefaultTransport, log: log, sleep: sleepCtx}
	opts := []gh.ClientOptionsFunc{
		gh.WithTransport(transport),
		gh.WithAuthToken(token),
		gh.WithTimeout(2 * time.Minute),
	}
	if apiURL != "" {
		u := strings.TrimSuffix(apiURL, "/") + "/"
		opts = append(opts, gh.WithURLs(&u, nil))
	}
	c, err := gh.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("GitHub client: %w", err)
	}
	return &Client{gh: c, owner: owner, repo: name, log: log, transport: transport}, nil
}

// Proposal is a change to propose on a branch.
type Proposal struct {
	Base, Branch string
	// Path limits what Edit is given to this folder of the repository ("" for all of it).
	Path  string
	Title string
	// Body is called after Edit, so it can describe what Edit did. previous is the body of the
	// open pull request being updated ("" when one is opened), so that it can be carried on.
	Body              func(previous string) string
	Labels, Reviewers []string
	// Edit gets the repository's YAML and JSON files under Path as they are on the branch
	// (or on Base when the branch has no open pull request) and returns the changes, with
	// paths relative to the repository root. It may be called again when the branch moves.
	Edit func(repo fs.FS) ([]catalog.FileChange, error)
}

// Outcome is what Propose did.
type Outcome struct {
	// Commit is the new commit on the branch; "" when nothing changed.
	Commit            string
	PullRequest       int
	PullRequestURL    string
	PullRequestOpened bool
}

// Propose commits p's change on its branch and opens or updates the pull request. When the
// branch moves while it works, it reads the branch again and starts over, never forcing over
// someone else's commit.
func (c *Client) Propose(ctx context.Context, p Proposal) (Outcome, error) {
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		out, err := c.propose(ctx, p)
		if !errors.Is(err, errBranchMoved) {
			return out, err
		}
		fmt.Fprintf(c.log, "catalog: branch %s moved while committing (attempt %d of %d); reading it again\n", p.Branch, attempt, maxAttempts)
	}
	return Outcome{}, fmt.Errorf("branch %s of %s/%s kept moving; gave up after %d attempts", p.Branch, c.owner, c.repo, maxAttempts)
}

var errBranchMoved = errors.New("branch moved")

func (c *Client) propose(ctx context.Context, p Proposal) (Outcome, error) {
	base, _, err := c.gh.Git.GetRef(ctx, c.owner, c.repo, "heads/"+p.Base)
	if err != nil {
		return Outcome{}, c.explain("read base branch "+p.Base, err)
	}
	pr, err := c.openPull(ctx, p)
	if err != nil {
		return Outcome{}, err
	}
	branch, _, err := c.gh.Git.GetRef(ctx, c.owner, c.repo, "heads/"+p.Branch)
	if err != nil && !isStatus(err, http.StatusNotFound) {
		return Outcome{}, c.explain("read branch "+p.Branch, err)
	}
	parent := base.GetObject().GetSHA()
	if branch != nil && pr != nil {
		parent = branch.GetObject().GetSHA()
	}
	out := Outcome{PullRequest: pr.GetNumber(), PullRequestURL: pr.GetHTMLURL()}
	commit, _, err := c.gh.Git.GetCommit(ctx, c.owner, c.repo, parent)
	if err != nil {
		return Outcome{}, c.explain("read commit "+parent, err)
	}
	repo, err := c.readTree(ctx, commit.GetTree().GetSHA(), p.Path)
	if err != nil {
		return Outcome{}, err
	}
	changes, err := p.Edit(repo)
	if err != nil {
		return Outcome{}, err
	}
	if len(changes) == 0 {
		return out, nil
	}
	sha, err := c.commit(ctx, p.Title, commit, changes)
	if err != nil {
		return Outcome{}, err
	}
	if err := c.moveBranch(ctx, p.Branch, branch, sha, pr == nil); err != nil {
		return Outcome{}, err
	}
	out.Commit = sha
	if pr == nil {
		pr, _, err = c.gh.PullRequests.Create(ctx, c.owner, c.repo, gh.CreatePullRequest{
			Title: gh.Ptr(p.Title), Head: p.Branch, Base: p.Base, Body: gh.Ptr(p.Body("")),
		})
		out.PullRequestOpened = err == nil
		if isStatus(err, http.StatusUnprocessableEntity) {
			// Opened meanwhile (another run): update that one instead.
			if pr, err = c.openPull(ctx, p); err == nil && pr == nil {
				err = fmt.Errorf("GitHub says a pull request from %s exists but lists none open", p.Branch)
			}
		}
		if err != nil {
			return Outcome{}, c.explain("open the pull request", err)
		}
	}
	if !out.PullRequestOpened {
		if pr, _, err = c.gh.PullRequests.Edit(ctx, c.owner, c.repo, pr.GetNumber(), &gh.PullRequest{Title: gh.Ptr(p.Title), Body: gh.Ptr(p.Body(pr.GetBody()))}); err != nil {
			return Outcome{}, c.explain(fmt.Sprintf("update pull request #%d", pr.GetNumber()), err)
		}
	}
	out.PullRequest, out.PullRequestURL = pr.GetNumber(), pr.GetHTMLURL()
	if len(p.Labels) > 0 {
		if _, _, err := c.gh.Issues.AddLabelsToIssue(ctx, c.owner, c.repo, pr.GetNumber(), p.Labels); err != nil {
			return Outcome{}, c.explain("label the pull request", err)
		}
	}
	if len(p.Reviewers) > 0 {
		req := gh.ReviewersRequest{}
		for _, r := range p.Reviewers {
			if _, team, ok := strings.Cut(r, "/"); ok {
				req.TeamReviewers = append(req.TeamReviewers, team)
			} else {
				req.Reviewers = append(req.Reviewers, r)
			}
		}
		if _, _, err := c.gh.PullRequests.RequestReviewers(ctx, c.owner, c.repo, pr.GetNumber(), req); err != nil {
			return Outcome{}, c.explain("request reviewers", err)
		}
	}
	return out, nil
}

// openPull returns the open pull request from p.Branch into p.Base, or nil.
func (c *Client) openPull(ctx context.Context, p Proposal) (*gh.PullRequest, error) {
	pulls, _, err := c.gh.PullRequests.List(ctx, c.owner, c.repo, &gh.PullRequestListOptions{
		State: "open", Head: c.owner + ":" + p.Branch, Base: p.Base,
	})
	if err != nil {
		return nil, c.explain("list pull requests", err)
	}
	if len(pulls) == 0 {
		return nil, nil
	}
	return pulls[0], nil
}

// readTree returns the YAML and JSON files under dir of a tree.
func (c *Client) readTree(ctx context.Context, sha, dir string) (fs.FS, error) {
	tree, _, err := c.gh.Git.GetTree(ctx, c.owner, c.repo, sha, true)
	if err != nil {
		return nil, c.explain("read tree "+sha, err)
	}
	if tree.GetTruncated() {
		return nil, fmt.Errorf("the tree of %s/%s is too large for one API call; use --catalog-dir with a checkout", c.owner, c.repo)
	}
	prefix := strings.Trim(dir, "/")
	files := fstest.MapFS{}
	for _, e := range tree.Entries {
		p := e.GetPath()
		if e.GetType() != "blob" || prefix != "" && !strings.HasPrefix(p, prefix+"/") {
			continue
		}
		if ext := path.Ext(p); ext != ".yml" && ext != ".yaml" && ext != ".json" {
			continue
		}
		data, _, err := c.gh.Git.GetBlobRaw(ctx, c.owner, c.repo, e.GetSHA())
		if err != nil {
			return nil, c.explain("read "+p, err)
		}
		mode := fs.FileMode(0o644)
		switch e.GetMode() {
		case "100755":
			mode = 0o755
		case "120000": // a symbolic link, its target as content: the catalog refuses it
			mode = fs.ModeSymlink | 0o777
		}
		files[p] = &fstest.MapFile{Data: data, Mode: mode}
	}
	return files, nil
}

// commit writes the changed files as blobs, a tree on top of parent's and a commit.
func (c *Client) commit(ctx context.Context, message string, parent *gh.Commit, changes []catalog.FileChange) (string, error) {
	var entries []*gh.TreeEntry
	for _, ch := range changes {
		e := &gh.TreeEntry{Path: gh.Ptr(ch.Path), Mode: gh.Ptr("100644"), Type: gh.Ptr("blob")}
		if ch.Mode&0o111 != 0 {
			e.Mode = gh.Ptr("100755")
		}
		if ch.Data != nil {
			blob, _, err := c.gh.Git.CreateBlob(ctx, c.owner, c.repo, gh.Blob{Content: string(ch.Data), Encoding: gh.Ptr("utf-8")})
			if err != nil {
				return "", c.explain("write "+ch.Path, err)
			}
			e.SHA = blob.SHA
		}
		entries = append(entries, e)
	}
	tree, _, err := c.gh.Git.CreateTree(ctx, c.owner, c.repo, parent.GetTree().GetSHA(), entries)
	if err != nil {
		return "", c.explain("write tree", err)
	}
	commit, _, err := c.gh.Git.CreateCommit(ctx, c.owner, c.repo, gh.Commit{
		Message: gh.Ptr(message), Tree: tree, Parents: []*gh.Commit{{SHA: parent.SHA}},
	}, nil)
	if err != nil {
		return "", c.explain("write commit", err)
	}
	return commit.GetSHA(), nil
}

// moveBranch points branch at sha: creates it, fast-forwards it, or — when it has no open
// pull request (merged or closed) — resets it onto the new commit made on the base.
func (c *Client) moveBranch(ctx context.Context, name string, branch *gh.Reference, sha string, reset bool) error {
	if branch == nil {
		_, _, err := c.gh.Git.CreateRef(ctx, c.owner, c.repo, gh.CreateRef{Ref: "refs/heads/" + name, SHA: sha})
		if isStatus(err, http.StatusUnprocessableEntity) {
			return errBranchMoved // someone created it meanwhile
		}
		return c.explain("create branch "+name, err)
	}
	_, _, err := c.gh.Git.UpdateRef(ctx, c.owner, c.repo, "heads/"+name, gh.UpdateRef{SHA: sha, Force: gh.Ptr(reset)})
	if isStatus(err, http.StatusUnprocessableEntity) || isStatus(err, http.StatusConflict) {
		return errBranchMoved
	}
	return c.explain("update branch "+name, err)
}

func isStatus(err error, status int) bool {
	var e *gh.ErrorResponse
	return errors.As(err, &e) && e.Response != nil && e.Response.StatusCode == status
}

// explain wraps a GitHub error with what was being done and, for a permission error, what
// the token and the repository need.
func (c *Client) explain(what string, err error) error {
	if err == nil {
		return nil
	}
	if isStatus(err, http.StatusForbidden) || isStatus(err, http.StatusUnauthorized) {
		return fmt.Errorf("%s in %s/%s: %w\nthe token is not allowed to: give the workflow job `permissions: {contents: write, pull-requests: write}` "+
			"(or a token with those scopes), and turn on the repository setting Settings → Actions → General → "+
			"\"Allow GitHub Actions to create and approve pull requests\"", what, c.owner, c.repo, err)
	}
	return fmt.Errorf("%s in %s/%s: %w", what, c.owner, c.repo, err)
}
