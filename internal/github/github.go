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

	"github.com/imagegrid/imagegrid/internal/changeset"
)

// maxAttempts bounds how often Propose starts over when the branch moved under it; it waits
// firstBackoff, then twice as long each time, before starting over.
const maxAttempts = 5

// Client talks to one repository.
type Client struct {
	gh          *gh.Client
	owner, repo string
	log         io.Writer
	transport   *retryTransport
	// web is the repository's page (https://github.com/owner/name).
	web string
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
	transport := &retryTransport{base: http.DefaultTransport, log: log, sleep: sleepCtx, now: time.Now}
	opts := []gh.ClientOptionsFunc{
		gh.WithTransport(transport),
		gh.WithAuthToken(token),
		gh.WithTimeout(2 * time.Minute),
		// The transport waits for an exhausted rate limit to reset (retry.go); go-github's own
		// check (v93 github.go, bareDo: checkRateLimitBeforeDo, checkSecondaryRateLimitBeforeDo)
		// would refuse the next request instead, without sending it or waiting.
		gh.WithDisableRateLimitCheck(),
	}
	web := "https://github.com/" + repo
	if apiURL != "" {
		u := strings.TrimSuffix(apiURL, "/") + "/"
		opts = append(opts, gh.WithURLs(&u, nil))
		// GitHub Enterprise Server serves its API under /api/v3 of its pages.
		web = strings.TrimSuffix(strings.TrimSuffix(apiURL, "/"), "/api/v3") + "/" + repo
	}
	c, err := gh.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("GitHub client: %w", err)
	}
	return &Client{gh: c, owner: owner, repo: name, log: log, transport: transport, web: web}, nil
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
	Edit func(repo fs.FS) ([]changeset.Change, error)
}

// Outcome is what Propose did.
type Outcome struct {
	// Commit is the new commit on the branch; "" when nothing changed.
	Commit            string
	PullRequest       int
	PullRequestURL    string
	PullRequestOpened bool
	// Warnings are what did not work but does not make the proposal fail (reviewers GitHub
	// would not request), for the job summary.
	Warnings []string
}

// Propose commits p's change on its branch and opens or updates the pull request. When the
// branch moves while it works, it reads the branch again and starts over, never forcing over
// someone else's commit.
func (c *Client) Propose(ctx context.Context, p Proposal) (Outcome, error) {
	backoff := firstBackoff
	for attempt := 1; ; attempt++ {
		out, err := c.propose(ctx, p)
		if !errors.Is(err, errBranchMoved) {
			return out, err
		}
		if attempt == maxAttempts {
			return Outcome{}, fmt.Errorf("branch %s of %s/%s kept moving: %w; gave up after %d attempts", p.Branch, c.owner, c.repo, err, maxAttempts)
		}
		fmt.Fprintf(c.log, "catalog: branch %s moved while committing (%v; attempt %d of %d); reading it again in %s\n", p.Branch, err, attempt, maxAttempts, backoff)
		if err := c.transport.sleep(ctx, backoff); err != nil {
			return Outcome{}, err
		}
		backoff *= 2
	}
}

var errBranchMoved = errors.New("branch moved")

// propose makes one attempt: read where the branch stands, edit, commit, move the branch,
// then open or update the pull request, label it and request its reviewers.
func (c *Client) propose(ctx context.Context, p Proposal) (Outcome, error) {
	at, err := c.readBranch(ctx, p)
	if err != nil {
		return Outcome{}, err
	}
	out := Outcome{PullRequest: at.pr.GetNumber(), PullRequestURL: at.pr.GetHTMLURL()}
	changes, err := c.edit(ctx, p, at.parent)
	if err != nil {
		return Outcome{}, err
	}
	if len(changes) == 0 {
		return out, nil
	}
	sha, err := c.commit(ctx, p.Title, at.parent, changes)
	if err != nil {
		return Outcome{}, err
	}
	if err := c.moveBranch(ctx, p.Branch, at.branch, sha, at.pr == nil); err != nil {
		return Outcome{}, err
	}
	out.Commit = sha
	pr := at.pr
	if pr == nil {
		if pr, out.PullRequestOpened, err = c.openPullRequest(ctx, p, sha); err != nil {
			return Outcome{}, err
		}
	}
	if !out.PullRequestOpened {
		if pr, _, err = c.gh.PullRequests.Edit(ctx, c.owner, c.repo, pr.GetNumber(), &gh.PullRequest{Title: new(p.Title), Body: new(p.Body(pr.GetBody()))}); err != nil {
			return Outcome{}, c.explain(fmt.Sprintf("update pull request #%d", pr.GetNumber()), err)
		}
	}
	out.PullRequest, out.PullRequestURL = pr.GetNumber(), pr.GetHTMLURL()
	if len(p.Labels) > 0 {
		if err := c.addLabels(ctx, pr.GetNumber(), p.Labels); err != nil {
			return Outcome{}, c.explain("label the pull request", err)
		}
	}
	if out.Warnings, err = c.requestReviewers(ctx, pr.GetNumber(), p.Reviewers); err != nil {
		return Outcome{}, err
	}
	return out, nil
}

// branchState is where a proposal starts from.
type branchState struct {
	// pr is the open pull request of the branch, or nil.
	pr *gh.PullRequest
	// branch is the branch's ref, or nil when it does not exist.
	branch *gh.Reference
	// parent is the commit the change is made on: the branch's head when it has an open pull
	// request, else the base's (a merged or closed branch starts over).
	parent *gh.Commit
}

// readBranch reads the base branch, the open pull request and the branch of p.
func (c *Client) readBranch(ctx context.Context, p Proposal) (branchState, error) {
	base, _, err := c.gh.Git.GetRef(ctx, c.owner, c.repo, "heads/"+p.Base)
	if err != nil {
		return branchState{}, c.explain("read base branch "+p.Base, err)
	}
	pr, err := c.openPull(ctx, p)
	if err != nil {
		return branchState{}, err
	}
	branch, _, err := c.gh.Git.GetRef(ctx, c.owner, c.repo, "heads/"+p.Branch)
	if err != nil && !isStatus(err, http.StatusNotFound) {
		return branchState{}, c.explain("read branch "+p.Branch, err)
	}
	parent := base.GetObject().GetSHA()
	if branch != nil && pr != nil {
		parent = branch.GetObject().GetSHA()
	}
	commit, _, err := c.gh.Git.GetCommit(ctx, c.owner, c.repo, parent)
	if err != nil {
		return branchState{}, c.explain("read commit "+parent, err)
	}
	return branchState{pr: pr, branch: branch, parent: commit}, nil
}

// edit gives p.Edit the files under p.Path of parent's tree and returns its changes.
func (c *Client) edit(ctx context.Context, p Proposal, parent *gh.Commit) ([]changeset.Change, error) {
	repo, err := c.readTree(ctx, parent.GetTree().GetSHA(), p.Path)
	if err != nil {
		return nil, err
	}
	return p.Edit(repo)
}

// openPullRequest opens the pull request of p, whose branch is at sha, and reports whether
// it opened it; one opened meanwhile by someone else is returned instead.
func (c *Client) openPullRequest(ctx context.Context, p Proposal, sha string) (*gh.PullRequest, bool, error) {
	pr, _, err := c.gh.PullRequests.Create(ctx, c.owner, c.repo, gh.CreatePullRequest{
		Title: new(p.Title), Head: p.Branch, Base: p.Base, Body: new(p.Body("")),
	})
	switch {
	case err == nil:
		return pr, true, nil
	case errorSays(err, http.StatusUnprocessableEntity, "A pull request already exists"):
		// Opened meanwhile (another run, or our own request whose answer was lost): update
		// that one instead.
		exists := err
		if pr, err = c.openPull(ctx, p); err == nil && pr == nil {
			return nil, false, &explained{fmt.Sprintf("open the pull request in %s/%s: GitHub answered %s, but lists no open pull request from %s into %s",
				c.owner, c.repo, describe(exists), p.Branch, p.Base), exists}
		}
		if err != nil {
			return nil, false, c.explain("open the pull request", err)
		}
		return pr, false, nil
	case errorSays(err, http.StatusForbidden, "GitHub Actions is not permitted to create"):
		return nil, false, &explained{fmt.Sprintf("open the pull request in %s/%s: GitHub answered %s\n"+
			"turn on the repository setting Settings → Actions → General → Workflow permissions → "+
			"\"Allow GitHub Actions to create and approve pull requests\" (or give publish the token of a user or an app). "+
			"The change is pushed: branch %s is at %s; open the pull request by hand at %s/compare/%s...%s, or run publish again once the setting is on",
			c.owner, c.repo, describe(err), p.Branch, sha, c.web, p.Base, p.Branch), err}
	}
	return nil, false, c.explain("open the pull request", err)
}

// requestReviewers requests reviews of pull request number from reviewers (users, or
// org/team). Reviewers GitHub will never request are a warning, not an error.
func (c *Client) requestReviewers(ctx context.Context, number int, reviewers []string) ([]string, error) {
	if len(reviewers) == 0 {
		return nil, nil
	}
	req := gh.ReviewersRequest{}
	for _, r := range reviewers {
		if _, team, ok := strings.Cut(r, "/"); ok {
			req.TeamReviewers = append(req.TeamReviewers, team)
		} else {
			req.Reviewers = append(req.Reviewers, r)
		}
	}
	_, _, err := c.gh.PullRequests.RequestReviewers(ctx, c.owner, c.repo, number, req)
	if isStatus(err, http.StatusUnprocessableEntity) {
		// Not collaborators, or the pull request's author: GitHub will never request
		// them, so failing (now and on every rerun) would only hide the pull request.
		w := fmt.Sprintf("pull request #%d: could not request reviews from %s: %v", number, strings.Join(reviewers, ", "), describe(err))
		fmt.Fprintf(c.log, "catalog: warning: %s\n", w)
		return []string{w}, nil
	}
	if err != nil {
		return nil, c.explain("request reviewers", err)
	}
	return nil, nil
}

// addLabels adds labels to an issue or pull request with the body GitHub's description
// documents ({"labels": [...]}; go-github sends the bare array, which GitHub also takes).
func (c *Client) addLabels(ctx context.Context, number int, labels []string) error {
	req, err := c.gh.NewRequest(ctx, http.MethodPost, fmt.Sprintf("repos/%s/%s/issues/%d/labels", c.owner, c.repo, number),
		struct {
			Labels []string `json:"labels"`
		}{labels})
	if err != nil {
		return err
	}
	_, err = c.gh.Do(req, nil)
	return err
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

// readTree returns the YAML and JSON files under dir of a tree. It finds dir's own tree one
// level at a time, so that only the catalog is listed, not the whole repository.
func (c *Client) readTree(ctx context.Context, sha, dir string) (fs.FS, error) {
	files := fstest.MapFS{}
	prefix := strings.Trim(dir, "/")
	if prefix != "" {
		root := sha
		for _, name := range strings.Split(prefix, "/") {
			tree, _, err := c.gh.Git.GetTree(ctx, c.owner, c.repo, sha, false)
			if err != nil {
				return nil, c.explain("read tree "+sha, err)
			}
			found := ""
			for _, e := range tree.Entries {
				if e.GetType() == "tree" && e.GetPath() == name {
					found = e.GetSHA()
				}
			}
			if found == "" && tree.GetTruncated() {
				return nil, fmt.Errorf("a folder on the way to %s in %s/%s has more entries than GitHub lists at once; use --catalog-dir with a checkout", prefix, c.owner, c.repo)
			}
			if found == "" {
				return nil, fmt.Errorf("%s/%s has no folder %s (tree %s)", c.owner, c.repo, prefix, root)
			}
			sha = found
		}
	}
	if prefix != "" {
		files[prefix] = &fstest.MapFile{Mode: fs.ModeDir | 0o755} // there even when it holds no catalog file
	}
	return files, c.collect(ctx, sha, prefix, files)
}

// collect adds the YAML and JSON files of tree sha, whose path is prefix, to files. GitHub
// truncates a recursive listing past 100,000 entries or 7 MB (its git/get-tree documentation);
// then the tree is read one level at a time.
func (c *Client) collect(ctx context.Context, sha, prefix string, files fstest.MapFS) error {
	tree, _, err := c.gh.Git.GetTree(ctx, c.owner, c.repo, sha, true)
	if err != nil {
		return c.explain("read tree "+sha, err)
	}
	level := tree.GetTruncated()
	if level {
		fmt.Fprintf(c.log, "catalog: the tree of %s is too large for one listing; reading it folder by folder\n", path.Join(".", prefix))
		if tree, _, err = c.gh.Git.GetTree(ctx, c.owner, c.repo, sha, false); err != nil {
			return c.explain("read tree "+sha, err)
		}
		if tree.GetTruncated() {
			return fmt.Errorf("the folder %s of %s/%s has more entries than GitHub lists at once; use --catalog-dir with a checkout", path.Join(".", prefix), c.owner, c.repo)
		}
	}
	for _, e := range tree.Entries {
		p := path.Join(prefix, e.GetPath())
		if level && e.GetType() == "tree" {
			if err := c.collect(ctx, e.GetSHA(), p, files); err != nil {
				return err
			}
			continue
		}
		if ext := path.Ext(p); e.GetType() != "blob" || ext != ".yml" && ext != ".yaml" && ext != ".json" {
			continue
		}
		data, _, err := c.gh.Git.GetBlobRaw(ctx, c.owner, c.repo, e.GetSHA())
		if err != nil {
			return c.explain("read "+p, err)
		}
		files[p] = &fstest.MapFile{Data: data, Mode: fileMode(e.GetMode())}
	}
	return nil
}

// fileMode is the file mode of a git tree entry's mode.
func fileMode(gitMode string) fs.FileMode {
	switch gitMode {
	case "100755":
		return 0o755
	case "120000": // a symbolic link, its target as content: the catalog refuses it
		return fs.ModeSymlink | 0o777
	}
	return 0o644
}

// commit writes the changed files as blobs, a tree on top of parent's and a commit.
func (c *Client) commit(ctx context.Context, message string, parent *gh.Commit, changes []changeset.Change) (string, error) {
	var entries []*gh.TreeEntry
	for _, ch := range changes {
		e := &gh.TreeEntry{Path: new(ch.Path), Mode: new("100644"), Type: new("blob")}
		if ch.Mode&0o111 != 0 {
			e.Mode = new("100755")
		}
		if ch.Data != nil {
			blob, _, err := c.gh.Git.CreateBlob(ctx, c.owner, c.repo, gh.Blob{Content: string(ch.Data), Encoding: new("utf-8")})
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
		Message: new(message), Tree: tree, Parents: []*gh.Commit{{SHA: parent.SHA}},
	}, nil)
	if err != nil {
		return "", c.explain("write commit", err)
	}
	return commit.GetSHA(), nil
}

// moveBranch points branch at sha: creates it, fast-forwards it, or — when it has no open
// pull request (merged or closed) — resets it onto the new commit made on the base. Only
// GitHub's answers that mean someone else moved the branch are errBranchMoved; any other
// refusal (a ruleset, branch protection) is final and keeps GitHub's message.
func (c *Client) moveBranch(ctx context.Context, name string, branch *gh.Reference, sha string, reset bool) error {
	what := "create branch " + name
	var err error
	if branch == nil {
		_, _, err = c.gh.Git.CreateRef(ctx, c.owner, c.repo, gh.CreateRef{Ref: "refs/heads/" + name, SHA: sha})
		if errorSays(err, http.StatusUnprocessableEntity, "Reference already exists") {
			return fmt.Errorf("%w: created meanwhile", errBranchMoved)
		}
	} else {
		what = "update branch " + name
		_, _, err = c.gh.Git.UpdateRef(ctx, c.owner, c.repo, "heads/"+name, gh.UpdateRef{SHA: sha, Force: new(reset)})
		switch {
		case errorSays(err, http.StatusUnprocessableEntity, "Update is not a fast forward"):
			return fmt.Errorf("%w: someone pushed to it", errBranchMoved)
		case errorSays(err, http.StatusUnprocessableEntity, "Reference does not exist"):
			return fmt.Errorf("%w: deleted meanwhile", errBranchMoved)
		}
	}
	if isStatus(err, http.StatusUnprocessableEntity) || isStatus(err, http.StatusConflict) {
		refused := &explained{fmt.Sprintf("%s in %s/%s: GitHub refused the push: %s", what, c.owner, c.repo, describe(err)), err}
		if said := strings.ToLower(describe(err)); isStatus(err, http.StatusConflict) || strings.Contains(said, "rule") || strings.Contains(said, "protected") {
			refused.msg += fmt.Sprintf("\na ruleset or branch protection of the repository covers %s: let imagegrid's token push it "+
				"(for example exclude imagegrid/catalog-* from the rule, or add the token's actor to its bypass list)", name)
		}
		return refused
	}
	return c.explain(what, err)
}

func isStatus(err error, status int) bool {
	var e *gh.ErrorResponse
	return errors.As(err, &e) && e.Response != nil && e.Response.StatusCode == status
}

// errorSays reports whether err is GitHub's answer status whose message, or one of whose
// errors[] messages, starts with prefix.
func errorSays(err error, status int, prefix string) bool {
	var e *gh.ErrorResponse
	if !errors.As(err, &e) || e.Response == nil || e.Response.StatusCode != status {
		return false
	}
	if strings.HasPrefix(e.Message, prefix) {
		return true
	}
	for _, fe := range e.Errors {
		if strings.HasPrefix(fe.Message, prefix) {
			return true
		}
	}
	return false
}

// describe says what GitHub answered: the status, its message and each errors[] entry
// (go-github's own text prints them as Go structs).
func describe(err error) string {
	var e *gh.ErrorResponse
	if !errors.As(err, &e) || e.Response == nil {
		return err.Error()
	}
	var parts []string
	for _, line := range strings.Split(e.Message, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			parts = append(parts, line)
		}
	}
	for _, fe := range e.Errors {
		switch {
		case fe.Message != "":
			parts = append(parts, fe.Message)
		default:
			parts = append(parts, fmt.Sprintf("%s %s is %s", fe.Resource, fe.Field, fe.Code))
		}
	}
	return fmt.Sprintf("%d %s", e.Response.StatusCode, strings.Join(parts, ": "))
}

// explained is an error with imagegrid's explanation in place of go-github's text.
type explained struct {
	msg string
	err error
}

func (e *explained) Error() string { return e.msg }
func (e *explained) Unwrap() error { return e.err }

// explain wraps a GitHub error with what was being done, what GitHub said and, where there
// is one, what to do: for rate limits when they end, for a permission error what the token
// and the repository need.
func (c *Client) explain(what string, err error) error {
	if err == nil {
		return nil
	}
	where := fmt.Sprintf("%s in %s/%s", what, c.owner, c.repo)
	var limited *rateLimitedError
	var primary *gh.RateLimitError
	var secondary *gh.AbuseRateLimitError
	switch {
	case errors.As(err, &limited):
		return &explained{fmt.Sprintf("%s: %v, more than %s away; run publish again after then", where, limited, maxWait), err}
	case errors.As(err, &primary):
		reset := primary.Rate.Reset.UTC().Format(time.RFC3339)
		return &explained{fmt.Sprintf("%s: GitHub's API rate limit for this token (%d requests) is exhausted until %s: %s; run publish again after then",
			where, primary.Rate.Limit, reset, primary.Message), err}
	case errors.As(err, &secondary):
		asked := ""
		if secondary.Response != nil && secondary.Response.Header.Get("Retry-After") != "" {
			asked = fmt.Sprintf(" (GitHub asked to wait %ss)", secondary.Response.Header.Get("Retry-After"))
		}
		return &explained{fmt.Sprintf("%s: GitHub's secondary rate limit (too many requests in a short time) did not lift within the waits imagegrid takes "+
			"(%d attempts, %s at most each)%s: %s; run publish again in a few minutes", where, retryAttempts, maxWait, asked, secondary.Message), err}
	case isStatus(err, http.StatusForbidden) || isStatus(err, http.StatusUnauthorized):
		return &explained{fmt.Sprintf("%s: %s\nthe token is not allowed to: give the workflow job `permissions: {contents: write, pull-requests: write}` "+
			"(or a token with those scopes)", where, describe(err)), err}
	}
	var e *gh.ErrorResponse
	if errors.As(err, &e) {
		return &explained{fmt.Sprintf("%s: GitHub answered %s", where, describe(err)), err}
	}
	return fmt.Errorf("%s: %w", where, err)
}
