package githubcontract

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func exchange(method, path, reqBody string, status int, contentType, body string) Exchange {
	req := httptest.NewRequest(method, "http://127.0.0.1:1"+path, strings.NewReader(reqBody))
	req.Header.Set("Content-Type", "application/json")
	h := http.Header{}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	return Exchange{Request: req, RequestBody: []byte(reqBody), Status: status, Header: h, Body: []byte(body)}
}

const refBody = `{"ref":"refs/heads/main","node_id":"REF_1","url":"https://api.github.com/repos/o/r/git/refs/heads/main",` +
	`"object":{"type":"commit","sha":"0123456789012345678901234567890123456789","url":"https://api.github.com/repos/o/r/git/commits/0123456789012345678901234567890123456789"}}`

func TestCheck(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(c.Source, "@octokit/openapi@23.0.2") {
		t.Errorf("the description does not name its package version: %q", c.Source)
	}
	if len(c.Operations) != 14 {
		t.Errorf("%d operations, want the 14 the client calls: %v", len(c.Operations), c.Operations)
	}
	const json = "application/json; charset=utf-8"
	for _, tc := range []struct {
		name string
		x    Exchange
		want string // "" for valid
	}{
		{"a ref, multi-segment", exchange("GET", "/repos/o/r/git/ref/heads/imagegrid/catalog-tkg", "", 200, json, refBody), ""},
		{"a ref without node_id", exchange("GET", "/repos/o/r/git/ref/heads/main", "", 200, json, strings.Replace(refBody, `"node_id":"REF_1",`, "", 1)), `"node_id" is missing`},
		{"an unknown path", exchange("GET", "/repos/o/r/git/tags/x", "", 200, json, "{}"), "no such operation"},
		{"a create-ref without sha", exchange("POST", "/repos/o/r/git/refs", `{"ref":"refs/heads/x"}`, 201, json, refBody), "request"},
		{"labels as a bare array", exchange("POST", "/repos/o/r/issues/1/labels", `["a"]`, 200, json, "[]"), "request"},
		{"labels as an object", exchange("POST", "/repos/o/r/issues/1/labels", `{"labels":["a"]}`, 200, json, "[]"), ""},
		{"a documented 422", exchange("PATCH", "/repos/o/r/git/refs/heads/x", `{"sha":"0123456789012345678901234567890123456789"}`, 422, json,
			`{"message":"Update is not a fast forward","documentation_url":"https://docs.github.com/rest/git/refs#update-a-reference"}`), ""},
		{"a 422 without documentation_url", exchange("PATCH", "/repos/o/r/git/refs/heads/x", `{"sha":"0123456789012345678901234567890123456789"}`, 422, json,
			`{"message":"Update is not a fast forward"}`), `"documentation_url" is missing`},
		{"an allow-listed 502", exchange("GET", "/repos/o/r/git/ref/heads/main", "", 502, json, `{"message":"Server Error","documentation_url":"https://docs.github.com/rest"}`), ""},
		{"an allow-listed 403 as text", exchange("GET", "/repos/o/r/git/ref/heads/main", "", 403, "text/plain", "no"), "want application/json"},
		{"a status GitHub never sends", exchange("GET", "/repos/o/r/git/ref/heads/main", "", 418, json, `{"message":"teapot","documentation_url":"x"}`), "does not answer 418"},
		{"a raw blob", withAccept(exchange("GET", "/repos/o/r/git/blobs/abc", "", 200, RawMediaType, "raw bytes"), "application/vnd.github.v3.raw"), ""},
		{"a raw blob as text/plain", withAccept(exchange("GET", "/repos/o/r/git/blobs/abc", "", 200, "text/plain; charset=utf-8", "raw"), "application/vnd.github.v3.raw"), "want " + RawMediaType},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := c.Check(context.Background(), tc.x)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("valid exchange refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func withAccept(x Exchange, accept string) Exchange {
	x.Request.Header.Set("Accept", accept)
	return x
}

func TestUndocumentedStatusesHaveReasons(t *testing.T) {
	for status, why := range Undocumented {
		if len(why) < 20 {
			t.Errorf("status %d: %q is no reason", status, why)
		}
	}
}

// BenchmarkLoad measures parsing and routing the description (done once per test binary).
func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		doc, err := loadDescription()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := newChecker(doc); err != nil {
			b.Fatal(err)
		}
	}
}
