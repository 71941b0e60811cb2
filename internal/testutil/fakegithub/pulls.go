package fakegithub

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

func (s *Server) listPulls(w http.ResponseWriter, r *http.Request, docs string) {
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	out := []map[string]any{}
	for _, p := range s.pulls {
		if (state == "all" || p.State == state) && (q.Get("head") == "" || q.Get("head") == s.Owner+":"+p.Head) && (q.Get("base") == "" || q.Get("base") == p.Base) {
			out = append(out, s.pullJSON(p, true))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// createPull opens a pull request, refusing as GitHub does: 403 for an Actions token the
// repository does not allow to, 422 "Validation Failed" with errors[] for a head that does
// not exist, one already open, or nothing to merge.
func (s *Server) createPull(w http.ResponseWriter, r *http.Request, docs string) {
	var in struct{ Title, Head, Base, Body string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fail(w, http.StatusBadRequest, docs, "Problems parsing JSON")
		return
	}
	if s.actionsToken {
		fail(w, http.StatusForbidden, docs, ActionsCannotCreatePullsMessage)
		return
	}
	head, ok := s.refs["heads/"+in.Head]
	if !ok {
		validationFailed(w, docs, FieldError{Resource: "PullRequest", Field: "head", Code: "invalid"})
		return
	}
	base, ok := s.refs["heads/"+in.Base]
	if !ok {
		validationFailed(w, docs, FieldError{Resource: "PullRequest", Field: "base", Code: "invalid"})
		return
	}
	for _, p := range s.pulls {
		if p.State == "open" && p.Head == in.Head && p.Base == in.Base {
			validationFailed(w, docs, FieldError{Resource: "PullRequest", Code: "custom",
				Message: "A pull request already exists for " + s.Owner + ":" + in.Head + "."})
			return
		}
	}
	if s.descends(base, head) {
		validationFailed(w, docs, FieldError{Resource: "PullRequest", Code: "custom",
			Message: "No commits between " + in.Base + " and " + in.Head})
		return
	}
	p := &Pull{Number: len(s.pulls) + 1, Title: in.Title, Body: in.Body, Head: in.Head, Base: in.Base, State: "open"}
	s.pulls = append(s.pulls, p)
	w.Header().Set("Location", s.url("/pulls/%d", p.Number))
	writeJSON(w, http.StatusCreated, s.pullJSON(p, false))
}

func (s *Server) editPull(w http.ResponseWriter, r *http.Request, docs string) {
	p := s.number(w, r, docs)
	if p == nil {
		return
	}
	var in struct{ Title, Body, State *string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fail(w, http.StatusBadRequest, docs, "Problems parsing JSON")
		return
	}
	for dst, src := range map[*string]*string{&p.Title: in.Title, &p.Body: in.Body, &p.State: in.State} {
		if src != nil {
			*dst = *src
		}
	}
	writeJSON(w, http.StatusOK, s.pullJSON(p, false))
}

// CollaboratorsMessage is GitHub's answer to a review request for someone who is not a
// collaborator of the repository.
const CollaboratorsMessage = "Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the %s repository."

func (s *Server) requestReviewers(w http.ResponseWriter, r *http.Request, docs string) {
	p := s.number(w, r, docs)
	if p == nil {
		return
	}
	var in struct {
		Reviewers     []string `json:"reviewers"`
		TeamReviewers []string `json:"team_reviewers"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fail(w, http.StatusBadRequest, docs, "Problems parsing JSON")
		return
	}
	if s.collaborators != nil {
		for _, name := range slices.Concat(in.Reviewers, prefixed(s.Owner+"/", in.TeamReviewers)) {
			if !s.collaborators[name] {
				fail(w, http.StatusUnprocessableEntity, docs, strings.Replace(CollaboratorsMessage, "%s", s.Owner+"/"+s.Repo, 1))
				return
			}
		}
	}
	p.Reviewers = appendNew(p.Reviewers, in.Reviewers...)
	p.TeamReviewers = appendNew(p.TeamReviewers, in.TeamReviewers...)
	writeJSON(w, http.StatusCreated, s.pullJSON(p, true))
}

func prefixed(prefix string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = prefix + n
	}
	return out
}

// addLabels takes GitHub's recommended body {"labels": [...]} and the bare array it also
// accepts.
func (s *Server) addLabels(w http.ResponseWriter, r *http.Request, docs string) {
	p := s.number(w, r, docs)
	if p == nil {
		return
	}
	var raw json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&raw); err != nil {
		fail(w, http.StatusBadRequest, docs, "Problems parsing JSON")
		return
	}
	var in struct {
		Labels []string `json:"labels"`
	}
	if json.Unmarshal(raw, &in) != nil {
		if err := json.Unmarshal(raw, &in.Labels); err != nil {
			validationFailed(w, docs, FieldError{Resource: "Label", Field: "labels", Code: "invalid"})
			return
		}
	}
	p.Labels = appendNew(p.Labels, in.Labels...)
	out := []map[string]any{}
	for _, l := range p.Labels {
		out = append(out, s.labelJSON(l))
	}
	writeJSON(w, http.StatusOK, out)
}

func appendNew(list []string, items ...string) []string {
	for _, it := range items {
		if !slices.Contains(list, it) {
			list = append(list, it)
		}
	}
	return list
}
