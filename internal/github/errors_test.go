package github

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	gh "github.com/google/go-github/v93/github"

	"github.com/imagegrid/imagegrid/internal/changeset"
	"github.com/imagegrid/imagegrid/internal/testutil/fakegithub"
)

// count returns how many requests c sent with this method and path suffix.
func count(c *Client, method, suffix string) int {
	n := 0
	for _, r := range sent(c) {
		if m, p, _ := strings.Cut(r, " "); m == method && strings.HasSuffix(p, suffix) {
			n++
		}
	}
	return n
}

// TestProposeFailsWithGitHubsReason: GitHub's refusals end the proposal at once, with what
// GitHub said and what to do, never as "kept moving" or "lists none open".
func TestProposeFailsWithGitHubsReason(t *testing.T) {
	cases := []struct {
		name string
		// existing proposes once before the fault, so that the branch and its pull request exist.
		existing bool
		setup    func(*fakegithub.Server)
		want     []string
		// once is a request that must have been sent exactly once (not retried).
		once [2]string
	}{
		{
			name:  "a ruleset refuses creating the branch",
			setup: func(s *fakegithub.Server) { s.Restrict(branch) },
			want: []string{"create branch " + branch + " in acme/catalog", "GitHub refused the push: 422 Repository rule violations found: Cannot create ref due to creations being restricted.",
				"ruleset or branch protection"},
			once: [2]string{"POST", "/git/refs"},
		},
		{
			name: "a ruleset refuses updating the branch", existing: true,
			setup: func(s *fakegithub.Server) { s.Restrict(branch) },
			want:  []string{"update branch " + branch, "Cannot update this protected ref."},
			once:  [2]string{"PATCH", "/git/refs/heads/" + branch},
		},
		{
			name: "branch protection answers 409", existing: true,
			setup: func(s *fakegithub.Server) {
				s.Inject(fakegithub.Fault{Method: "PATCH", Path: "/git/refs/", Status: http.StatusConflict, Message: "Required status check \"ci\" is expected."})
			},
			want: []string{"update branch " + branch, "409 Required status check \"ci\" is expected."},
			once: [2]string{"PATCH", "/git/refs/heads/" + branch},
		},
		{
			name: "GitHub does not know the commit", existing: true,
			setup: func(s *fakegithub.Server) {
				s.Inject(fakegithub.Fault{Method: "PATCH", Path: "/git/refs/", Status: 422, Message: "Object does not exist"})
			},
			want: []string{"update branch " + branch + " in acme/catalog: GitHub refused the push: 422 Object does not exist"},
			once: [2]string{"PATCH", "/git/refs/heads/" + branch},
		},
		{
			name: "nothing to merge",
			setup: func(s *fakegithub.Server) {
				s.Inject(fakegithub.Fault{Method: "POST", Path: "/catalog/pulls", Status: 422, Message: "Validation Failed",
					Errors: []fakegithub.FieldError{{Resource: "PullRequest", Code: "custom", Message: "No commits between main and " + branch}}})
			},
			want: []string{"open the pull request in acme/catalog: GitHub answered 422 Validation Failed: No commits between main and " + branch},
			once: [2]string{"POST", "/catalog/pulls"},
		},
		{
			name: "a head GitHub does not accept",
			setup: func(s *fakegithub.Server) {
				s.Inject(fakegithub.Fault{Method: "POST", Path: "/catalog/pulls", Status: 422, Message: "Validation Failed",
					Errors: []fakegithub.FieldError{{Resource: "PullRequest", Field: "head", Code: "invalid"}}})
			},
			want: []string{"422 Validation Failed: PullRequest head is invalid"},
			once: [2]string{"POST", "/catalog/pulls"},
		},
		{
			name:  "a workflow token may not open pull requests",
			setup: func(s *fakegithub.Server) { s.SetActionsToken(true) },
			want: []string{"403 GitHub Actions is not permitted to create or approve pull requests.",
				"Settings → Actions → General → Workflow permissions → \"Allow GitHub Actions to create and approve pull requests\"",
				"The change is pushed: branch " + branch + " is at ", "/acme/catalog/compare/main..." + branch},
			once: [2]string{"POST", "/catalog/pulls"},
		},
		{
			name:  "the primary rate limit resets too late",
			setup: func(s *fakegithub.Server) { s.SetRateLimit(3, time.Hour) },
			want:  []string{"GitHub's API rate limit for this token is exhausted until 2026-11-30T05:00:00Z", "run publish again after then"},
		},
		{
			name: "the secondary rate limit does not lift",
			setup: func(s *fakegithub.Server) {
				f := fakegithub.SecondaryRateLimit("POST", "/git/blobs", "30")
				f.Times = retryAttempts
				s.Inject(f)
			},
			want: []string{"write catalog/list.yml in acme/catalog: GitHub's secondary rate limit", "run publish again in a few minutes"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, srv, _, log := newClient(t)
			if tc.existing {
				if _, err := c.Propose(context.Background(), proposal("- two")); err != nil {
					t.Fatal(err)
				}
			}
			tc.setup(srv)
			_, err := c.Propose(context.Background(), proposal("- three"))
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
			never := []string{"kept moving", "lists no open", "token is not allowed", "[{"}
			if !strings.Contains(tc.name, "ruleset") && !strings.Contains(tc.name, "protection") {
				never = append(never, "ruleset or branch protection")
			}
			for _, never := range never {
				if strings.Contains(err.Error(), never) {
					t.Errorf("error says %q:\n%v", never, err)
				}
			}
			if strings.Contains(log.String(), "moved while committing") {
				t.Errorf("a refusal was taken for a moved branch:\n%s", log)
			}
			if tc.once[0] != "" {
				if n := count(c, tc.once[0], tc.once[1]); n != 1 {
					t.Errorf("%s …%s sent %d times, want once", tc.once[0], tc.once[1], n)
				}
			}
		})
	}
}

func TestActionsTokenLeavesTheBranchPushed(t *testing.T) {
	c, srv, _, _ := newClient(t)
	srv.SetActionsToken(true)
	if _, err := c.Propose(context.Background(), proposal("- two")); err == nil {
		t.Fatal("no error")
	}
	if got := srv.Files(branch)["catalog/list.yml"]; got != "# images\n- one\n- two\n" {
		t.Errorf("the branch named in the error holds %q", got)
	}
	// Once the setting is on, running again opens the pull request on the pushed branch.
	srv.SetActionsToken(false)
	out, err := c.Propose(context.Background(), proposal("- two"))
	if err != nil {
		t.Fatal(err)
	}
	if !out.PullRequestOpened || len(srv.Pulls()) != 1 {
		t.Errorf("rerun: %+v, %d pulls", out, len(srv.Pulls()))
	}
}

func TestProposeRetriesAMovedBranchWithBackoff(t *testing.T) {
	c, srv, waits, _ := newClient(t)
	if _, err := c.Propose(context.Background(), proposal("- two")); err != nil {
		t.Fatal(err)
	}
	// Someone pushes before every one of our ref updates.
	srv.Inject(fakegithub.Fault{Method: "PATCH", Path: "/git/refs/heads/" + branch, PushTo: branch, Times: 100})
	_, err := c.Propose(context.Background(), proposal("- three"))
	if err == nil || !strings.Contains(err.Error(), "kept moving: branch moved: someone pushed to it; gave up after 5 attempts") {
		t.Fatalf("got %v", err)
	}
	if want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}; !slices.Equal(*waits, want) {
		t.Errorf("waited %v between attempts, want %v", *waits, want)
	}
	if n := count(c, "PATCH", "/git/refs/heads/"+branch); n != maxAttempts {
		t.Errorf("%d ref updates, want one per attempt", n)
	}
}

// TestProposeWhenAWriteWentThroughDespiteAnError: GitHub's front end can answer 502 after
// the write was applied; the retry then meets the write's own result.
func TestProposeWhenAWriteWentThroughDespiteAnError(t *testing.T) {
	for _, tc := range []struct {
		name     string
		existing bool
		fault    fakegithub.Fault
	}{
		{"pull request opened", false, fakegithub.Fault{Method: "POST", Path: "/catalog/pulls", Status: 502, Message: "Server Error", AfterWrite: true}},
		{"branch created", false, fakegithub.Fault{Method: "POST", Path: "/git/refs", Status: 502, Message: "Server Error", AfterWrite: true}},
		{"branch updated", true, fakegithub.Fault{Method: "PATCH", Path: "/git/refs/", Status: 502, Message: "Server Error", AfterWrite: true}},
		{"commit written", false, fakegithub.Fault{Method: "POST", Path: "/git/commits", Status: 504, Message: "Gateway Timeout", AfterWrite: true}},
		{"labels added", false, fakegithub.Fault{Method: "POST", Path: "/labels", Status: 502, Message: "Server Error", AfterWrite: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, srv, _, _ := newClient(t)
			want := "# images\n- one\n- two\n"
			if tc.existing {
				if _, err := c.Propose(context.Background(), proposal("- two")); err != nil {
					t.Fatal(err)
				}
				want += "- three\n"
			}
			srv.Inject(tc.fault)
			line := "- two"
			if tc.existing {
				line = "- three"
			}
			out, err := c.Propose(context.Background(), proposal(line))
			if err != nil {
				t.Fatal(err)
			}
			if got := srv.Files(branch)["catalog/list.yml"]; got != want {
				t.Errorf("branch holds %q, want %q", got, want)
			}
			pulls := srv.Pulls()
			if len(pulls) != 1 || out.PullRequest != 1 || pulls[0].Body != "adds "+line || !slices.Equal(pulls[0].Labels, []string{"catalog"}) {
				t.Errorf("outcome %+v, pulls %+v", out, pulls)
			}
		})
	}
}

func TestProposeWaitsForThePrimaryRateLimit(t *testing.T) {
	c, srv, waits, log := newClient(t)
	// 4 requests a minute: the proposal (about 15 requests) runs into the limit several
	// times, once as a 2xx answer with X-RateLimit-Remaining: 0 (go-github would refuse the
	// next request itself) and then, after the reset, again.
	srv.SetRateLimit(4, time.Minute)
	out, err := c.Propose(context.Background(), proposal("- two"))
	if err != nil {
		t.Fatal(err)
	}
	if out.Commit == "" || len(srv.Pulls()) != 1 {
		t.Errorf("outcome %+v", out)
	}
	if len(*waits) < 3 {
		t.Errorf("waited %v, want a wait per exhausted window", *waits)
	}
	for _, w := range *waits {
		if w <= 0 || w > time.Minute+time.Second {
			t.Errorf("waited %v, want up to the reset and a second", w)
		}
	}
	if !strings.Contains(log.String(), "API rate limit exhausted; waiting") {
		t.Errorf("log does not show the wait:\n%s", log)
	}
	for _, r := range sent(c) {
		if strings.HasPrefix(r, "GET /rate_limit") {
			t.Errorf("unexpected %s", r)
		}
	}
}

func TestProposeWaitsWhenAnotherJobUsedTheRateLimit(t *testing.T) {
	c, srv, waits, log := newClient(t)
	srv.SetRateLimit(100, 3*time.Minute)
	srv.Inject(fakegithub.Fault{Method: "POST", Path: "/git/trees", UseRateLimit: true})
	if _, err := c.Propose(context.Background(), proposal("- two")); err != nil {
		t.Fatal(err)
	}
	if want := []time.Duration{3*time.Minute + time.Second}; !slices.Equal(*waits, want) {
		t.Errorf("waited %v, want %v (until the reset)", *waits, want)
	}
	if !strings.Contains(log.String(), "POST /repos/acme/catalog/git/trees: API rate limit exhausted until 2026-11-30T04:03:00Z; retrying in 3m1s") {
		t.Errorf("log does not show the wait:\n%s", log)
	}
}

func TestReviewersGitHubWillNotRequestAreAWarning(t *testing.T) {
	c, srv, _, log := newClient(t)
	srv.SetCollaborators("bob")
	for _, line := range []string{"- two", "- three"} { // the first run and a rerun
		out, err := c.Propose(context.Background(), proposal(line))
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if len(out.Warnings) != 1 || !strings.Contains(out.Warnings[0], "could not request reviews from alice, acme/platform: 422 Reviews may only be requested from collaborators.") {
			t.Errorf("%s: warnings %q", line, out.Warnings)
		}
	}
	if p := srv.Pulls(); len(p) != 1 || p[0].Body != "adds - three" || len(p[0].Reviewers) != 0 {
		t.Errorf("pull requests %+v", p)
	}
	if !strings.Contains(log.String(), "catalog: warning: pull request #1: could not request reviews") {
		t.Errorf("log lacks the warning:\n%s", log)
	}
}

func TestProposeReadsATruncatedTreeFolderByFolder(t *testing.T) {
	c, srv, _, log := newClientWith(t, map[string]string{
		"catalog/list.yml": "# images\n- one\n", "catalog/a/x.yml": "x: 1\n", "catalog/b/c/y.json": "{}\n", "catalog/b/notes.txt": "n\n", "README.md": "hi\n",
	})
	// The catalog folder lists 6 entries recursively (a, a/x.yml, b, b/c, b/c/y.json,
	// b/notes.txt, list.yml): past the limit. Its top level has 3.
	srv.SetTreeLimit(3)
	var seen []string
	p := proposal("- two")
	edit := p.Edit
	p.Edit = func(repo fs.FS) ([]changeset.Change, error) {
		fs.WalkDir(repo, ".", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				seen = append(seen, p)
			}
			return err
		})
		return edit(repo)
	}
	if _, err := c.Propose(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if want := []string{"catalog/a/x.yml", "catalog/b/c/y.json", "catalog/list.yml"}; !slices.Equal(seen, want) {
		t.Errorf("Edit saw %v, want %v", seen, want)
	}
	if !strings.Contains(log.String(), "folder by folder") {
		t.Errorf("log does not say the tree was truncated:\n%s", log)
	}
	if got := srv.Files(branch)["catalog/list.yml"]; got != "# images\n- one\n- two\n" {
		t.Errorf("branch holds %q", got)
	}
	// A single folder with more entries than GitHub lists at once cannot be read.
	srv.SetTreeLimit(1)
	if _, err := c.Propose(context.Background(), proposal("- three")); err == nil || !strings.Contains(err.Error(), "use --catalog-dir") {
		t.Errorf("got %v", err)
	}
}

func TestProposeNamesAMissingFolder(t *testing.T) {
	c, _, _, _ := newClient(t)
	p := proposal("- two")
	p.Path = "catalog/tkr"
	if _, err := c.Propose(context.Background(), p); err == nil || !strings.Contains(err.Error(), "acme/catalog has no folder catalog/tkr") {
		t.Errorf("got %v", err)
	}
}

// TestErrorsKeepGoGithubsTypes: the explanations wrap go-github's errors, so callers can
// still tell them apart.
func TestErrorsKeepGoGithubsTypes(t *testing.T) {
	c, srv, _, _ := newClient(t)
	srv.SetRateLimit(2, time.Hour)
	_, err := c.Propose(context.Background(), proposal("- two"))
	var primary *gh.RateLimitError
	var limited *rateLimitedError
	if !errors.As(err, &primary) && !errors.As(err, &limited) {
		t.Errorf("%T %v is neither a rate limit of go-github nor of the transport", err, err)
	}
}
