package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/imagebuilder"
	"github.com/imagegrid/imagegrid/internal/record"
)

const azureKey = "3b2c3d4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeeff003"

// azureRecords writes the build record of one Azure cell and a publish config with an azure
// target.
func azureRecords(t *testing.T) (records, config string) {
	t.Helper()
	c := cell("azure", "ubuntu-2204", azureKey)
	c.Publish.Azure = &record.AzureHints{ResourceGroup: "tkg-images", Gallery: "tkg_gallery", Regions: []string{"eastus", "westeurope"}}
	r := buildRecord(c, record.BuildSucceeded)
	r.Artifacts.Azure = []record.AzureArtifact{{Kind: imagebuilder.AzureGalleryImageVersion,
		ID: "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/tkg-images/providers/Microsoft.Compute/galleries/tkg_gallery/images/capi-ubuntu-2204/versions/0.3.1732000000"}}
	records = t.TempDir()
	if err := record.WriteFile(filepath.Join(records, c.ID, "build-record.json"), r); err != nil {
		t.Fatal(err)
	}
	config = filepath.Join(t.TempDir(), "publish.yaml")
	if err := os.WriteFile(config, []byte("apiVersion: imagegrid.io/v1alpha1\nkind: PublishConfig\nazure:\n  waitTimeout: 1m\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"} {
		t.Setenv(k, "")
	}
	return records, config
}

func TestRunAzure(t *testing.T) {
	records, config := azureRecords(t)
	var stdout, stderr bytes.Buffer
	out := filepath.Join(t.TempDir(), "published")
	if err := run(context.Background(), []string{"--records", records, "--out", out, "--config", config, "--dry-run"}, &stdout, &stderr); err != nil {
		t.Fatalf("dry run: %v\n%s", err, stdout.String())
	}
	if !strings.Contains(stdout.String(), "galleries/tkg_gallery/images/capi-ubuntu-2204/versions/0.3.1732000000 (unless a version of capi-ubuntu-2204 carries build key 3b2c3d4e5f60) to eastus, westeurope") {
		t.Errorf("the dry run's plan:\n%s", stdout.String())
	}
	stdout.Reset()
	err := run(context.Background(), []string{"--records", records, "--out", out, "--config", config}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "azure credentials: AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET (or, in GitHub Actions, permissions: id-token: write for OIDC) not set") {
		t.Fatalf("without credentials: %v", err)
	}
}
