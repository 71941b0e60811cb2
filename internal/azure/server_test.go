package azure

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/imagegrid/imagegrid/internal/publishconfig"
	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/syncbuf"
	"github.com/imagegrid/imagegrid/internal/testutil/fakegallery"
)

// TestPublishOverHTTPS publishes as the publish command does in another process than the
// fake's: the cloud of the config's endpoint and authority host, a client secret signed in at
// the fake's token endpoint, every call over HTTPS through the fake's routes.
func TestPublishOverHTTPS(t *testing.T) {
	g := newGallery()
	srv, err := fakegallery.Serve(g, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	pem, err := os.ReadFile(srv.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	trusting := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}

	cfg := &publishconfig.Azure{Parallel: 1, WaitTimeout: time.Minute, PollInterval: 10 * time.Millisecond, Endpoint: srv.URL, AuthorityHost: srv.URL + "/"}
	client, credOpts := Cloud(cfg)
	client.Transport, credOpts.Transport = trusting, trusting
	env := map[string]string{"AZURE_TENANT_ID": tenant, "AZURE_CLIENT_ID": "app", "AZURE_CLIENT_SECRET": "s3cret"}
	cred, _, err := Credential(func(k string) string { return env[k] }, func(string) {}, credOpts)
	if err != nil {
		t.Fatal(err)
	}
	var log syncbuf.Buffer
	pr, err := New(cfg, cred, Options{Log: &log, Client: client}).Publish(context.Background(), azureRecord(twoRegions), "")
	if err != nil {
		t.Fatalf("Publish: %v\n%s", err, log.String())
	}
	if got := statuses(pr); got["eastus"] != record.PublishSucceeded || got["westeurope"] != record.PublishSucceeded {
		t.Errorf("placements %v; want both published", got)
	}
	checkConverged(t, g)
	if s := g.Sharing("tkg-images", "tkg_gallery"); len(s.Subscriptions) != 1 {
		t.Errorf("sharing %+v; want the subscription", s)
	}
}
