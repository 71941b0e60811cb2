// Package fakegithub is a stateful fake of the parts of the GitHub REST API that imagegrid
// uses — git refs, blobs, trees and commits, pull requests, labels and reviewers — shaped like
// the real API (paths, JSON fields, status codes and error bodies), with fault injection:
// 5xx answers, secondary rate limits, and a concurrent push to a branch.
package fakegithub

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
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
	// ReadOnly makes every write answer 403 "Resource not accessible by integration", as for
	// a GITHUB_TOKEN without write permissions.
	readOnly bool
	requests []string
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
	// Status and RetryAfter answer with an error status (502, 403 secondary rate limit…).
	Status     int
	RetryAfter string
	Message    string
	// PushTo, when set, makes someone else push a commit to that branch just before the
	// matching request is served (the request itself then succeeds or fails on its own).
	PushTo string
	// OpenPullFrom, when set, makes someone else open a pull request from that branch into
	// main just before the matching request is served.
	OpenPullFrom string
}

// New starts a fake for owner/repo whose branch main holds files.
func New(owner, repo string, files map[string]string) *Server {
	s := &Server{Owner: owner, Repo: repo, Token: "fake-token",
		blobs: map[string][]byte{}, trees: map[string]map[string]entry{}, commits: map[string]commit{}, refs: map[string]string{}}
	tree := map[string]entry{}
	for p, data := range files {
		tree[p] = entry{Mode: "100644", SHA: s.putBlob([]byte(data))}
	}
	s.refs["heads/main"] = s.putCommit(commit{Tree: s.putTree(tree), Message: "initial"})
	s.Server = httptest.NewServer(s.routes())
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

// Push commits files (path → content; "" deletes) on branch as someone else would.
func (s *Server) Push(branch string, files map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.push(branch, files)
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

// Requests returns "METHOD path" of every request served, faults included.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
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

// apiError writes GitHub's error body.
func apiError(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"message": message, "documentation_url": "https://docs.github.com/rest"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// guard serves faults, checks the token and the repository, and logs the request.
func (s *Server) guard(next func(http.ResponseWriter, *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.requests = append(s.requests, r.Method+" "+r.URL.Path)
		if r.Header.Get("Authorization") != "Bearer "+s.Token {
			apiError(w, http.StatusUnauthorized, "Bad credentials")
			return
		}
		if r.PathValue("owner") != s.Owner || r.PathValue("repo") != s.Repo {
			apiError(w, http.StatusNotFound, "Not Found")
			return
		}
		for _, f := range s.faults {
			if f.Times == 0 || f.Method != r.Method || !strings.Contains(r.URL.Path, f.Path) {
				continue
			}
			f.Times--
			if f.PushTo != "" {
				s.push(f.PushTo, map[string]string{"CONCURRENT.md": "pushed while imagegrid worked\n"})
				break
			}
			if f.OpenPullFrom != "" {
				s.pulls = append(s.pulls, &Pull{Number: len(s.pulls) + 1, Title: "opened meanwhile", Head: f.OpenPullFrom, Base: "main", State: "open"})
				break
			}
			if f.RetryAfter != "" {
				w.Header().Set("Retry-After", f.RetryAfter)
			}
			apiError(w, f.Status, f.Message)
			return
		}
		if s.readOnly && r.Method != http.MethodGet {
			apiError(w, http.StatusForbidden, "Resource not accessible by integration")
			return
		}
		next(w, r)
	}
}

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	const repo = "/repos/{owner}/{repo}"
	handle := func(pattern string, h func(http.ResponseWriter, *http.Request)) {
		method, p, _ := strings.Cut(pattern, " ")
		mux.Handle(method+" "+repo+p, s.guard(h))
	}
	handle("GET /git/ref/{ref...}", s.getRef)
	handle("POST /git/refs", s.createRef)
	handle("PATCH /git/refs/{ref...}", s.updateRef)
	handle("GET /git/commits/{sha}", s.getCommit)
	handle("POST /git/commits", s.createCommit)
	handle("GET /git/trees/{sha}", s.getTree)
	handle("POST /git/trees", s.createTree)
	handle("GET /git/blobs/{sha}", s.getBlob)
	handle("POST /git/blobs", s.createBlob)
	handle("GET /pulls", s.listPulls)
	handle("POST /pulls", s.createPull)
	handle("PATCH /pulls/{number}", s.editPull)
	handle("POST /pulls/{number}/requested_reviewers", s.requestReviewers)
	handle("POST /issues/{number}/labels", s.addLabels)
	return mux
}

func (s *Server) url(format string, args ...any) string {
	return s.Server.URL + fmt.Sprintf("/repos/%s/%s", s.Owner, s.Repo) + fmt.Sprintf(format, args...)
}

func (s *Server) refJSON(ref, sha string) map[string]any {
	return map[string]any{"ref": "refs/" + ref, "url": s.url("/git/refs/%s", ref),
		"object": map[string]any{"type": "commit", "sha": sha, "url": s.url("/git/commits/%s", sha)}}
}

func (s *Server) getRef(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("ref")
	sha, ok := s.refs[ref]
	if !ok {
		apiError(w, http.StatusNotFound, "Not Found")
		return
	}
	writeJSON(w, http.StatusOK, s.refJSON(ref, sha))
}

func (s *Server) createRef(w http.ResponseWriter, r *http.Request) {
	var in struct{ Ref, SHA string }
	if json.NewDecoder(r.Body).Decode(&in) != nil || !strings.HasPrefix(in.Ref, "refs/") {
		apiError(w, http.StatusUnprocessableEntity, "Reference name must start with 'refs/'")
		return
	}
	ref := strings.TrimPrefix(in.Ref, "refs/")
	if _, ok := s.refs[ref]; ok {
		apiError(w, http.StatusUnprocessableEntity, "Reference already exists")
		return
	}
	if _, ok := s.commits[in.SHA]; !ok {
		apiError(w, http.StatusUnprocessableEntity, "Object does not exist")
		return
	}
	s.refs[ref] = in.SHA
	writeJSON(w, http.StatusCreated, s.refJSON(ref, in.SHA))
}

func (s *Server) updateRef(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("ref")
	var in struct {
		SHA   string
		Force bool
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		apiError(w, http.StatusBadRequest, "Problems parsing JSON")
		return
	}
	old, ok := s.refs[ref]
	if !ok {
		apiError(w, http.StatusUnprocessableEntity, "Reference does not exist")
		return
	}
	if _, ok := s.commits[in.SHA]; !ok {
		apiError(w, http.StatusUnprocessableEntity, "Object does not exist")
		return
	}
	if !in.Force && !s.descends(in.SHA, old) {
		apiError(w, http.StatusUnprocessableEntity, "Update is not a fast forward")
		return
	}
	s.refs[ref] = in.SHA
	writeJSON(w, http.StatusOK, s.refJSON(ref, in.SHA))
}

// descends reports whether commit sha has ancestor among its ancestors (or is it).
func (s *Server) descends(sha, ancestor string) bool {
	for queue := []string{sha}; len(queue) > 0; queue = queue[1:] {
		if queue[0] == ancestor {
			return true
		}
		queue = append(queue, s.commits[queue[0]].Parents...)
	}
	return false
}

func (s *Server) commitJSON(sha string) map[string]any {
	c := s.commits[sha]
	parents := []map[string]any{}
	for _, p := range c.Parents {
		parents = append(parents, map[string]any{"sha": p, "url": s.url("/git/commits/%s", p)})
	}
	return map[string]any{"sha": sha, "message": c.Message, "url": s.url("/git/commits/%s", sha),
		"tree": map[string]any{"sha": c.Tree, "url": s.url("/git/trees/%s", c.Tree)}, "parents": parents}
}

func (s *Server) getCommit(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.commits[r.PathValue("sha")]; !ok {
		apiError(w, http.StatusNotFound, "Not Found")
		return
	}
	writeJSON(w, http.StatusOK, s.commitJSON(r.PathValue("sha")))
}

func (s *Server) createCommit(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Message string
		Tree    string
		Parents []string
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		apiError(w, http.StatusBadRequest, "Problems parsing JSON")
		return
	}
	if _, ok := s.trees[in.Tree]; !ok {
		apiError(w, http.StatusUnprocessableEntity, "Tree SHA does not exist")
		return
	}
	for _, p := range in.Parents {
		if _, ok := s.commits[p]; !ok {
			apiError(w, http.StatusUnprocessableEntity, "Parent SHA does not exist or is not a commit object")
			return
		}
	}
	sha := s.putCommit(commit{Tree: in.Tree, Message: in.Message, Parents: in.Parents})
	writeJSON(w, http.StatusCreated, s.commitJSON(sha))
}

func (s *Server) treeJSON(sha string) map[string]any {
	t := s.trees[sha]
	paths := make([]string, 0, len(t))
	for p := range t {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	entries := []map[string]any{}
	for _, p := range paths {
		entries = append(entries, map[string]any{"path": p, "mode": t[p].Mode, "type": "blob", "sha": t[p].SHA,
			"size": len(s.blobs[t[p].SHA]), "url": s.url("/git/blobs/%s", t[p].SHA)})
	}
	return map[string]any{"sha": sha, "url": s.url("/git/trees/%s", sha), "tree": entries, "truncated": false}
}

// getTree serves trees flattened, as with ?recursive=1 (the only form the fake serves).
func (s *Server) getTree(w http.ResponseWriter, r *http.Request) {
	sha := r.PathValue("sha")
	if _, ok := s.trees[sha]; !ok {
		apiError(w, http.StatusNotFound, "Not Found")
		return
	}
	if r.URL.Query().Get("recursive") == "" {
		apiError(w, http.StatusNotImplemented, "fakegithub serves recursive trees only")
		return
	}
	writeJSON(w, http.StatusOK, s.treeJSON(sha))
}

func (s *Server) createTree(w http.ResponseWriter, r *http.Request) {
	var in struct {
		BaseTree string `json:"base_tree"`
		Tree     []struct {
			Path, Mode, Type string
			SHA              *string
			Content          *string
		}
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		apiError(w, http.StatusBadRequest, "Problems parsing JSON")
		return
	}
	tree := map[string]entry{}
	if in.BaseTree != "" {
		base, ok := s.trees[in.BaseTree]
		if !ok {
			apiError(w, http.StatusUnprocessableEntity, "base_tree is not a valid tree oid")
			return
		}
		tree = clone(base)
	}
	for _, e := range in.Tree {
		switch {
		case e.Content != nil:
			tree[e.Path] = entry{Mode: e.Mode, SHA: s.putBlob([]byte(*e.Content))}
		case e.SHA == nil:
			delete(tree, e.Path)
		default:
			if _, ok := s.blobs[*e.SHA]; !ok {
				apiError(w, http.StatusUnprocessableEntity, "tree.sha "+*e.SHA+" is not a valid blob")
				return
			}
			tree[e.Path] = entry{Mode: e.Mode, SHA: *e.SHA}
		}
	}
	writeJSON(w, http.StatusCreated, s.treeJSON(s.putTree(tree)))
}

func (s *Server) getBlob(w http.ResponseWriter, r *http.Request) {
	data, ok := s.blobs[r.PathValue("sha")]
	if !ok {
		apiError(w, http.StatusNotFound, "Not Found")
		return
	}
	if r.Header.Get("Accept") == "application/vnd.github.v3.raw" {
		w.Write(data)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"sha": r.PathValue("sha"), "size": len(data), "encoding": "base64",
		"content": base64.StdEncoding.EncodeToString(data)})
}

func (s *Server) createBlob(w http.ResponseWriter, r *http.Request) {
	var in struct{ Content, Encoding string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		apiError(w, http.StatusBadRequest, "Problems parsing JSON")
		return
	}
	data := []byte(in.Content)
	if in.Encoding == "base64" {
		var err error
		if data, err = base64.StdEncoding.DecodeString(in.Content); err != nil {
			apiError(w, http.StatusUnprocessableEntity, "content is not valid Base64")
			return
		}
	}
	sha := s.putBlob(data)
	writeJSON(w, http.StatusCreated, map[string]any{"sha": sha, "url": s.url("/git/blobs/%s", sha)})
}

func (s *Server) pullJSON(p *Pull) map[string]any {
	labels := []map[string]any{}
	for _, l := range p.Labels {
		labels = append(labels, map[string]any{"name": l})
	}
	return map[string]any{"number": p.Number, "state": p.State, "title": p.Title, "body": p.Body,
		"html_url": fmt.Sprintf("%s/%s/%s/pull/%d", s.Server.URL, s.Owner, s.Repo, p.Number),
		"head":     map[string]any{"ref": p.Head, "label": s.Owner + ":" + p.Head}, "base": map[string]any{"ref": p.Base}, "labels": labels}
}

func (s *Server) listPulls(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	out := []map[string]any{}
	for _, p := range s.pulls {
		if (state == "all" || p.State == state) && (q.Get("head") == "" || q.Get("head") == s.Owner+":"+p.Head) && (q.Get("base") == "" || q.Get("base") == p.Base) {
			out = append(out, s.pullJSON(p))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createPull(w http.ResponseWriter, r *http.Request) {
	var in struct{ Title, Head, Base, Body string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		apiError(w, http.StatusBadRequest, "Problems parsing JSON")
		return
	}
	if _, ok := s.refs["heads/"+in.Head]; !ok {
		apiError(w, http.StatusUnprocessableEntity, "Validation Failed: head does not exist")
		return
	}
	for _, p := range s.pulls {
		if p.State == "open" && p.Head == in.Head && p.Base == in.Base {
			apiError(w, http.StatusUnprocessableEntity, "A pull request already exists for "+s.Owner+":"+in.Head+".")
			return
		}
	}
	p := &Pull{Number: len(s.pulls) + 1, Title: in.Title, Body: in.Body, Head: in.Head, Base: in.Base, State: "open"}
	s.pulls = append(s.pulls, p)
	writeJSON(w, http.StatusCreated, s.pullJSON(p))
}

func (s *Server) pull(w http.ResponseWriter, r *http.Request) *Pull {
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil || n < 1 || n > len(s.pulls) {
		apiError(w, http.StatusNotFound, "Not Found")
		return nil
	}
	return s.pulls[n-1]
}

func (s *Server) editPull(w http.ResponseWriter, r *http.Request) {
	p := s.pull(w, r)
	if p == nil {
		return
	}
	var in struct{ Title, Body, State *string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		apiError(w, http.StatusBadRequest, "Problems parsing JSON")
		return
	}
	for dst, src := range map[*string]*string{&p.Title: in.Title, &p.Body: in.Body, &p.State: in.State} {
		if src != nil {
			*dst = *src
		}
	}
	writeJSON(w, http.StatusOK, s.pullJSON(p))
}

func (s *Server) requestReviewers(w http.ResponseWriter, r *http.Request) {
	p := s.pull(w, r)
	if p == nil {
		return
	}
	var in struct {
		Reviewers     []string `json:"reviewers"`
		TeamReviewers []string `json:"team_reviewers"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		apiError(w, http.StatusBadRequest, "Problems parsing JSON")
		return
	}
	p.Reviewers = appendNew(p.Reviewers, in.Reviewers...)
	p.TeamReviewers = appendNew(p.TeamReviewers, in.TeamReviewers...)
	writeJSON(w, http.StatusCreated, s.pullJSON(p))
}

func (s *Server) addLabels(w http.ResponseWriter, r *http.Request) {
	p := s.pull(w, r)
	if p == nil {
		return
	}
	var labels []string
	if err := json.NewDecoder(r.Body).Decode(&labels); err != nil {
		apiError(w, http.StatusBadRequest, "Problems parsing JSON")
		return
	}
	p.Labels = appendNew(p.Labels, labels...)
	out := []map[string]any{}
	for _, l := range p.Labels {
		out = append(out, map[string]any{"name": l})
	}
	writeJSON(w, http.StatusOK, out)
}

func appendNew(list []string, items ...string) []string {
	for _, it := range items {
		found := false
		for _, l := range list {
			found = found || l == it
		}
		if !found {
			list = append(list, it)
		}
	}
	return list
}
