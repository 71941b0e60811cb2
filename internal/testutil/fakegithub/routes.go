package fakegithub

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
)

// handler serves one operation; docs is its documentation page, GitHub's documentation_url
// in error answers.
type handler func(w http.ResponseWriter, r *http.Request, docs string)

// routes maps the operations imagegrid calls, with the documentation pages GitHub's REST
// description (@octokit/openapi 23.0.2) gives as each one's externalDocs.
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	const repo = "/repos/{owner}/{repo}"
	handle := func(pattern, docs string, h handler) {
		method, p, _ := strings.Cut(pattern, " ")
		mux.Handle(method+" "+repo+p, s.guard(docs, h))
	}
	const git, pulls = "https://docs.github.com/rest/git/", "https://docs.github.com/rest/pulls/"
	handle("GET /git/ref/{ref...}", git+"refs#get-a-reference", s.getRef)
	handle("POST /git/refs", git+"refs#create-a-reference", s.createRef)
	handle("PATCH /git/refs/{ref...}", git+"refs#update-a-reference", s.updateRef)
	handle("GET /git/commits/{sha}", git+"commits#get-a-commit-object", s.getCommit)
	handle("POST /git/commits", git+"commits#create-a-commit", s.createCommit)
	handle("GET /git/trees/{sha}", git+"trees#get-a-tree", s.getTree)
	handle("POST /git/trees", git+"trees#create-a-tree", s.createTree)
	handle("GET /git/blobs/{sha}", git+"blobs#get-a-blob", s.getBlob)
	handle("POST /git/blobs", git+"blobs#create-a-blob", s.createBlob)
	handle("GET /pulls", pulls+"pulls#list-pull-requests", s.listPulls)
	handle("POST /pulls", pulls+"pulls#create-a-pull-request", s.createPull)
	handle("PATCH /pulls/{number}", pulls+"pulls#update-a-pull-request", s.editPull)
	handle("POST /pulls/{number}/requested_reviewers", pulls+"review-requests#request-reviewers-for-a-pull-request", s.requestReviewers)
	handle("POST /issues/{number}/labels", "https://docs.github.com/rest/issues/labels#add-labels-to-an-issue", s.addLabels)
	return mux
}

// guard checks the token, the repository and the rate limit and serves faults; every answer carries GitHub's X-RateLimit-* headers.
func (s *Server) guard(docs string, next handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+s.Token {
			fail(w, http.StatusUnauthorized, "https://docs.github.com/rest", "Bad credentials")
			return
		}
		f := s.fault(r)
		if f != nil && f.meanwhile() {
			s.meanwhile(f)
			f = nil
		}
		allowed := s.limit.take(s.now())
		s.limit.headers(w.Header())
		if !allowed {
			// GitHub's primary rate limit answer: 403 with X-RateLimit-Remaining: 0.
			fail(w, http.StatusForbidden, PrimaryRateLimitDocs, "API rate limit exceeded for installation ID 4242.")
			return
		}
		if r.PathValue("owner") != s.Owner || r.PathValue("repo") != s.Repo {
			fail(w, http.StatusNotFound, docs, "Not Found")
			return
		}
		if f != nil {
			s.serveFault(w, r, docs, f, next)
			return
		}
		if s.readOnly && r.Method != http.MethodGet {
			fail(w, http.StatusForbidden, docs, "Resource not accessible by integration")
			return
		}
		next(w, r, docs)
	}
}

// fault returns the next fault matching r, counting it.
func (s *Server) fault(r *http.Request) *Fault {
	for _, f := range s.faults {
		if f.Times > 0 && f.Method == r.Method && strings.Contains(r.URL.Path, f.Path) {
			f.Times--
			return f
		}
	}
	return nil
}

// meanwhile reports whether the fault is something someone else does, rather than an answer.
func (f *Fault) meanwhile() bool { return f.PushTo != "" || f.OpenPullFrom != "" || f.UseRateLimit }

// meanwhile does what someone else does between two of the client's requests.
func (s *Server) meanwhile(f *Fault) {
	if f.UseRateLimit {
		s.limit.take(s.now()) // starts the window if it has not
		s.limit.used = s.limit.Limit
	}
	if f.PushTo != "" {
		s.push(f.PushTo, map[string]string{"CONCURRENT.md": "pushed while imagegrid worked\n"})
	}
	if f.OpenPullFrom != "" {
		s.pulls = append(s.pulls, &Pull{Number: len(s.pulls) + 1, Title: "opened meanwhile", Head: f.OpenPullFrom, Base: "main", State: "open"})
	}
}

func (s *Server) serveFault(w http.ResponseWriter, r *http.Request, docs string, f *Fault, next handler) {
	if f.AfterWrite {
		next(httptest.NewRecorder(), r, docs)
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	if f.DocumentationURL != "" {
		docs = f.DocumentationURL
	}
	fail(w, f.Status, docs, f.Message, f.Errors...)
}

// number returns the pull request of the path's {number}, or answers 404.
func (s *Server) number(w http.ResponseWriter, r *http.Request, docs string) *Pull {
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil || n < 1 || n > len(s.pulls) {
		fail(w, http.StatusNotFound, docs, "Not Found")
		return nil
	}
	return s.pulls[n-1]
}
