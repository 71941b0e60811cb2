package azure

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/imagegrid/imagegrid/internal/ghoidc"
)

const tenant = "72f988bf-0000-0000-0000-000000000047"

// entraID is a Microsoft Entra ID token endpoint (and its OpenID metadata, which MSAL reads
// first) that records the forms it was posted.
type entraID struct {
	*httptest.Server
	mu    sync.Mutex
	forms []map[string]string
}

func startEntraID(t *testing.T) *entraID {
	e := &entraID{}
	e.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		base := e.URL + "/" + tenant
		switch {
		case strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration"):
			json.NewEncoder(w).Encode(map[string]string{"token_endpoint": base + "/oauth2/v2.0/token",
				"authorization_endpoint": base + "/oauth2/v2.0/authorize", "issuer": base + "/v2.0"})
		case r.URL.Path == "/"+tenant+"/oauth2/v2.0/token" && r.Method == http.MethodPost:
			r.ParseForm()
			form := map[string]string{}
			for k := range r.PostForm {
				form[k] = r.PostForm.Get(k)
			}
			e.mu.Lock()
			e.forms = append(e.forms, form)
			e.mu.Unlock()
			json.NewEncoder(w).Encode(map[string]any{"token_type": "Bearer", "expires_in": 3600, "access_token": "arm-access-token"})
		default:
			http.Error(w, "unexpected "+r.Method+" "+r.URL.String(), http.StatusNotFound)
		}
	}))
	t.Cleanup(e.Close)
	return e
}

// startGitHubOIDC serves the job's ID token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL) and
// records the audiences asked for.
func startGitHubOIDC(t *testing.T, audiences *[]string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer request-token" {
			http.Error(w, "bad request token", http.StatusUnauthorized)
			return
		}
		*audiences = append(*audiences, r.URL.Query().Get("audience"))
		json.NewEncoder(w).Encode(map[string]string{"value": "github-id-token"})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestCredential(t *testing.T) {
	var audiences []string
	gh := startGitHubOIDC(t, &audiences)
	tests := []struct {
		name       string
		env        map[string]string
		method     string
		assertion  string // the form field the token request must carry, and its value
		value      string
		masked     []string
		errMessage string
	}{{
		name: "GitHub OIDC",
		env: map[string]string{"AZURE_TENANT_ID": tenant, "AZURE_CLIENT_ID": "app", "AZURE_CLIENT_SECRET": "",
			"ACTIONS_ID_TOKEN_REQUEST_URL": gh.URL + "/token?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token"},
		method: MethodOIDC, assertion: "client_assertion", value: "github-id-token",
		masked: []string{"request-token", "github-id-token"},
	}, {
		name:   "client secret without an ID token to request",
		env:    map[string]string{"AZURE_TENANT_ID": tenant, "AZURE_CLIENT_ID": "app", "AZURE_CLIENT_SECRET": "s3cret"},
		method: MethodSecret, assertion: "client_secret", value: "s3cret",
		masked: []string{"s3cret"},
	}, {
		name:       "neither",
		env:        map[string]string{"AZURE_TENANT_ID": tenant},
		errMessage: "AZURE_CLIENT_ID, AZURE_CLIENT_SECRET (or, in GitHub Actions, permissions: id-token: write for OIDC) not set",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entra := startEntraID(t)
			var masked []string
			opts := CredentialOptions{ClientOptions: azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: entra.URL + "/"}, Transport: entra.Client()},
				DisableInstanceDiscovery: true}
			cred, method, err := Credential(func(k string) string { return tt.env[k] }, func(s string) { masked = append(masked, s) }, opts)
			if tt.errMessage != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errMessage) {
					t.Fatalf("error %v; want %q", err, tt.errMessage)
				}
				return
			}
			if err != nil || method != tt.method {
				t.Fatalf("Credential: %q, %v; want %q", method, err, tt.method)
			}
			tok, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}})
			if err != nil || tok.Token != "arm-access-token" {
				t.Fatalf("GetToken: %q, %v", tok.Token, err)
			}
			if len(entra.forms) != 1 || entra.forms[0][tt.assertion] != tt.value || entra.forms[0]["client_id"] != "app" {
				t.Errorf("token requests %v; want one with client_id app and %s %s", entra.forms, tt.assertion, tt.value)
			}
			for _, s := range tt.masked {
				if !slices.Contains(masked, s) {
					t.Errorf("%q was not masked (masked: %q)", s, masked)
				}
			}
		})
	}
	if !slices.Equal(audiences, []string{ghoidc.AzureAudience}) {
		t.Errorf("GitHub was asked for ID tokens of audiences %q; want one of %q", audiences, ghoidc.AzureAudience)
	}
}
