package github

import (
	"bytes"
	"context"
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gh "github.com/google/go-github/v93/github"

	"github.com/imagegrid/imagegrid/internal/changeset"
	"github.com/imagegrid/imagegrid/internal/testutil/fakegithub"
	"github.com/imagegrid/imagegrid/internal/testutil/githubcontract"
)

const branch = "imagegrid/catalog-tkg"

// addLine is an Edit that appends line to catalog/list.yml unless it is there.
func addLine(line string) func(fs.FS) ([]changeset.Change, error) {
	return func(repo fs.FS) ([]changeset.Change, error) {
		data, err := fs.ReadFile(repo, "catalog/list.yml")
		if err != nil {
			return nil, err
		}
		if strings.Contains(string(data), line+"\n") {
			return nil, nil
		}
		return []changeset.Change{{Path: "catalog/list.yml", Data: append(data, line+"\n"...), Mode: 0o644}}, nil
	}
}

func proposal(line string) Proposal {
	return Proposal{Base: "main", Branch: branch, Path: "catalog", Title: "Update the catalog",
		Body: func(string) string { return "adds " + line }, Labels: []string{"catalog"}, Reviewers: []string{"alice", "acme/platform"},
		Edit: addLine(line)}
}

// start is when every test's clock starts.
var start = time.Date(2026, 11, 30, 4, 0, 0, 0, time.UTC)

// newClient starts a fake and a client whose waits are recorded instead of slept.
func newClient(t *testing.T) (*Client, *fakegithub.Server, *[]time.Duration, *bytes.Buffer) {
	t.Helper()
	return newClientWith(t, map[string]string{"catalog/list.yml": "# images\n- one\n", "README.md": "hi\n"})
}

// newClientWith starts a fake whose main branch holds files and a client of it. Both share
// a clock that only the client's waits move: a wait is recorded and advances it at once.
func newClientWith(t *testing.T, files map[string]string) (*Client, *fakegithub.Server, *[]time.Duration, *bytes.Buffer) {
	t.Helper()
	srv := fakegithub.New("acme", "catalog", files)
	t.Cleanup(srv.Close)
	var log bytes.Buffer
	c, err := New("acme/catalog", srv.Token, srv.URL, &log)
	if err != nil {
		t.Fatal(err)
	}
	c.transport.base = &requestLog{base: checked(t)}
	var mu sync.Mutex
	now := start
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	srv.SetClock(clock)
	c.transport.now = clock
	var waits []time.Duration
	c.transport.sleep = func(_ context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		waits, now = append(waits, d), now.Add(d)
		return nil
	}
	return c, srv, &waits, &log
}

// requestLog records "METHOD path" of every request sent through it, retries included.
type requestLog struct {
	base http.RoundTripper
	mu   sync.Mutex
	sent []string
}

func (l *requestLog) RoundTrip(r *http.Request) (*http.Response, error) {
	l.mu.Lock()
	l.sent = append(l.sent, r.Method+" "+r.URL.Path)
	l.mu.Unlock()
	return l.base.RoundTrip(r)
}

// sent returns the requests a client of newClient sent.
func sent(c *Client) []string {
	l := c.transport.base.(*requestLog)
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.sent)
}

// checked returns a transport that fails t on any exchange GitHub's description forbids.
func checked(t *testing.T) *githubcontract.Transport {
	t.Helper()
	checker, err := githubcontract.Load()
	if err != nil {
		t.Fatal(err)
	}
	return &githubcontract.Transport{Base: http.DefaultTransport, Checker: checker, Report: func(err error) { t.Errorf("contract: %v", err) }}
}

// TestProposeOpensUpdatesAndIsIdempotent opens a pull request, updates it, and changes nothing
// when nothing changed. Its cyclomatic complexity is above 15 because it is one scenario
// checked step by step: each branch is an assertion, not logic.
func TestProposeOpensUpdatesAndIsIdempotent(t *testing.T) {
	c, srv, _, _ := newClient(t)
	ctx := context.Background()
	out, err := c.Propose(ctx, proposal("- two"))
	if err != nil {
		t.Fatal(err)
	}
	if out.Commit == "" || !out.PullRequestOpened || out.PullRequest != 1 {
		t.Fatalf("first proposal: %+v", out)
	}
	if got := srv.Files(branch)["catalog/list.yml"]; got != "# images\n- one\n- two\n" {
		t.Errorf("branch holds %q", got)
	}
	if srv.Files(branch)["README.md"] != "hi\n" {
		t.Error("files outside the change were lost")
	}
	pulls := srv.Pulls()
	if len(pulls) != 1 || pulls[0].Head != branch || pulls[0].Base != "main" || pulls[0].Body != "adds - two" ||
		!slices.Equal(pulls[0].Labels, []string{"catalog"}) || !slices.Equal(pulls[0].Reviewers, []string{"alice"}) ||
		!slices.Equal(pulls[0].TeamReviewers, []string{"platform"}) {
		t.Errorf("pull requests %+v", pulls)
	}
	commits := srv.Commits(branch)

	// The same change again: no commit, no second pull request.
	again, err := c.Propose(ctx, proposal("- two"))
	if err != nil {
		t.Fatal(err)
	}
	if again.Commit != "" || srv.Commits(branch) != commits || len(srv.Pulls()) != 1 || again.PullRequest != 1 {
		t.Errorf("second proposal committed or opened: %+v, %d commits, %d pulls", again, srv.Commits(branch), len(srv.Pulls()))
	}

	// A further change goes on top of the open pull request's branch and updates it.
	more, err := c.Propose(ctx, proposal("- three"))
	if err != nil {
		t.Fatal(err)
	}
	if more.Commit == "" || more.PullRequestOpened || more.PullRequest != 1 || srv.Commits(branch) != commits+1 {
		t.Errorf("third proposal: %+v, %d commits", more, srv.Commits(branch))
	}
	if got := srv.Files(branch)["catalog/list.yml"]; got != "# images\n- one\n- two\n- three\n" {
		t.Errorf("branch holds %q", got)
	}
	if p := srv.Pulls(); len(p) != 1 || p[0].Body != "adds - three" {
		t.Errorf("pull request not updated: %+v", p)
	}
}

func TestProposeRetriesFaults(t *testing.T) {
	cases := []struct {
		name     string
		fault    fakegithub.Fault
		minWaits []time.Duration
	}{
		{"502 on tree", fakegithub.Fault{Method: "POST", Path: "/git/trees", Status: 502, Message: "Server Error", Times: 2}, []time.Duration{time.Second, 2 * time.Second}},
		{"secondary rate limit with Retry-After", fakegithub.SecondaryRateLimit("POST", "/pulls", "7"), []time.Duration{7 * time.Second}},
		{"secondary rate limit without Retry-After", fakegithub.SecondaryRateLimit("GET", "/git/trees/", ""), []time.Duration{time.Minute}},
		{"429 on blob", fakegithub.Fault{Method: "POST", Path: "/git/blobs", Status: 429, RetryAfter: "3", Message: "Too Many Requests"}, []time.Duration{3 * time.Second}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, srv, waits, log := newClient(t)
			srv.Inject(tc.fault)
			out, err := c.Propose(context.Background(), proposal("- two"))
			if err != nil {
				t.Fatal(err)
			}
			if out.Commit == "" || len(srv.Pulls()) != 1 {
				t.Errorf("outcome %+v, %d pulls", out, len(srv.Pulls()))
			}
			if !slices.Equal(*waits, tc.minWaits) {
				t.Errorf("waited %v, want %v", *waits, tc.minWaits)
			}
			if !strings.Contains(log.String(), "retrying in") {
				t.Errorf("log does not show the retry:\n%s", log)
			}
		})
	}
}

func TestProposeGivesUpOnPersistent5xx(t *testing.T) {
	c, srv, waits, _ := newClient(t)
	srv.Inject(fakegithub.Fault{Method: "POST", Path: "/git/commits", Status: 502, Message: "Server Error", Times: 100})
	_, err := c.Propose(context.Background(), proposal("- two"))
	if err == nil || !strings.Contains(err.Error(), "write commit") || !strings.Contains(err.Error(), "502") {
		t.Fatalf("got %v", err)
	}
	if len(*waits) != retryAttempts-1 {
		t.Errorf("waited %d times, want %d", len(*waits), retryAttempts-1)
	}
	if _, ok := srv.Files(branch)["catalog/list.yml"]; ok {
		t.Error("a branch was created although the commit failed")
	}
}

func TestProposeRereadsWhenTheBranchMoves(t *testing.T) {
	c, srv, _, log := newClient(t)
	ctx := context.Background()
	if _, err := c.Propose(ctx, proposal("- two")); err != nil {
		t.Fatal(err)
	}
	// Someone pushes to the branch between our read and our ref update.
	srv.Inject(fakegithub.Fault{Method: "PATCH", Path: "/git/refs/heads/" + branch, PushTo: branch})
	out, err := c.Propose(ctx, proposal("- three"))
	if err != nil {
		t.Fatal(err)
	}
	files := srv.Files(branch)
	if files["CONCURRENT.md"] == "" {
		t.Error("the concurrent commit was forced away")
	}
	if files["catalog/list.yml"] != "# images\n- one\n- two\n- three\n" || out.Commit == "" {
		t.Errorf("our change is missing: %q", files["catalog/list.yml"])
	}
	if !strings.Contains(log.String(), "moved while committing") {
		t.Errorf("log does not say the branch moved:\n%s", log)
	}
}

func TestProposeWhenThePullRequestIsOpenedMeanwhile(t *testing.T) {
	c, srv, _, _ := newClient(t)
	srv.Inject(fakegithub.Fault{Method: "POST", Path: "/repos/acme/catalog/pulls", OpenPullFrom: branch})
	out, err := c.Propose(context.Background(), proposal("- two"))
	if err != nil {
		t.Fatal(err)
	}
	pulls := srv.Pulls()
	if len(pulls) != 1 || out.PullRequestOpened || out.PullRequest != 1 || pulls[0].Body != "adds - two" || pulls[0].Title != "Update the catalog" {
		t.Errorf("want the pull request opened meanwhile updated, got %+v, %+v", out, pulls)
	}
}

func TestProposeAfterThePullRequestClosed(t *testing.T) {
	c, srv, _, _ := newClient(t)
	ctx := context.Background()
	if _, err := c.Propose(ctx, proposal("- two")); err != nil {
		t.Fatal(err)
	}
	closeReq(t, srv)
	out, err := c.Propose(ctx, proposal("- three"))
	if err != nil {
		t.Fatal(err)
	}
	if !out.PullRequestOpened || out.PullRequest != 2 {
		t.Errorf("want a new pull request, got %+v", out)
	}
	// The branch starts again from main: the closed proposal's line is gone.
	if got := srv.Files(branch)["catalog/list.yml"]; got != "# images\n- one\n- three\n" {
		t.Errorf("branch holds %q", got)
	}
}

// closeReq closes pull request 1 through the API, as a reviewer would.
func closeReq(t *testing.T, srv *fakegithub.Server) {
	t.Helper()
	c, err := New("acme/catalog", srv.Token, srv.URL, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	state := "closed"
	if _, _, err := c.gh.PullRequests.Edit(context.Background(), "acme", "catalog", 1, &gh.PullRequest{State: &state}); err != nil {
		t.Fatal(err)
	}
}

func TestProposePermissionError(t *testing.T) {
	c, srv, _, _ := newClient(t)
	srv.SetReadOnly(true)
	_, err := c.Propose(context.Background(), proposal("- two"))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"acme/catalog", "Resource not accessible by integration", "contents: write", "pull-requests: write"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

func TestNewRejectsBadInput(t *testing.T) {
	for _, tc := range []struct{ repo, token, want string }{
		{"acme", "t", "want owner/name"},
		{"acme/catalog/x", "t", "want owner/name"},
		{"acme/catalog", "", "GITHUB_TOKEN"},
	} {
		if _, err := New(tc.repo, tc.token, "", &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%q): %v, want %q", tc.repo, err, tc.want)
		}
	}
}
