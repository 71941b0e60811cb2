// Package fakegithub is a stateful fake of the parts of the GitHub REST API that imagegrid
// uses — git refs, blobs, trees and commits, pull requests, labels and reviewers — that
// answers as GitHub does: the paths, fields and status codes of GitHub's REST description
// (@octokit/openapi 23.0.2; internal/testutil/githubcontract checks every exchange against it),
// GitHub's error bodies ("Validation Failed" with errors[], documentation_url), X-RateLimit-*
// headers on every answer, truncated trees, raw blobs. It can be made to fail as GitHub does:
// injected faults (5xx, also after the write went through; secondary rate limits), a primary
// rate limit, a ruleset refusing a branch, reviewers who are not collaborators, a token of
// GitHub Actions that may not open pull requests, a read-only token, someone else pushing.
package fakegithub

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/imagegrid/imagegrid/internal/testutil/githubcontract"
)

// Server is the fake. Its zero value is not usable; use New.
type Server struct {
	*httptest.Server
	Owner, Repo string
	// Token is the bearer token requests must carry.
	Token string

	mu      sync.Mutex
	blobs   map[string][]byte
	trees   map[string]map[string]entry // sha → path → entry (flattened)
	commits map[string]commit
	refs    map[string]string // "heads/main" → commit sha
	pulls   []*Pull
	faults  []*Fault
	// readOnly makes every write answer 403 "Resource not accessible by integration", as for
	// a GITHUB_TOKEN without write permissions.
	readOnly bool
	// actionsToken makes POST /pulls answer 403 as for a GITHUB_TOKEN in a repository that does
	// not allow GitHub Actions to create pull requests.
	actionsToken bool
	// restricted branches refuse ref creation and updates (a ruleset or branch protection).
	restricted map[string]bool
	// collaborators, when set, are the only users and teams reviews can be requested from.
	collaborators map[string]bool
	// treeLimit is how many entries a recursive tree lists before it is truncated.
	treeLimit int
	limit     rateLimit
	now       func() time.Time
	// checker and report check every exchange (CheckContract).
	checker *githubcontract.Checker
	report  func(error)
}

type entry struct {
	Mode, SHA string
}

type commit struct {
	Tree, Message string
	Parents       []string
}

// Pull is a pull request of the fake.
type Pull struct {
	Number        int
	Title, Body   string
	Head, Base    string
	State         string
	Labels        []string
	Reviewers     []string
	TeamReviewers []string
}

// Fault is an injected failure: the next Times requests matching Method and a path
// containing Path get it.
type Fault struct {
	Method, Path string
	Times        int
	// Status and RetryAfter answer with an error status (502, 403 secondary rate limit…),
	// Message, Errors and DocumentationURL make its body (the operation's documentation page
	// when DocumentationURL is empty).
	Status           int
	RetryAfter       string
	Message          string
	Errors           []FieldError
	DocumentationURL string
	// AfterWrite serves the request first, then answers Status anyway: a write that went
	// through although the client was told it failed (a 502 from GitHub's front end).
	AfterWrite bool
	// PushTo, when set, makes someone else push a commit to that branch just before the
	// matching request is served (the request itself then succeeds or fails on its own).
	PushTo string
	// OpenPullFrom, when set, makes someone else open a pull request from that branch into
	// main just before the matching request is served.
	OpenPullFrom string
	// UseRateLimit makes someone else sharing the token (another job) use up the rate limit's
	// window just before the matching request, which then gets GitHub's primary rate limit
	// answer.
	UseRateLimit bool
}

// SecondaryRateLimit is GitHub's secondary rate limit answer to the next request matching
// method and path: 403 with the documentation_url go-github keys on, and Retry-After
// (seconds; "" for none, as GitHub sometimes sends).
func SecondaryRateLimit(method, path, retryAfter string) Fault {
	return Fault{Method: method, Path: path, Status: http.StatusForbidden, RetryAfter: retryAfter,
		Message: SecondaryRateLimitMessage, DocumentationURL: SecondaryRateLimitDocs}
}

// DefaultTreeLimit is how many entries GitHub lists in a recursive tree before it sets
// truncated (its documented limit is 100,000 entries or 7 MB).
const DefaultTreeLimit = 100000

// New starts a fake for owner/repo whose branch main holds files.
func New(owner, repo string, files map[string]string) *Server {
	s := &Server{Owner: owner, Repo: repo, Token: "fake-token",
		blobs: map[string][]byte{}, trees: map[string]map[string]entry{}, commits: map[string]commit{}, refs: map[string]string{},
		restricted: map[string]bool{}, treeLimit: DefaultTreeLimit, now: time.Now,
		limit: rateLimit{Limit: 5000, Window: time.Hour}}
	tree := map[string]entry{}
	for p, data := range files {
		tree[p] = entry{Mode: "100644", SHA: s.putBlob([]byte(data))}
	}
	s.refs["heads/main"] = s.putCommit(commit{Tree: s.putTree(tree), Message: "initial"})
	s.Server = httptest.NewServer(s.checking(s.routes()))
	return s
}

// Inject adds a fault.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Times == 0 {
		f.Times = 1
	}
	s.faults = append(s.faults, &f)
}

// SetReadOnly makes writes fail with 403 as for a token without write permission.
func (s *Server) SetReadOnly(ro bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.readOnly = ro
}

// SetActionsToken makes POST /pulls answer 403 "GitHub Actions is not permitted to create or
// approve pull requests", as for a workflow's GITHUB_TOKEN when the repository setting
// "Allow GitHub Actions to create and approve pull requests" is off. Everything else works.
func (s *Server) SetActionsToken(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.actionsToken = on
}

// Restrict makes creating or updating branch fail as a ruleset (or branch protection) that
// restricts it does: 422 "Repository rule violations found".
func (s *Server) Restrict(branch string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.restricted[branch] = true
}

// SetCollaborators limits who reviews can be requested from (logins, and org/team for teams);
// by default anyone can.
func (s *Server) SetCollaborators(names ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.collaborators = map[string]bool{}
	for _, n := range names {
		s.collaborators[n] = true
	}
}

// SetTreeLimit sets how many entries a recursive tree read lists before it is truncated.
func (s *Server) SetTreeLimit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.treeLimit = n
}

// SetRateLimit allows limit requests per window (GitHub: 5,000 an hour for a user token,
// 1,000 for a workflow's GITHUB_TOKEN; the fake's default is 5,000 an hour). The window
// starts at the next request.
func (s *Server) SetRateLimit(limit int, window time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limit = rateLimit{Limit: limit, Window: window}
}

// SetClock replaces the fake's clock (time.Now), which rate limits and timestamps use.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// Files returns the files on branch.
func (s *Server) Files(branch string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	sha, ok := s.refs["heads/"+branch]
	if !ok {
		return nil
	}
	for p, e := range s.trees[s.commits[sha].Tree] {
		out[p] = string(s.blobs[e.SHA])
	}
	return out
}

// Commits counts the commits reachable from branch (first parents).
func (s *Server) Commits(branch string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for sha := s.refs["heads/"+branch]; sha != ""; n++ {
		c := s.commits[sha]
		sha = ""
		if len(c.Parents) > 0 {
			sha = c.Parents[0]
		}
	}
	return n
}

// Pulls returns copies of the pull requests.
func (s *Server) Pulls() []Pull {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Pull, len(s.pulls))
	for i, p := range s.pulls {
		out[i] = *p
	}
	return out
}

func (s *Server) push(branch string, files map[string]string) {
	parent := s.refs["heads/"+branch]
	tree := clone(s.trees[s.commits[parent].Tree])
	for p, data := range files {
		if data == "" {
			delete(tree, p)
			continue
		}
		tree[p] = entry{Mode: "100644", SHA: s.putBlob([]byte(data))}
	}
	s.refs["heads/"+branch] = s.putCommit(commit{Tree: s.putTree(tree), Message: "someone else's commit", Parents: []string{parent}})
}

func clone(m map[string]entry) map[string]entry {
	out := make(map[string]entry, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// putBlob stores data under its git blob id.
func (s *Server) putBlob(data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	sha := hex.EncodeToString(h.Sum(nil))
	s.blobs[sha] = data
	return sha
}

// putTree stores a flattened tree (path → blob) under an id of its content.
func (s *Server) putTree(t map[string]entry) string {
	paths := make([]string, 0, len(t))
	for p := range t {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	h := sha1.New()
	for _, p := range paths {
		fmt.Fprintf(h, "%s %s %s\n", t[p].Mode, t[p].SHA, p)
	}
	sha := hex.EncodeToString(h.Sum(nil))
	s.trees[sha] = t
	return sha
}

func (s *Server) putCommit(c commit) string {
	h := sha1.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n%d", c.Tree, strings.Join(c.Parents, ","), c.Message, len(s.commits))
	sha := hex.EncodeToString(h.Sum(nil))
	s.commits[sha] = c
	return sha
}

// url is an API URL of the repository; web is its page.
func (s *Server) url(format string, args ...any) string {
	return s.Server.URL + fmt.Sprintf("/repos/%s/%s", s.Owner, s.Repo) + fmt.Sprintf(format, args...)
}

func (s *Server) web(suffix string) string {
	return s.Server.URL + "/" + s.Owner + "/" + s.Repo + suffix
}
