package fakegithub

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/imagegrid/imagegrid/internal/testutil/githubcontract"
)

// CheckContract holds every exchange the fake serves from now on to GitHub's REST
// description (internal/testutil/githubcontract) and passes each violation to report — for tests
// that drive the fake through a program rather than through a client they can wrap.
func (s *Server) CheckContract(report func(error)) error {
	checker, err := githubcontract.Load()
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checker, s.report = checker, report
	return nil
}

// checking serves h, checking the exchange when CheckContract asked for it.
func (s *Server) checking(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		checker, report := s.checker, s.report
		s.mu.Unlock()
		if checker == nil {
			h.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
		r.Body = io.NopCloser(bytes.NewReader(body))
		x := githubcontract.Exchange{Request: r, RequestBody: body, Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
		if err := checker.Check(r.Context(), x); err != nil {
			report(err)
		}
	})
}
