package moto

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"sync"
	"testing"
	"time"
)

// Fault is what the proxy answers instead of forwarding a call.
type Fault int

const (
	// Throttle answers HTTP 503 with the EC2 error code RequestLimitExceeded.
	Throttle Fault = iota + 1
	// Unavailable answers a bare HTTP 503 Service Unavailable.
	Unavailable
)

// Proxy sits between AWS clients and a moto server. It injects faults into chosen EC2
// actions, delays them, and counts the calls per action.
type Proxy struct {
	// URL is the endpoint to give AWS clients.
	URL string

	mu      sync.Mutex
	faults  map[string][]Fault
	delays  map[string]time.Duration
	latency time.Duration
	calls   map[string]int
	faulted map[string]int
	flying  map[string]int
	peak    map[string]int
	rewrite map[string][2]string

	// hold is how long a copied AMI stays pending, holdUntil how many copies must have
	// started before they are available; copied the times of the copies.
	hold      time.Duration
	holdUntil int
	copied    map[string]time.Time
	// limit is how many calls may be in flight at once before the next is throttled
	// (0: no limit); inFlight counts them, throttled the calls refused.
	limit, inFlight, throttled int
	// gather holds the first calls of an action until that many have arrived (or gatherFor
	// has passed); joined counts those that have.
	gather, joined map[string]int
	gatherFor      time.Duration
}

// NewProxy starts a proxy in front of server; it stops when the test ends.
func NewProxy(tb testing.TB, server *Server) *Proxy {
	tb.Helper()
	target, err := url.Parse(server.URL)
	if err != nil {
		tb.Fatal(err)
	}
	p := &Proxy{gather: map[string]int{}, joined: map[string]int{}, faults: map[string][]Fault{}, delays: map[string]time.Duration{}, calls: map[string]int{}, faulted: map[string]int{}, flying: map[string]int{}, peak: map[string]int{}, rewrite: map[string][2]string{}, copied: map[string]time.Time{}}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ModifyResponse = p.modify
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		action := actionOf(body)
		r.Header.Set(actionHeader, action)
		fault, delay := p.next(action)
		defer p.landed(action)
		if fault == 0 {
			p.waitForCompany(action)
		}
		time.Sleep(delay)
		switch fault {
		case Throttle:
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>injected</RequestID></Response>`)
		case Unavailable:
			http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
		default:
			rp.ServeHTTP(w, r)
		}
	}))
	tb.Cleanup(ts.Close)
	p.URL = ts.URL
	return p
}

// actionHeader carries the EC2 action of a forwarded request to ModifyResponse.
const actionHeader = "X-Imagegrid-Test-Action"

func (p *Proxy) modify(resp *http.Response) error {
	action := resp.Request.Header.Get(actionHeader)
	p.mu.Lock()
	rw, ok := p.rewrite[action]
	holding := (p.hold > 0 || p.holdUntil > 0) && (action == "CopyImage" || action == "DescribeImages")
	p.mu.Unlock()
	if !ok && !holding {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if ok {
		body = bytes.ReplaceAll(body, []byte(rw[0]), []byte(rw[1]))
	}
	if holding {
		body = p.holdCopies(action, body)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", fmt.Sprint(len(body)))
	return nil
}

// Rewrite replaces from with to in every answer to action, until Rewrite is called with
// from == "" (e.g. to keep AMIs pending: "<imageState>available<", "<imageState>pending<").
func (p *Proxy) Rewrite(action, from, to string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if from == "" {
		delete(p.rewrite, action)
		return
	}
	p.rewrite[action] = [2]string{from, to}
}

// HoldCopies makes every AMI copied from now on answer pending for d, then available, as
// CopyImage does in AWS (a copy takes minutes; moto's is available at once). 0 stops it.
func (p *Proxy) HoldCopies(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hold = d
}

// HoldCopiesUntil makes every AMI copied from now on answer pending until n copies have
// started, then available: a publisher that holds its only slot while it waits for a copy
// never starts the next, and its copy stays pending. 0 stops it.
func (p *Proxy) HoldCopiesUntil(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.holdUntil = n
}

// imageIDRE finds AMI ids in answers: the copy a CopyImage answer starts; in a DescribeImages
// answer the start of each image, whose state follows it (the EC2 Image shape's member
// order, which moto serialises) before the next image's id.
var imageIDRE = regexp.MustCompile(`<imageId>(ami-[0-9a-f]+)</imageId>`)

// holdCopies notes the copies a CopyImage answer starts, and reports the copies of a
// DescribeImages answer pending until their time is up or enough copies have started.
func (p *Proxy) holdCopies(action string, body []byte) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	ids := imageIDRE.FindAllSubmatchIndex(body, -1)
	if action == "CopyImage" {
		for _, m := range ids {
			if id := string(body[m[2]:m[3]]); p.copied[id].IsZero() { // a retried copy keeps its start
				p.copied[id] = time.Now()
			}
		}
		return body
	}
	var out []byte
	last := 0
	for i, m := range ids {
		end := len(body)
		if i+1 < len(ids) {
			end = ids[i+1][0]
		}
		item := body[m[0]:end]
		if at, ok := p.copied[string(body[m[2]:m[3]])]; ok && (time.Since(at) < p.hold || len(p.copied) < p.holdUntil) {
			item = bytes.Replace(item, []byte("<imageState>available<"), []byte("<imageState>pending<"), 1)
		}
		out = append(append(out, body[last:m[0]]...), item...)
		last = end
	}
	return append(out, body[last:]...)
}

// ThrottleAbove answers RequestLimitExceeded to any call that arrives while n calls are in
// flight, as EC2 throttles an account that calls too fast. 0 lifts the limit.
func (p *Proxy) ThrottleAbove(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.limit = n
}

// Throttled says how many calls ThrottleAbove refused.
func (p *Proxy) Throttled() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.throttled
}

var actionRE = regexp.MustCompile(`(?:^|&)Action=([A-Za-z]+)`)

func actionOf(body []byte) string {
	if m := actionRE.FindSubmatch(body); m != nil {
		return string(m[1])
	}
	return ""
}

func (p *Proxy) next(action string) (Fault, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls[action]++
	p.flying[action]++
	p.peak[action] = max(p.peak[action], p.flying[action])
	var f Fault
	if q := p.faults[action]; len(q) > 0 {
		f, p.faults[action] = q[0], q[1:]
		p.faulted[action]++
	}
	if f == 0 && p.limit > 0 && p.inFlight >= p.limit {
		f = Throttle
		p.throttled++
	}
	p.inFlight++
	return f, p.latency + p.delays[action]
}

func (p *Proxy) landed(action string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.flying[action]--
	p.inFlight--
}

// Peak says how many calls of action were in flight at once, at most.
func (p *Proxy) Peak(action string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.peak[action]
}

// Inject makes the next n calls of action (e.g. "CopyImage") fail with fault.
func (p *Proxy) Inject(action string, fault Fault, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for range n {
		p.faults[action] = append(p.faults[action], fault)
	}
}

// Gather holds the first n calls of action that are not faulted until all n have arrived
// (or d has passed), then lets them through together and every later call at once: calls a
// client makes concurrently overlap by construction, whatever the machine's load, and a
// client that makes fewer at once waits d.
func (p *Proxy) Gather(action string, n int, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gather[action], p.joined[action], p.gatherFor = n, 0, d
}

// waitForCompany holds a call of action, one of Gather's first n, until all n have arrived.
func (p *Proxy) waitForCompany(action string) {
	p.mu.Lock()
	n := p.gather[action]
	if p.joined[action] >= n {
		p.mu.Unlock()
		return
	}
	p.joined[action]++
	deadline := time.Now().Add(p.gatherFor)
	p.mu.Unlock()
	for time.Now().Before(deadline) {
		p.mu.Lock()
		all := p.joined[action] >= n
		p.mu.Unlock()
		if all {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// Delay holds every call of action for d before answering.
func (p *Proxy) Delay(action string, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delays[action] = d
}

// Latency holds every call for d before answering (on top of any Delay).
func (p *Proxy) Latency(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.latency = d
}

// Calls says how many calls of action reached the proxy, faulted ones included.
func (p *Proxy) Calls(action string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[action]
}

// Faulted says how many calls of action got an injected fault.
func (p *Proxy) Faulted(action string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.faulted[action]
}

// ResetCalls forgets the counted calls and peaks.
func (p *Proxy) ResetCalls() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = map[string]int{}
	p.faulted = map[string]int{}
	p.peak = map[string]int{}
}
