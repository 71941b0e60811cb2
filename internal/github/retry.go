package github

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Retry policy.
const (
	retryAttempts = 6
	firstBackoff  = time.Second
	// maxWait caps a single wait; a longer Retry-After is not waited for.
	maxWait = 5 * time.Minute
)

// retryTransport retries requests GitHub asks to retry: 5xx answers (with exponential
// backoff) and secondary rate limits (403 or 429 with Retry-After, or the "secondary rate
// limit" message), waiting as long as Retry-After or X-RateLimit-Reset says.
type retryTransport struct {
	base  http.RoundTripper
	log   io.Writer
	sleep func(context.Context, time.Duration) error
	now   func() time.Time
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
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
		wait, why := t.retryAfter(resp, backoff)
		if why == "" || attempt == retryAttempts || wait > maxWait || req.Body != nil && req.GetBody == nil {
			return resp, nil
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		fmt.Fprintf(t.log, "github: %s %s: %s; retrying in %s (attempt %d of %d)\n", req.Method, req.URL.Path, why, wait, attempt, retryAttempts)
		if err := t.sleep(req.Context(), wait); err != nil {
			return nil, err
		}
		backoff *= 2
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
	if s := resp.Header.Get("Retry-After"); s != "" {
		if secs, err := strconv.Atoi(s); err == nil {
			return time.Duration(secs) * time.Second, "rate limited (" + resp.Status + ")"
		}
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if strings.Contains(strings.ToLower(string(body)), "secondary rate limit") {
		return time.Minute, "secondary rate limit"
	}
	if resp.Header.Get("X-RateLimit-Remaining") == "0" {
		if reset, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			now := time.Now
			if t.now != nil {
				now = t.now
			}
			return time.Unix(reset, 0).Sub(now()) + time.Second, "rate limit exhausted"
		}
	}
	return 0, ""
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
