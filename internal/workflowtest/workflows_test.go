// Package workflowtest runs the repository's GitHub workflows under act (host mode, the
// pinned actions) against local services only — moto_server, the vCenter simulator, the
// fake GitHub API, git over HTTP, an OIDC token endpoint — and checks what they leave:
// artifacts, publish records, the catalog pull request and the job summaries.
package workflowtest

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/grid"
	"github.com/imagegrid/imagegrid/internal/record"
)

// testGrid is the shipped grid cut to its v1.30.2 Ubuntu 22.04 cells on vSphere and AWS (the
// catalog in examples/catalog has their TKr), plus awsOS on AWS and vsphereOS on vSphere. The
// cells keep the ids and build keys they have in the shipped grid.
func testGrid(awsOS, vsphereOS []string) string {
	return fmt.Sprintf(`apiVersion: imagegrid.io/v1alpha1
kind: Grid
name: tkg
imageBuilders:
  tkg:
    image: projects.registry.vmware.com/tkg/image-builder:v0.1.14_vmware.2
    flavor: tkg
    targets:
      vsphere: [ubuntu-2004, ubuntu-2204, photon-3, photon-5, rhel-8, windows-2019]
      aws: [ubuntu-2004, ubuntu-2204, amazon-2]
kubernetes:
  - version: v1.30.2+vmware.1
    tkr: v1.30.2+vmware.1-tkg.1
    tkgConfig: tkg-config/v1.30.2+vmware.1-tkg.1
infrastructures:
  vsphere:
    os: [%s]
  aws:
    os: [%s]
settings:
  - match: {infra: vsphere}
    vsphere:
      datacenter: Datacenter
      cluster: Cluster
      folder: /Datacenter/vm/tkg-templates
      datastore: vsanDatastore
      network: VM Network
  - match: {infra: aws}
    aws:
      regions: [us-east-1, us-west-2, eu-central-1]
  - match: {os: [ubuntu-2204, photon-5], infra: [vsphere, aws]}
    varFiles: [customisations/hardening.json]
    roles: [customisations/roles/hardening]
    replacesDefault: true
`, strings.Join(append([]string{"ubuntu-2204"}, vsphereOS...), ", "), strings.Join(append([]string{"ubuntu-2204"}, awsOS...), ", "))
}

// validateCaller calls images.yml in validate mode, as a repository using imagegrid would.
const validateCaller = `name: validate-images
on: workflow_dispatch
permissions: {}
jobs:
  images:
    uses: ./.github/workflows/images.yml
    permissions: {contents: write, pull-requests: write, id-token: write}
    with:
      mode: validate
      catalog-repo: ${{ vars.IMAGEGRID_CATALOG_REPO }}
      publish-config: .imagegrid-test/publish.yaml
      aws-role: ${{ vars.IMAGEGRID_AWS_ROLE }}
      vsphere-server: ${{ vars.IMAGEGRID_VSPHERE_SERVER }}
      executor: make
      image-builder-dir: ${{ vars.IMAGEGRID_IMAGE_BUILDER_DIR }}
      imagegrid-repository: ${{ github.repository }}
      imagegrid-ref: ${{ github.sha }}
    secrets:
      vsphere-username: ${{ secrets.VSPHERE_USERNAME }}
      vsphere-password: ${{ secrets.VSPHERE_PASSWORD }}
`

// emptyLedger is a ledger with nothing published yet.
const emptyLedger = `{"apiVersion": "imagegrid.io/v1alpha1", "kind": "PublishedImages", "images": []}`

// repository is the caller's repository act runs in: a git repository of a snapshot of this
// one, also served over git HTTP as imagegrid/imagegrid for the workflows' own checkouts.
type repository struct {
	dir, bare string
}

func newRepository(t *testing.T, s *services, files map[string]string) *repository {
	t.Helper()
	r := &repository{dir: snapshot(t, files), bare: filepath.Join(s.gitRoot, owner, "imagegrid")}
	gitIn(t, r.dir, "init", "-q", "-b", "main")
	gitIn(t, r.dir, "remote", "add", "origin", "https://github.com/imagegrid/imagegrid")
	r.commit(t, "snapshot", nil)
	return r
}

// commit writes files, commits and publishes the commit to the git HTTP endpoint.
func (r *repository) commit(t *testing.T, message string, files map[string]string) string {
	t.Helper()
	for name, data := range files {
		writeFile(t, filepath.Join(r.dir, name), []byte(data), 0o644)
	}
	gitIn(t, r.dir, "add", "-A")
	gitIn(t, r.dir, "commit", "-q", "--allow-empty", "-m", message)
	if _, err := os.Stat(r.bare); os.IsNotExist(err) {
		gitIn(t, r.dir, "clone", "-q", "--bare", r.dir, r.bare)
	} else {
		gitIn(t, r.dir, "push", "-q", "-f", r.bare, "main")
	}
	return strings.TrimSpace(gitIn(t, r.dir, "rev-parse", "HEAD"))
}

// gridCells expands a grid declaration beside a copy of the shipped customisations and TKG
// configurations.
func gridCells(t *testing.T, decl string) []record.Cell {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "matrices")
	for _, folder := range []string{"customisations", "tkg-config"} {
		if err := os.CopyFS(filepath.Join(dir, folder), os.DirFS(filepath.Join(root(t), "matrices", folder))); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(dir, "tkg.yaml"), []byte(decl), 0o644)
	cells, err := grid.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return cells
}

// nightly is a workflow_dispatch of nightly.yml, with the repository variables pointing at
// the local services.
func (s *services) nightly(mode string) run {
	return run{
		Workflow: "nightly.yml", Event: "workflow_dispatch",
		Inputs: map[string]string{"mode": mode},
		Vars: map[string]string{
			"IMAGEGRID_LEDGER": ".imagegrid-test/images.json", "IMAGEGRID_PUBLISH_CONFIG": ".imagegrid-test/publish.yaml",
			"IMAGEGRID_CATALOG_REPO": owner + "/" + catalogRepo, "IMAGEGRID_AWS_ROLE": awsRole,
			"IMAGEGRID_VSPHERE_SERVER": s.vcenter.Host, "IMAGEGRID_EXECUTOR": "make",
			"IMAGEGRID_IMAGE_BUILDER_DIR": standIn,
		},
		Secrets: map[string]string{"GITHUB_TOKEN": token, "VSPHERE_USERNAME": s.vcenter.Username, "VSPHERE_PASSWORD": s.vcenter.Password},
	}
}

// standIn is the Image Builder stand-in's images/capi, set by TestWorkflows.
var standIn string

// TestWorkflows runs, in order on the same services: a nightly that builds two cells and
// opens the catalog pull request; the same nightly again once the catalog's ledger lists
// them, which builds nothing; a release, which builds them again; images.yml in validate mode; a nightly with a cell that fails;
// the validation of a pull request that changes the grid; and ci.yml's run of the action.
func TestWorkflows(t *testing.T) {
	act, actions := tools(t)
	standIn = filepath.Join(root(t), "testdata", "imagebuilder", "images", "capi")
	files := map[string]string{"matrices/tkg.yaml": testGrid(nil, nil), ".imagegrid-test/images.json": emptyLedger,
		".github/workflows/validate-images.yml": validateCaller}
	cells := gridCells(t, testGrid(nil, nil))
	s := startServices(t, cells)
	files[".imagegrid-test/publish.yaml"] = s.vcenter.PublishConfig()
	repo := newRepository(t, s, files)
	ids := make([]string, len(cells))
	for i, c := range cells {
		ids[i] = c.ID
	}
	slices.Sort(ids)

	var branch string
	t.Run("nightly builds, publishes and opens the catalog pull request", func(t *testing.T) {
		res := s.act(t, act, actions, repo.dir, s.nightly("nightly"))
		if res.err != nil {
			t.Fatalf("act: %v\n%s", res.err, res.log)
		}
		for _, c := range cells {
			art, ok := res.artifacts["build-"+c.ID]
			if !ok {
				t.Fatalf("no artifact build-%s; artifacts: %v\n%s", c.ID, slices.Sorted(maps.Keys(res.artifacts)), res.log)
			}
			rec := buildRecord(t, art, c.ID)
			if rec.Status != record.BuildSucceeded || rec.BuildKey != c.BuildKey {
				t.Errorf("%s: record status %s, key %s", c.ID, rec.Status, rec.BuildKey)
			}
			if _, ok := art[rec.Log]; !ok || rec.Log == "" {
				t.Errorf("artifact build-%s lacks the log %q the record names: %v", c.ID, rec.Log, slices.Sorted(maps.Keys(art)))
			}
			if c.Infra == record.InfraVSphere {
				if rec.Artifacts.OVA == nil {
					t.Fatalf("%s: no OVA in the record", c.ID)
				}
				if ova, ok := art[rec.Artifacts.OVA.Path]; !ok || int64(len(ova)) != rec.Artifacts.OVA.Size {
					t.Errorf("artifact build-%s lacks the OVA %s the record names (%d bytes): %v", c.ID, rec.Artifacts.OVA.Path, len(ova), slices.Sorted(maps.Keys(art)))
				}
			}
		}
		published := res.artifacts["publish-records"]
		for _, c := range cells {
			rec, err := record.Decode[record.PublishRecord](c.ID+".json", []byte(published[c.ID+".json"]), record.KindPublishRecord)
			if err != nil {
				t.Fatalf("publish record of %s: %v (publish-records holds %v)", c.ID, err, slices.Sorted(maps.Keys(published)))
			}
			if rec.Status != record.PublishSucceeded || len(rec.Catalog) == 0 {
				t.Errorf("%s: publish status %s, catalog changes %v", c.ID, rec.Status, rec.Catalog)
			}
		}
		pulls := s.github.Pulls()
		if len(pulls) != 1 {
			t.Fatalf("%d pull requests, want 1", len(pulls))
		}
		branch = pulls[0].Head
		for _, id := range ids {
			if !strings.Contains(pulls[0].Body, id) {
				t.Errorf("the pull request body does not name %s:\n%s", id, pulls[0].Body)
			}
		}
		ledger := s.github.Files(branch)["images.json"]
		for _, c := range cells {
			if !strings.Contains(ledger, c.BuildKey) {
				t.Errorf("the catalog ledger on %s lacks the build key of %s", branch, c.ID)
			}
		}
		summary := jobSummary(t, res, "summary")
		mustContain(t, summary, "## imagegrid: nightly", fmt.Sprintf("%d cells planned; publish: success", len(cells)))
		for _, c := range cells {
			mustContain(t, summary, fmt.Sprintf("| `%s` | `%s` | succeeded |", c.ID, c.BuildKey[:12]), fmt.Sprintf("| `%s` | published |", c.ID))
		}
		mustContain(t, jobSummary(t, res, "publish"), "### Published images")
		if s.oidcCalls == 0 {
			t.Error("no job asked the OIDC endpoint for a token: the AWS role was not assumed")
		}
		// Each leg runs in the build jobs holding what its infrastructure needs, and no other.
		for _, c := range cells {
			want := map[string]string{record.InfraVSphere: "build-vsphere-", record.InfraAWS: "build-oidc-"}[c.Infra]
			if id := jobID(res, c.Name); want == "" || !strings.HasPrefix(id, want) {
				t.Errorf("the leg of %s (%s) ran as job %q, want %s<shard>; jobs: %v", c.ID, c.Infra, id, want, res.jobIDs)
			}
		}
	})

	t.Run("a rerun once the ledger lists every cell builds nothing", func(t *testing.T) {
		if branch == "" {
			t.Fatal("the nightly opened no pull request: there is no ledger to rerun with")
		}
		repo.commit(t, "the catalog pull request merged: its ledger", map[string]string{".imagegrid-test/images.json": s.github.Files(branch)["images.json"]})
		res := s.act(t, act, actions, repo.dir, s.nightly("nightly"))
		if res.err != nil {
			t.Fatalf("act: %v\n%s", res.err, res.log)
		}
		if len(res.artifacts) != 0 {
			t.Errorf("a run with nothing to build left artifacts %v", slices.Sorted(maps.Keys(res.artifacts)))
		}
		mustContain(t, jobSummary(t, res, "summary"), "0 cells planned; publish: skipped")
		if got := len(s.github.Pulls()); got != 1 {
			t.Errorf("%d pull requests after the rerun, want still 1", got)
		}
	})

	t.Run("a release rebuilds every cell and updates the same pull request", func(t *testing.T) {
		res := s.act(t, act, actions, repo.dir, s.nightly("release"))
		if res.err != nil {
			t.Fatalf("act: %v\n%s", res.err, res.log)
		}
		for _, c := range cells {
			if rec := buildRecord(t, res.artifacts["build-"+c.ID], c.ID); rec.Status != record.BuildSucceeded {
				t.Errorf("%s: status %s", c.ID, rec.Status)
			}
		}
		mustContain(t, jobSummary(t, res, "summary"), "## imagegrid: release", fmt.Sprintf("%d cells planned; publish: success", len(cells)))
		pulls := s.github.Pulls()
		if len(pulls) != 1 || pulls[0].Head != branch {
			t.Fatalf("pull requests after the release: %+v, want the one on %s", pulls, branch)
		}
	})

	t.Run("images.yml in validate mode validates every cell and checks the catalog", func(t *testing.T) {
		r := s.nightly("")
		r.Workflow, r.Inputs = "validate-images.yml", nil
		calls, pulls := s.oidcCalls, len(s.github.Pulls())
		res := s.act(t, act, actions, repo.dir, r)
		if res.err != nil {
			t.Fatalf("act: %v\n%s", res.err, res.log)
		}
		for _, c := range cells {
			if rec := buildRecord(t, res.artifacts["build-"+c.ID], c.ID); rec.Status != record.BuildValidated {
				t.Errorf("%s: status %s, want %s", c.ID, rec.Status, record.BuildValidated)
			}
		}
		mustContain(t, res.log, "catalog: every invariant holds")
		summary := jobSummary(t, res, "summary")
		mustContain(t, summary, "## imagegrid: validate", fmt.Sprintf("%d cells planned; publish: success", len(cells)))
		if s.oidcCalls != calls {
			t.Errorf("validate mode asked for %d OIDC tokens; it assumes no role", s.oidcCalls-calls)
		}
		if got := len(s.github.Pulls()); got != pulls {
			t.Errorf("validate mode changed the pull requests: %d, was %d", got, pulls)
		}
		for _, secret := range []string{s.vcenter.Password} {
			if strings.Contains(res.log, secret) {
				t.Error("a vCenter secret reached the log of validate mode")
			}
		}
	})

	t.Run("a failing cell uploads its record and log and is in the summary", func(t *testing.T) {
		repo.commit(t, "amazon-2 on AWS, which the stand-in cannot build", map[string]string{"matrices/tkg.yaml": testGrid([]string{"amazon-2"}, nil)})
		failing := "aws-amazon-2-amd64-v1.30.2---vmware.1"
		res := s.act(t, act, actions, repo.dir, s.nightly("nightly"))
		if res.err == nil {
			t.Fatalf("act succeeded with a failing cell\n%s", res.log)
		}
		art, ok := res.artifacts["failed-"+failing]
		if !ok {
			t.Fatalf("no artifact failed-%s; artifacts %v\n%s", failing, slices.Sorted(maps.Keys(res.artifacts)), res.log)
		}
		rec := buildRecord(t, art, failing)
		if rec.Status != record.BuildFailed || rec.Failure == nil || !strings.Contains(rec.Failure.Reason, "missing make target") {
			t.Errorf("failed record: status %s, failure %+v", rec.Status, rec.Failure)
		}
		if _, ok := art[rec.Log]; !ok {
			t.Errorf("artifact failed-%s lacks the log %q: %v", failing, rec.Log, slices.Sorted(maps.Keys(art)))
		}
		for name := range res.artifacts {
			if strings.HasPrefix(name, "build-") {
				t.Errorf("only the failing cell was to build, yet %s was uploaded", name)
			}
		}
		summary := jobSummary(t, res, "summary")
		mustContain(t, summary, "1 cells planned; publish: failure", fmt.Sprintf("| `%s` | `%s` | failed | ", failing, rec.BuildKey[:12]), "missing make target")
		mustContain(t, res.log, "no cell built successfully: nothing to publish")
	})

	t.Run("validate.yml checks the cells a pull request changes", func(t *testing.T) {
		base := strings.TrimSpace(gitIn(t, repo.dir, "rev-parse", "HEAD"))
		head := repo.commit(t, "photon-5 on vSphere", map[string]string{"matrices/tkg.yaml": testGrid([]string{"amazon-2"}, []string{"photon-5"})})
		event := fmt.Sprintf(`{"number": 7, "pull_request": {"number": 7, "base": {"sha": %q, "ref": "main"}, "head": {"sha": %q, "ref": "photon-5"}}}`, base, head)
		res := s.act(t, act, actions, repo.dir, run{
			Workflow: "validate.yml", Event: "pull_request", EventJSON: event,
			Vars:    map[string]string{"IMAGEGRID_CATALOG_DIR": "examples/catalog", "IMAGEGRID_EXECUTOR": "make", "IMAGEGRID_IMAGE_BUILDER_DIR": standIn},
			Secrets: map[string]string{"GITHUB_TOKEN": token},
		})
		if res.err != nil {
			t.Fatalf("act: %v\n%s", res.err, res.log)
		}
		changed := "vsphere-photon-5-amd64-v1.30.2---vmware.1"
		mustContain(t, jobSummary(t, res, "plan"), "1 cell to build, 3 skipped", changed)
		mustContain(t, jobSummary(t, res, "vsphere photon-5 amd64 v1.30.2+vmware.1"), "| "+changed+" | validated |")
		mustContain(t, res.log, "catalog: every invariant holds")
	})

	t.Run("ci.yml runs the action", func(t *testing.T) {
		res := s.act(t, act, actions, repo.dir, run{Workflow: "ci.yml", Event: "push", Job: "action", Secrets: map[string]string{"GITHUB_TOKEN": token}})
		if res.err != nil {
			t.Fatalf("act: %v\n%s", res.err, res.log)
		}
		mustContain(t, res.log, "cells in 1 shards")
	})
}

// buildRecord decodes the build record in an artifact.
func buildRecord(t *testing.T, art map[string]string, id string) record.BuildRecord {
	t.Helper()
	data, ok := art["build-record.json"]
	if !ok {
		t.Fatalf("the artifact of %s has no build-record.json: %v", id, slices.Sorted(maps.Keys(art)))
	}
	rec, err := record.Decode[record.BuildRecord](id+"/build-record.json", []byte(data), record.KindBuildRecord)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// jobID is the workflow job id the job named name (or ending with "/"+name) ran as.
func jobID(res result, name string) string {
	for n, id := range res.jobIDs {
		if n == name || strings.HasSuffix(n, "/"+name) {
			return id
		}
	}
	return ""
}

// jobSummary is the summary of the job whose name ends with job.
func jobSummary(t *testing.T, res result, job string) string {
	t.Helper()
	for name, summary := range res.summaries {
		if name == job || strings.HasSuffix(name, "/"+job) {
			return summary
		}
	}
	t.Fatalf("job %s wrote no summary; summaries of %v\n%s", job, slices.Sorted(maps.Keys(res.summaries)), res.log)
	return ""
}

func mustContain(t *testing.T, text string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("missing %q in:\n%s", w, text)
		}
	}
}
