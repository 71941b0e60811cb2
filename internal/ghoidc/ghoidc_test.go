package ghoidc

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

func TestToken(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Header.Get("Authorization") != "Bearer request-token":
			http.Error(w, `{"message":"bad token"}`, http.StatusUnauthorized)
		case r.URL.Query().Get("audience") != AzureAudience:
			http.Error(w, `{"message":"audience"}`, http.StatusBadRequest)
		default:
			w.Write([]byte(`{"value": "id-token"}`))
		}
	}))
	defer srv.Close()
	tests := []struct {
		name, requestToken, want, err string
	}{
		{"granted", "request-token", "id-token", ""},
		{"refused", "other", "", "GitHub OIDC token for api://AzureADTokenExchange"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": srv.URL + "/?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": tt.requestToken}
			if !Available(func(k string) string { return env[k] }) {
				t.Fatal("Available: false with both variables set")
			}
			var masked []string
			got, err := Token(context.Background(), func(k string) string { return env[k] }, AzureAudience, func(s string) { masked = append(masked, s) })
			if got != tt.want || (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("Token = %q, %v; want %q, error %q", got, err, tt.want, tt.err)
			}
			if !slices.Contains(masked, tt.requestToken) || (tt.want != "" && !slices.Contains(masked, tt.want)) {
				t.Errorf("masked %q; want the request token and the ID token", masked)
			}
		})
	}
	if Available(func(k string) string { return map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": srv.URL}[k] }) {
		t.Error("Available: true without a request token (a job without id-token: write)")
	}
}
