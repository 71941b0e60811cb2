package github

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	gh "github.com/google/go-github/v93/github"
)

// Retry policy.
const (
	retryAttempts = 6
	firstBackoff  = time.Second
	// maxWait caps a single wait; a longer rate limit is not waited for: the step fails
	// naming when it ends.
	maxWait = 5 * time.Minute
	// secondaryWait is how long a secondary rate limit is waited for when GitHub says
	// neither Retry-After nor an exhausted X-RateLimit-Remaining: "at least one minute"
	// (docs.github.com, rest/using-the-rest-api/rate-limits-for-the-rest-api).
	secondaryWait = time.Minute
)

// retryTransport retries what GitHub asks to retry: 5xx answers (with exponential backoff)
// and rate limits, classified as go-github v93 classifies them (github.go, CheckResponse: a
// 403/429 with X-RateLimit-Remaining: 0 is the primary limit, one whose documentation_url
// ends in "secondary-rate-limits" a secondary one). It also remembers the primary limit that
// a successful answer exhausted (X-RateLimit-Remaining: 0) and waits for its reset before the
// next request: the client's own check, which would refuse that request without waiting, is
// turned off (New). Waits longer than maxWait are not taken.
type retryTransport struct {
	base  http.RoundTripper
	log   io.Writer
	sleep func(context.Context, time.Duration) error
	now   func() time.Time

	mu sync.Mutex
	// exhausted is when the primary rate limit that the last answer exhausted resets.
	exhausted time.Time
}

// rateLimitedError is a primary rate limit too long to wait for.
type rateLimitedError struct {
	reset time.Time
}

func (e *rateLimitedError) Error() string {
	return fmt.Sprintf("GitHub's API rate limit for this token is exhausted until %s", e.reset.UTC().Format(time.RFC3339))
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.waitForReset(req); err != nil {
		return nil, err
	}
	backoff := firstBackoff
	for attempt := 1; ; attempt++ {
		try := req
		if attempt > 1 {
			try = req.Clone(req.Context())
			if req.GetBody != nil {
				body, err := req.GetBody()
				if err != nil {
					return nil, err
				}
				try.Body = body
			}
		}
		resp, err := t.base.RoundTrip(try)
		if err != nil {
			return nil, err
		}
		t.note(resp)
		wait, why := t.retryAfter(resp, backoff)
		if why == "" || attempt == retryAttempts || wait > maxWait || req.Body != nil && req.GetBody == nil {
			return resp, nil
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		fmt.Fprintf(t.log, "github: %s %s: %s; retrying in %s (attempt %d of %d)\n", req.Method, req.URL.Path, why, wait.Round(time.Second), attempt, retryAttempts)
		if err := t.sleep(req.Context(), wait); err != nil {
			return nil, err
		}
		backoff *= 2
	}
}

// waitForReset waits, before a request, for the primary rate limit an earlier answer
// exhausted.
func (t *retryTransport) waitForReset(req *http.Request) error {
	t.mu.Lock()
	reset := t.exhausted
	t.mu.Unlock()
	if reset.IsZero() || !t.now().Before(reset) {
		return nil
	}
	wait := reset.Sub(t.now()) + time.Second
	if wait > maxWait {
		return &rateLimitedError{reset: reset}
	}
	fmt.Fprintf(t.log, "github: API rate limit exhausted; waiting %s for its reset at %s\n", wait.Round(time.Second), reset.UTC().Format(time.RFC3339))
	if err := t.sleep(req.Context(), wait); err != nil {
		return err
	}
	t.mu.Lock()
	t.exhausted = time.Time{}
	t.mu.Unlock()
	return nil
}

// note remembers an exhausted primary rate limit from any answer's X-RateLimit-* headers.
func (t *retryTransport) note(resp *http.Response) {
	if resp.Header.Get(gh.HeaderRateRemaining) != "0" {
		return
	}
	if reset, err := strconv.ParseInt(resp.Header.Get(gh.HeaderRateReset), 10, 64); err == nil {
		t.mu.Lock()
		t.exhausted = time.Unix(reset, 0)
		t.mu.Unlock()
	}
}

// retryAfter says how long to wait before retrying resp, and why; why is "" when resp is
// final.
func (t *retryTransport) retryAfter(resp *http.Response, backoff time.Duration) (time.Duration, string) {
	status := resp.StatusCode
	if status >= 500 {
		return backoff, resp.Status
	}
	if status != http.StatusForbidden && status != http.StatusTooManyRequests {
		return 0, ""
	}
	// CheckResponse reads the body and puts back a copy of it.
	var primary *gh.RateLimitError
	var secondary *gh.AbuseRateLimitError
	switch err := gh.CheckResponse(resp); {
	case errors.As(err, &primary):
		return primary.Rate.Reset.Sub(t.now()) + time.Second, "API rate limit exhausted until " + primary.Rate.Reset.UTC().Format(time.RFC3339)
	case errors.As(err, &secondary):
		// GitHub's rule: Retry-After if given, else at least a minute (an exhausted
		// X-RateLimit-Remaining makes it the primary case above).
		if wait, ok := retryAfterHeader(resp); ok {
			return wait, "secondary rate limit"
		}
		return secondaryWait, "secondary rate limit"
	}
	if wait, ok := retryAfterHeader(resp); ok {
		return wait, "rate limited (" + resp.Status + ")"
	}
	return 0, ""
}

// retryAfterHeader reads Retry-After in seconds, the form GitHub sends.
func retryAfterHeader(resp *http.Response) (time.Duration, bool) {
	secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	return time.Duration(secs) * time.Second, err == nil && secs >= 0
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
