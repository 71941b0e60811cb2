package fakegithub

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// GitHub's documentation_url values for rate limits. go-github v93 (github.go, CheckResponse)
// classifies a 403/429 as a secondary rate limit (AbuseRateLimitError) by this URL's suffix
// "secondary-rate-limits", and as a primary one (RateLimitError) by X-RateLimit-Remaining: 0.
const (
	PrimaryRateLimitDocs   = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-primary-rate-limits"
	SecondaryRateLimitDocs = "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
	// SecondaryRateLimitMessage is the message of GitHub's secondary rate limit answer.
	SecondaryRateLimitMessage = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
	// ActionsCannotCreatePullsMessage is GitHub's answer to POST /pulls with a GITHUB_TOKEN when
	// the repository does not allow GitHub Actions to create pull requests.
	ActionsCannotCreatePullsMessage = "GitHub Actions is not permitted to create or approve pull requests."
	// RuleViolationMessage is GitHub's answer to a ref creation or update that a ruleset
	// (or branch protection) refuses.
	RuleViolationMessage = "Repository rule violations found\n\nCannot update this protected ref.\n\n"
)

// FieldError is one entry of errors[] in GitHub's "Validation Failed" answer.
type FieldError struct {
	Resource string `json:"resource,omitempty"`
	Field    string `json:"field,omitempty"`
	Code     string `json:"code"`
	Message  string `json:"message,omitempty"`
}

// apiError is GitHub's error body (schemas basic-error and validation-error).
type apiError struct {
	Message          string       `json:"message"`
	Errors           []FieldError `json:"errors,omitempty"`
	DocumentationURL string       `json:"documentation_url"`
	Status           string       `json:"status"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// fail answers GitHub's error body; docs is the operation's documentation page.
func fail(w http.ResponseWriter, status int, docs, message string, errs ...FieldError) {
	writeJSON(w, status, apiError{Message: message, Errors: errs, DocumentationURL: docs, Status: strconv.Itoa(status)})
}

// validationFailed is GitHub's 422 for a request whose fields it refuses.
func validationFailed(w http.ResponseWriter, docs string, errs ...FieldError) {
	fail(w, http.StatusUnprocessableEntity, docs, "Validation Failed", errs...)
}

// rateLimit is the primary rate limit: Limit requests per Window, counted from the first
// request of the window, as GitHub counts a token's requests per hour.
type rateLimit struct {
	Limit  int
	Window time.Duration
	used   int
	reset  time.Time
}

// take counts a request at now and reports whether it may be served.
func (l *rateLimit) take(now time.Time) bool {
	if l.reset.IsZero() || !now.Before(l.reset) {
		l.used, l.reset = 0, now.Add(l.Window)
	}
	if l.used >= l.Limit {
		return false
	}
	l.used++
	return true
}

// headers sets GitHub's X-RateLimit-* headers, which it sends with every answer.
func (l *rateLimit) headers(h http.Header) {
	h.Set("X-RateLimit-Limit", strconv.Itoa(l.Limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(l.Limit-l.used))
	h.Set("X-RateLimit-Used", strconv.Itoa(l.used))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(l.reset.Unix(), 10))
	h.Set("X-RateLimit-Resource", "core")
}
