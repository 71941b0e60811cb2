package localpipeline

import (
	"fmt"
	"path/filepath"

	"github.com/imagegrid/imagegrid/internal/imagebuilder"
	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/testutil/fakegallery"
)

// Test identity of the fake gallery: it grants a token to any client.
const (
	azureSubscription = "00000000-0000-0000-0000-00000000c0de"
	azureTenant       = "00000000-0000-0000-0000-00000000a11d"
	azureClient       = "00000000-0000-0000-0000-0000000000b1"
	azureSecret       = "not-a-secret"
)

// gallery is the local run's Azure: the fake Compute Gallery served over HTTPS, its
// certificate trusted by the publish command through SSL_CERT_FILE.
type gallery struct {
	fake *fakegallery.Gallery
	srv  *fakegallery.Server
}

func startGallery(dir string) (*gallery, error) {
	g := fakegallery.New()
	srv, err := fakegallery.Serve(g, dir)
	if err != nil {
		return nil, fmt.Errorf("fake gallery: %w", err)
	}
	return &gallery{fake: g, srv: srv}, nil
}

func (g *gallery) close() { g.srv.Close() }

// env is the Azure identity of the build and publish commands: a client secret (build's
// credentials need one, imagebuilder.CredentialsFor), for the fake's token endpoint.
func (g *gallery) env() []string {
	return []string{"AZURE_SUBSCRIPTION_ID=" + azureSubscription, "AZURE_TENANT_ID=" + azureTenant,
		"AZURE_CLIENT_ID=" + azureClient, "AZURE_CLIENT_SECRET=" + azureSecret, "SSL_CERT_FILE=" + g.srv.CertFile}
}

// seed puts in the fake gallery the version each Azure build made: what the stand-in's
// packer-plugin-azure artifact printed and build recorded, replicated to the region it was
// built in (the first of the cell's regions, upstream's AZURE_LOCATION).
func (g *gallery) seed(buildDir string, cells []record.Cell) error {
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
				g.fake.AddVersion(a.ID, c.Publish.Azure.Regions[0], map[string]string{"kubernetes_version": c.Kubernetes.Semver})
			}
		}
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
`, g.srv.URL, g.srv.URL)
}
