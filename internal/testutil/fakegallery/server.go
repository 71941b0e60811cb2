package fakegallery

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// Server serves a Gallery over HTTPS on 127.0.0.1, for a process that is not the one holding
// it (the publish command in the local pipeline): Azure Resource Manager's routes of the
// calls the publisher makes, a Microsoft Entra ID token endpoint that grants any client a
// token, and AddPath, where a version is added as a build leaves it. The routes hand each
// request to the SDK's fake servers under the name of the client method that sends it, as
// the clients do in process.
type Server struct {
	Address
	srv *httptest.Server
}

// Address is where a Server listens and what to trust.
type Address struct {
	// URL is both the Resource Manager endpoint and the authority host.
	URL string `json:"url"`
	// CertFile holds the server's certificate (PEM), for SSL_CERT_FILE.
	CertFile string `json:"certFile"`
}

// AddPath takes a POST of a NewVersion: Gallery.AddVersion over HTTP.
const AddPath = "/fakegallery/versions"

// NewVersion is a version to add, as Gallery.AddVersion takes it.
type NewVersion struct {
	ID       string            `json:"id"`
	Location string            `json:"location"`
	Tags     map[string]string `json:"tags,omitempty"`
}

// routes name the client method of each request the publisher sends, by method and path
// under /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Compute/galleries/{g}
// (armcompute v8.4.0's request paths). A poll of a long-running operation is a GET of the
// operation's path with the fake pollers' suffix, under the name of the method that began it.
var routes = []struct {
	method string
	path   *regexp.Regexp
	api    string
}{
	{http.MethodGet, regexp.MustCompile(`(?i)/galleries/[^/]+$`), "GalleriesClient.Get"},
	{http.MethodGet, regexp.MustCompile(`(?i)/galleries/[^/]+/images/[^/]+/versions$`), "GalleryImageVersionsClient.NewListByGalleryImagePager"},
	{http.MethodGet, regexp.MustCompile(`(?i)/galleries/[^/]+/images/[^/]+/versions/[^/]+$`), "GalleryImageVersionsClient.Get"},
	{http.MethodPatch, regexp.MustCompile(`(?i)/galleries/[^/]+/images/[^/]+/versions/[^/]+$`), "GalleryImageVersionsClient.BeginUpdate"},
	{http.MethodGet, regexp.MustCompile(`(?i)/galleries/[^/]+/images/[^/]+/versions/[^/]+` + pollSuffix + `$`), "GalleryImageVersionsClient.BeginUpdate"},
	{http.MethodPost, regexp.MustCompile(`(?i)/galleries/[^/]+/share$`), "GallerySharingProfileClient.BeginUpdate"},
	{http.MethodGet, regexp.MustCompile(`(?i)/galleries/[^/]+/share` + pollSuffix + `$`), "GallerySharingProfileClient.BeginUpdate"},
}

// Serve starts serving g; dir receives the certificate file. Close stops it.
func Serve(g *Gallery, dir string) (*Server, error) {
	transport := g.Transport()
	s := &Server{}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration"):
			tenant := strings.Split(strings.Trim(r.URL.Path, "/"), "/")[0]
			base := s.URL + "/" + tenant
			writeJSON(w, map[string]string{"token_endpoint": base + "/oauth2/v2.0/token",
				"authorization_endpoint": base + "/oauth2/v2.0/authorize", "issuer": base + "/v2.0"})
		case strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") && r.Method == http.MethodPost:
			writeJSON(w, map[string]any{"token_type": "Bearer", "expires_in": 3600, "access_token": "fake-gallery-token"})
		case r.URL.Path == AddPath && r.Method == http.MethodPost:
			var v NewVersion
			if err := json.NewDecoder(r.Body).Decode(&v); err != nil || v.ID == "" || v.Location == "" {
				http.Error(w, "want a JSON {id, location, tags}", http.StatusBadRequest)
				return
			}
			g.AddVersion(v.ID, v.Location, v.Tags)
			w.WriteHeader(http.StatusNoContent)
		case strings.HasPrefix(strings.ToLower(r.URL.Path), "/subscriptions/"):
			s.arm(w, r, transport)
		default:
			http.Error(w, "the fake gallery does not serve "+r.Method+" "+r.URL.Path, http.StatusNotFound)
		}
	}))
	s.srv.StartTLS()
	s.URL = s.srv.URL
	s.CertFile = filepath.Join(dir, "fake-gallery.pem")
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw})
	if err := os.WriteFile(s.CertFile, cert, 0o644); err != nil {
		s.srv.Close()
		return nil, err
	}
	return s, nil
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// arm hands an ARM request to the SDK's fake servers under its client method's name.
func (s *Server) arm(w http.ResponseWriter, r *http.Request, transport policy.Transporter) {
	api := ""
	for _, rt := range routes {
		if r.Method == rt.method && rt.path.MatchString(r.URL.Path) {
			api = rt.api
			break
		}
	}
	if api == "" {
		http.Error(w, "the fake gallery does not serve "+r.Method+" "+r.URL.Path, http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req := r.Clone(context.WithValue(r.Context(), runtime.CtxAPINameKey{}, api))
	req.URL.Scheme, req.URL.Host = "https", r.Host
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	resp, err := transport.Do(req)
	if err != nil {
		writeError(w, err)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

// writeError answers an error of the fake servers as Azure would: its *azcore.ResponseError's
// answer when it has one, else a 500 with the message.
func writeError(w http.ResponseWriter, err error) {
	status, code := http.StatusInternalServerError, "InternalServerError"
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		status, code = re.StatusCode, re.ErrorCode
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("x-ms-error-code", code)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": err.Error()}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
