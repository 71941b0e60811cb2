// Package workflowtest runs the repository's GitHub workflows under act (host mode, the
// pinned actions) against local services only — moto_server, the vCenter simulator, the
// fake GitHub API, git over HTTP, an OIDC token endpoint — and checks what they leave:
// artifacts, publish records, the catalog pull request and the job summaries.
package workflowtest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imagegrid/imagegrid/internal/grid"
	"github.com/imagegrid/imagegrid/internal/localpipeline"
	"github.com/imagegrid/imagegrid/internal/record"
)

// shippedCells loads the shipped grid and splits it into the cells the nightly must build
// (localpipeline.DefaultCells: one vSphere, one AWS) and the others.
func shippedCells(t *testing.T) (build, rest []record.Cell) {
	t.Helper()
	cells, err := grid.Load(filepath.Join(root(t), "matrices"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cells {
		if slices.Contains(localpipeline.DefaultCells, "id="+c.ID) {
			build = append(build, c)
		} else {
			rest = append(rest, c)
		}
	}
	if len(build) != len(localpipeline.DefaultCells) {
		t.Fatalf("the shipped grid has %d of the cells %v", len(build), localpipeline.DefaultCells)
	}
	return build, rest
}

// ledger lists cells as published now: a nightly leaves them alone.
func ledger(t *testing.T, cells []record.Cell) string {
	t.Helper()
	l := record.PublishedImages{APIVersion: record.APIVersion, Kind: record.KindPublishedImages}
	for _, c := range cells {
		l.Images = append(l.Images, record.PublishedImage{
			CellID: c.ID, BuildKey: c.BuildKey, Infra: c.Infra, OS: c.OS, Kubernetes: c.Kubernetes.Semver,
			TKr: c.Kubernetes.TKr, PublishedAt: time.Now().UTC(), Ref: map[string]string{"version": "published-before"},
		})
	}
	data, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestNightly(t *testing.T) {
	act, actions := tools(t)
	build, rest := shippedCells(t)
	s := startServices(t, build)
	repo := snapshot(t, map[string]string{
		".imagegrid-test/images.json":  ledger(t, rest),
		".imagegrid-test/publish.yaml": s.vcenter.PublishConfig(),
	})
	gitIn(t, repo, "init", "-q", "-b", "main")
	gitIn(t, repo, "add", "-A")
	gitIn(t, repo, "commit", "-q", "-m", "snapshot")
	gitIn(t, repo, "remote", "add", "origin", "https://github.com/imagegrid/imagegrid")
	if err := os.MkdirAll(filepath.Join(s.gitRoot, owner), 0o755); err != nil {
		t.Fatal(err)
	}
	gitIn(t, repo, "clone", "-q", "--bare", repo, filepath.Join(s.gitRoot, owner, "imagegrid"))

	res := s.act(t, act, actions, repo, run{
		Workflow: "nightly.yml", Event: "workflow_dispatch",
		Inputs: map[string]string{"mode": "nightly"},
		Vars: map[string]string{
			"IMAGEGRID_LEDGER": ".imagegrid-test/images.json", "IMAGEGRID_PUBLISH_CONFIG": ".imagegrid-test/publish.yaml",
			"IMAGEGRID_CATALOG_REPO": owner + "/" + catalogRepo, "IMAGEGRID_AWS_ROLE": awsRole,
			"IMAGEGRID_VSPHERE_SERVER": s.vcenter.Host, "IMAGEGRID_EXECUTOR": "make",
			"IMAGEGRID_IMAGE_BUILDER_DIR": filepath.Join(root(t), "testdata", "imagebuilder", "images", "capi"),
		},
		Secrets: map[string]string{"GITHUB_TOKEN": token, "VSPHERE_USERNAME": s.vcenter.Username, "VSPHERE_PASSWORD": s.vcenter.Password},
	})
	if res.err != nil {
		t.Fatalf("act: %v\n%s", res.err, res.log)
	}
	t.Logf("%s", res.log)
	pulls := s.github.Pulls()
	if len(pulls) != 1 {
		t.Fatalf("%d pull requests, want 1", len(pulls))
	}
	for _, c := range build {
		if !strings.Contains(pulls[0].Body, c.ID) {
			t.Errorf("the pull request body does not name %s:\n%s", c.ID, pulls[0].Body)
		}
	}
}
