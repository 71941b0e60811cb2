package localpipeline

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/imagegrid/imagegrid/internal/imagebuilder"
	"github.com/imagegrid/imagegrid/internal/record"
)

// Test identity of the fake gallery: it grants a token to any client.
const (
	azureSubscription = "00000000-0000-0000-0000-00000000c0de"
	azureTenant       = "00000000-0000-0000-0000-00000000a11d"
	azureClient       = "00000000-0000-0000-0000-0000000000b1"
	azureSecret       = "not-a-secret"
)

// gallery is the local run's Azure: fakegalleryd (internal/testutil/fakegallery), a fake
// Compute Gallery on armcompute's fake servers served over HTTPS, its certificate trusted by
// the publish command through SSL_CERT_FILE.
type gallery struct {
	// URL and CertFile are what fakegalleryd printed (fakegallery.Address).
	URL      string `json:"url"`
	CertFile string `json:"certFile"`
	cmd      *exec.Cmd
	stdin    io.Closer
	client   *http.Client
}

// startGallery runs fakegalleryd (built by compile) until close.
func startGallery(ctx context.Context, bin, dir string) (*gallery, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "fakegalleryd"), "-dir", dir)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("fakegalleryd: %w", err)
	}
	g := &gallery{cmd: cmd, stdin: stdin}
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err == nil {
		err = json.Unmarshal(line, g)
	}
	if err != nil {
		g.close()
		return nil, fmt.Errorf("fakegalleryd: its address: %w", err)
	}
	pem, err := os.ReadFile(g.CertFile)
	if err != nil {
		g.close()
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	g.client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	return g, nil
}

// close stops fakegalleryd: it serves until its input closes.
func (g *gallery) close() {
	g.stdin.Close()
	g.cmd.Wait()
}

// env is the Azure identity of the build and publish commands: a client secret (build's
// credentials need one, imagebuilder.CredentialsFor), for the fake's token endpoint.
func (g *gallery) env() []string {
	return []string{"AZURE_SUBSCRIPTION_ID=" + azureSubscription, "AZURE_TENANT_ID=" + azureTenant,
		"AZURE_CLIENT_ID=" + azureClient, "AZURE_CLIENT_SECRET=" + azureSecret, "SSL_CERT_FILE=" + g.CertFile}
}

// seed adds to the fake gallery the version each Azure build made: what the stand-in's
// packer-plugin-azure artifact printed and build recorded, replicated to the region it was
// built in (the first of the cell's regions, upstream's AZURE_LOCATION).
func (g *gallery) seed(ctx context.Context, buildDir string, cells []record.Cell) error {
	for _, c := range cells {
		if c.Infra != record.InfraAzure {
			continue
		}
		rec, err := record.ReadFile[record.BuildRecord](filepath.Join(buildDir, c.ID, "build-record.json"), record.KindBuildRecord)
		if err != nil {
			return err
		}
		if c.Publish.Azure == nil || len(c.Publish.Azure.Regions) == 0 {
			return fmt.Errorf("cell %s names no Azure region", c.ID)
		}
		for _, a := range rec.Artifacts.Azure {
			if a.Kind == imagebuilder.AzureGalleryImageVersion {
				if err := g.add(ctx, a.ID, c.Publish.Azure.Regions[0], c.Kubernetes.Semver); err != nil {
					return fmt.Errorf("cell %s: %w", c.ID, err)
				}
			}
		}
	}
	return nil
}

// add posts a version to fakegalleryd (fakegallery.AddPath, a fakegallery.NewVersion).
func (g *gallery) add(ctx context.Context, id, location, kubernetes string) error {
	body, err := json.Marshal(map[string]any{"id": id, "location": location, "tags": map[string]string{"kubernetes_version": kubernetes}})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.URL+"/fakegallery/versions", bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := g.client.Do(req)
	if err != nil {
		return fmt.Errorf("add %s to the fake gallery: %w", id, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		msg, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("add %s to the fake gallery: %s: %s", id, resp.Status, msg)
	}
	return nil
}

// publishConfig is the azure section of the run's publish configuration.
func (g *gallery) publishConfig() string {
	return fmt.Sprintf(`azure:
  endpoint: %s
  authorityHost: %s/
  pollInterval: 200ms
  waitTimeout: 1m
`, g.URL, g.URL)
}
