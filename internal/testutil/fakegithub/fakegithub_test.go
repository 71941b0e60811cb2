package fakegithub_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	gh "github.com/google/go-github/v93/github"

	"github.com/imagegrid/imagegrid/internal/testutil/fakegithub"
	"github.com/imagegrid/imagegrid/internal/testutil/githubcontract"
)

// start serves a fake and a go-github client of it whose every exchange is checked against
// GitHub's description.
func start(t *testing.T, files map[string]string) (*fakegithub.Server, *gh.Client, *githubcontract.Transport) {
	t.Helper()
	srv := fakegithub.New("acme", "catalog", files)
	t.Cleanup(srv.Close)
	checker, err := githubcontract.Load()
	if err != nil {
		t.Fatal(err)
	}
	tr := &githubcontract.Transport{Base: http.DefaultTransport, Checker: checker, Report: func(err error) { t.Errorf("contract: %v", err) }}
	u := srv.URL + "/"
	c, err := gh.NewClient(gh.WithTransport(tr), gh.WithAuthToken(srv.Token), gh.WithURLs(&u, nil), gh.WithDisableRateLimitCheck())
	if err != nil {
		t.Fatal(err)
	}
	return srv, c, tr
}

var ctx = context.Background()

// apiError is the body of an error answer.
func apiError(t *testing.T, err error) (*gh.ErrorResponse, map[string]any) {
	t.Helper()
	var e *gh.ErrorResponse
	if !errors.As(err, &e) {
		t.Fatalf("%T %v is not GitHub's error answer", err, err)
	}
	var body map[string]any
	if err := json.NewDecoder(e.Response.Body).Decode(&body); err != nil {
		t.Fatalf("error body: %v", err)
	}
	return e, body
}

func TestCreatePullRequestRefusals(t *testing.T) {
	srv, c, _ := start(t, map[string]string{"a.yml": "a\n"})
	srv.Push("topic", nil)
	// Push made the branch from the empty ref; give it main's history plus a commit.
	main, _, err := c.Git.GetRef(ctx, "acme", "catalog", "heads/main")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Git.CreateRef(ctx, "acme", "catalog", gh.CreateRef{Ref: "refs/heads/same", SHA: main.GetObject().GetSHA()}); err != nil {
		t.Fatal(err)
	}
	srv.Push("feature", map[string]string{"b.yml": "b\n"})
	open := func(head string) error {
		_, _, err := c.PullRequests.Create(ctx, "acme", "catalog", gh.CreatePullRequest{Title: new("t"), Head: head, Base: "main"})
		return err
	}
	if err := open("feature"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, head string
		want       gh.Error
	}{
		{"duplicate", "feature", gh.Error{Resource: "PullRequest", Code: "custom", Message: "A pull request already exists for acme:feature."}},
		{"no such head", "nope", gh.Error{Resource: "PullRequest", Field: "head", Code: "invalid"}},
		{"nothing to merge", "same", gh.Error{Resource: "PullRequest", Code: "custom", Message: "No commits between main and same"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, body := apiError(t, open(tc.head))
			if e.Response.StatusCode != 422 || e.Message != "Validation Failed" || len(e.Errors) != 1 || e.Errors[0] != tc.want {
				t.Errorf("got %d %q %+v, want 422 Validation Failed %+v", e.Response.StatusCode, e.Message, e.Errors, tc.want)
			}
			if body["documentation_url"] != "https://docs.github.com/rest/pulls/pulls#create-a-pull-request" || body["status"] != "422" {
				t.Errorf("body %v", body)
			}
		})
	}
	srv.SetActionsToken(true)
	e, _ := apiError(t, open("same"))
	if e.Response.StatusCode != 403 || e.Message != fakegithub.ActionsCannotCreatePullsMessage {
		t.Errorf("Actions token: %d %q", e.Response.StatusCode, e.Message)
	}
	// Only opening a pull request is refused to an Actions token.
	if _, _, err := c.PullRequests.Edit(ctx, "acme", "catalog", 1, &gh.PullRequest{Title: new("new")}); err != nil {
		t.Errorf("editing with an Actions token: %v", err)
	}
}

func TestRateLimits(t *testing.T) {
	srv, c, _ := start(t, map[string]string{"a.yml": "a\n"})
	now := time.Date(2026, 11, 30, 4, 0, 0, 0, time.UTC)
	srv.SetClock(func() time.Time { return now })
	srv.SetRateLimit(2, time.Hour)
	for i, want := range []string{"1", "0"} {
		_, resp, err := c.Git.GetRef(ctx, "acme", "catalog", "heads/main")
		if err != nil {
			t.Fatal(err)
		}
		h := resp.Header
		if h.Get("X-RateLimit-Limit") != "2" || h.Get("X-RateLimit-Remaining") != want || h.Get("X-RateLimit-Used") != strconv.Itoa(i+1) ||
			h.Get("X-RateLimit-Reset") != strconv.FormatInt(now.Add(time.Hour).Unix(), 10) || h.Get("X-RateLimit-Resource") != "core" {
			t.Errorf("request %d: rate limit headers %v", i+1, h)
		}
	}
	_, _, err := c.Git.GetRef(ctx, "acme", "catalog", "heads/main")
	var primary *gh.RateLimitError
	if !errors.As(err, &primary) || primary.Rate.Remaining != 0 || !primary.Rate.Reset.Time.Equal(now.Add(time.Hour)) {
		t.Errorf("exhausted: %T %v, want go-github's RateLimitError until the reset", err, err)
	}
	now = now.Add(time.Hour)
	if _, _, err := c.Git.GetRef(ctx, "acme", "catalog", "heads/main"); err != nil {
		t.Errorf("after the reset: %v", err)
	}

	srv.SetRateLimit(5000, time.Hour)
	srv.Inject(fakegithub.SecondaryRateLimit("GET", "/git/ref/", "17"))
	_, _, err = c.Git.GetRef(ctx, "acme", "catalog", "heads/main")
	var secondary *gh.AbuseRateLimitError
	if !errors.As(err, &secondary) || secondary.GetRetryAfter() != 17*time.Second {
		t.Errorf("secondary: %T %v, want go-github's AbuseRateLimitError with Retry-After 17s", err, err)
	}
}

// TestTreesBlobsAndTruncation reads trees and blobs as GitHub serves them, truncated past the
// tree limit. Its cyclomatic complexity is above 15 because it is one scenario checked step by
// step: each branch is an assertion, not logic.
func TestTreesBlobsAndTruncation(t *testing.T) {
	srv, c, _ := start(t, map[string]string{"top.yml": "t\n", "cat/a.yml": "a\n", "cat/sub/b.bin": "\x00\x01binary"})
	main, _, err := c.Git.GetRef(ctx, "acme", "catalog", "heads/main")
	if err != nil {
		t.Fatal(err)
	}
	commit, _, err := c.Git.GetCommit(ctx, "acme", "catalog", main.GetObject().GetSHA())
	if err != nil {
		t.Fatal(err)
	}
	root := commit.GetTree().GetSHA()
	list := func(sha string, recursive bool) (paths []string, truncated bool, entries []*gh.TreeEntry) {
		tree, _, err := c.Git.GetTree(ctx, "acme", "catalog", sha, recursive)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range tree.Entries {
			paths = append(paths, e.GetType()+" "+e.GetPath())
		}
		return paths, tree.GetTruncated(), tree.Entries
	}
	got, truncated, _ := list(root, true)
	if want := "tree cat,blob cat/a.yml,tree cat/sub,blob cat/sub/b.bin,blob top.yml"; strings.Join(got, ",") != want || truncated {
		t.Errorf("recursive: %v (truncated %v), want %s", got, truncated, want)
	}
	got, _, entries := list(root, false)
	if want := "tree cat,blob top.yml"; strings.Join(got, ",") != want {
		t.Errorf("one level: %v, want %s", got, want)
	}
	sub, _, _ := list(entries[0].GetSHA(), true)
	if want := "blob a.yml,tree sub,blob sub/b.bin"; strings.Join(sub, ",") != want {
		t.Errorf("the folder's own tree: %v, want %s", sub, want)
	}
	srv.SetTreeLimit(2)
	if got, truncated, _ := list(root, true); !truncated || len(got) != 2 {
		t.Errorf("past the limit: %v truncated %v", got, truncated)
	}

	sha := ""
	for _, e := range entries {
		if e.GetPath() == "top.yml" {
			sha = e.GetSHA()
		}
	}
	raw, resp, err := c.Git.GetBlobRaw(ctx, "acme", "catalog", sha)
	if err != nil || string(raw) != "t\n" || resp.Header.Get("Content-Type") != githubcontract.RawMediaType {
		t.Errorf("raw blob: %q %v %v", raw, resp.Header.Get("Content-Type"), err)
	}
	blob, _, err := c.Git.GetBlob(ctx, "acme", "catalog", sha)
	if err != nil || blob.GetEncoding() != "base64" || blob.GetContent() != "dAo=\n" || blob.GetSize() != 2 {
		t.Errorf("blob: %+v %v", blob, err)
	}
}

func TestFaults(t *testing.T) {
	srv, c, _ := start(t, map[string]string{"a.yml": "a\n"})
	srv.Inject(fakegithub.Fault{Method: "POST", Path: "/git/blobs", Status: 502, Message: "Server Error", AfterWrite: true})
	_, _, err := c.Git.CreateBlob(ctx, "acme", "catalog", gh.Blob{Content: "new\n", Encoding: new("utf-8")})
	if e, body := apiError(t, err); e.Response.StatusCode != 502 || body["documentation_url"] != "https://docs.github.com/rest/git/blobs#create-a-blob" {
		t.Errorf("fault: %v %v", e, body)
	}
	// The write went through: the blob is there (its id is git's, 3e757656… for "new\n").
	if _, _, err := c.Git.GetBlob(ctx, "acme", "catalog", "3e757656cf36eca53338e520d134963a44f793f8"); err != nil {
		t.Errorf("the blob written before the 502: %v", err)
	}
	srv.SetReadOnly(true)
	_, _, err = c.Git.CreateBlob(ctx, "acme", "catalog", gh.Blob{Content: "x", Encoding: new("utf-8")})
	if e, _ := apiError(t, err); e.Response.StatusCode != 403 || e.Message != "Resource not accessible by integration" {
		t.Errorf("read-only: %v", e)
	}
	if _, _, err := c.Git.GetRef(ctx, "acme", "catalog", "heads/main"); err != nil {
		t.Errorf("reads with a read-only token: %v", err)
	}
	srv.Restrict("main")
	_, _, err = c.Git.UpdateRef(ctx, "acme", "catalog", "heads/main", gh.UpdateRef{SHA: strings.Repeat("0", 40)})
	if e, _ := apiError(t, err); e.Response.StatusCode != 403 {
		t.Errorf("a read-only token meets the permission check before the ruleset: %v", e)
	}
	srv.SetReadOnly(false)
	main, _, _ := c.Git.GetRef(ctx, "acme", "catalog", "heads/main")
	_, _, err = c.Git.UpdateRef(ctx, "acme", "catalog", "heads/main", gh.UpdateRef{SHA: main.GetObject().GetSHA()})
	if e, _ := apiError(t, err); e.Response.StatusCode != 422 || e.Message != fakegithub.RuleViolationMessage {
		t.Errorf("restricted: %v", e)
	}
}

// TestEveryAnswerHasItsRequiredFields exercises the fake's operations that the other tests
// do not, so that the contract transport checks each of its answers.
func TestEveryAnswerHasItsRequiredFields(t *testing.T) {
	srv, c, tr := start(t, map[string]string{"a.yml": "a\n"})
	srv.Push("feature", map[string]string{"b.yml": "b\n"})
	main, _, _ := c.Git.GetRef(ctx, "acme", "catalog", "heads/main")
	commit, _, _ := c.Git.GetCommit(ctx, "acme", "catalog", main.GetObject().GetSHA())
	tree, _, _ := c.Git.CreateTree(ctx, "acme", "catalog", commit.GetTree().GetSHA(), []*gh.TreeEntry{{Path: new("c.yml"), Mode: new("100644"), Type: new("blob"), Content: new("c\n")}})
	next, _, _ := c.Git.CreateCommit(ctx, "acme", "catalog", gh.Commit{Message: new("m"), Tree: tree, Parents: []*gh.Commit{{SHA: commit.SHA}}}, nil)
	c.Git.CreateRef(ctx, "acme", "catalog", gh.CreateRef{Ref: "refs/heads/x", SHA: next.GetSHA()})
	c.Git.UpdateRef(ctx, "acme", "catalog", "heads/x", gh.UpdateRef{SHA: next.GetSHA()})
	pr, _, _ := c.PullRequests.Create(ctx, "acme", "catalog", gh.CreatePullRequest{Title: new("t"), Head: "x", Base: "main", Body: new("b")})
	c.PullRequests.List(ctx, "acme", "catalog", &gh.PullRequestListOptions{State: "open", Head: "acme:x"})
	c.PullRequests.Edit(ctx, "acme", "catalog", pr.GetNumber(), &gh.PullRequest{Body: new("c")})
	c.PullRequests.RequestReviewers(ctx, "acme", "catalog", pr.GetNumber(), gh.ReviewersRequest{Reviewers: []string{"alice"}, TeamReviewers: []string{"platform"}})
	c.Git.GetTree(ctx, "acme", "catalog", tree.GetSHA(), true)
	blob, _, _ := c.Git.CreateBlob(ctx, "acme", "catalog", gh.Blob{Content: "d\n", Encoding: new("utf-8")})
	c.Git.GetBlob(ctx, "acme", "catalog", blob.GetSHA())
	req, _ := c.NewRequest(ctx, "POST", "repos/acme/catalog/issues/1/labels", map[string][]string{"labels": {"images"}})
	if _, err := c.Do(req, nil); err != nil {
		t.Error(err)
	}
	var missed []string
	for _, op := range tr.Checker.Operations {
		if tr.Operations()[op] == 0 {
			missed = append(missed, op)
		}
	}
	if len(missed) > 0 {
		t.Errorf("operations not exercised: %v", missed)
	}
	if p := srv.Pulls(); len(p) != 1 || p[0].Body != "c" || strings.Join(p[0].Reviewers, ",") != "alice" || strings.Join(p[0].Labels, ",") != "images" {
		t.Errorf("pull requests %+v", p)
	}
}

func TestCheckContractOnTheServer(t *testing.T) {
	srv := fakegithub.New("acme", "catalog", map[string]string{"a.yml": "a\n"})
	defer srv.Close()
	var reported []error
	if err := srv.CheckContract(func(err error) { reported = append(reported, err) }); err != nil {
		t.Fatal(err)
	}
	send := func(method, path, body string) int {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+srv.Token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if status := send("GET", "/repos/acme/catalog/git/ref/heads/main", ""); status != 200 || len(reported) != 0 {
		t.Errorf("a valid exchange: %d, reported %v", status, reported)
	}
	// A ref creation without its sha: GitHub's description requires one.
	send("POST", "/repos/acme/catalog/git/refs", `{"ref":"refs/heads/x"}`)
	if len(reported) != 1 || !strings.Contains(reported[0].Error(), "git/create-ref") {
		t.Errorf("reported %v, want the request without sha", reported)
	}
}
