package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/grid"
	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/selection"
)

// env is a fake process environment.
type env map[string]string

func (e env) get(k string) string { return e[k] }

// readGitHubOutput parses a GITHUB_OUTPUT file ("name<<DELIM\nvalue\nDELIM") as the runner does.
func readGitHubOutput(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	s := bufio.NewScanner(f)
	s.Buffer(nil, 4<<20)
	for s.Scan() {
		name, delim, ok := strings.Cut(s.Text(), "<<")
		if !ok {
			t.Fatalf("GITHUB_OUTPUT line %q is not name<<delimiter", s.Text())
		}
		var lines []string
		for s.Scan() && s.Text() != delim {
			lines = append(lines, s.Text())
		}
		out[name] = strings.Join(lines, "\n")
	}
	return out
}

func TestGitHubActionsOutputs(t *testing.T) {
	t.Chdir("../..")
	dir := t.TempDir()
	e := env{
		"GITHUB_ACTIONS":      "true",
		"GITHUB_OUTPUT":       filepath.Join(dir, "output"),
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary"),
		"INPUT_ONLY":          "infra=aws\ninfra=vsphere,os=rhel-8",
		"INPUT_MAX-CELLS":     "4",
	}
	var stdout, stderr strings.Builder
	if err := run(context.Background(), nil, &stdout, &stderr, e.get); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	outs := readGitHubOutput(t, e["GITHUB_OUTPUT"])
	if outs["count"] != "9" || outs["shards"] != "3" || outs["skipped"] != "12" {
		t.Errorf("count=%q shards=%q skipped=%q, want 9, 3, 12", outs["count"], outs["shards"], outs["skipped"])
	}
	seen := 0
	for i := range 4 {
		// What a workflow's strategy.matrix: ${{ fromJSON(needs.plan.outputs.matrix-N) }} reads.
		var m struct {
			Include []struct {
				ID   string          `json:"id"`
				Name string          `json:"name"`
				Cell json.RawMessage `json:"cell"`
			} `json:"include"`
		}
		if err := json.Unmarshal([]byte(outs[fmt.Sprintf("matrix-%d", i)]), &m); err != nil {
			t.Fatalf("matrix-%d is not JSON: %v", i, err)
		}
		for _, entry := range m.Include {
			// toJSON(matrix.cell) is what the build job gets: a cell build can decode strictly.
			c, err := record.Decode[record.Cell]("matrix.cell", entry.Cell, record.KindCell)
			if err != nil {
				t.Fatal(err)
			}
			if c.ID != entry.ID || !(c.Infra == "aws" || c.OS.ID == "rhel-8") {
				t.Errorf("unexpected cell %s in matrix-%d", c.ID, i)
			}
			seen++
		}
	}
	if seen != 9 {
		t.Errorf("%d cells in the matrices, want 9", seen)
	}
	summary, err := os.ReadFile(e["GITHUB_STEP_SUMMARY"])
	if err != nil || !strings.Contains(string(summary), "9 cells to build, 12 skipped") {
		t.Errorf("summary: %v\n%s", err, summary)
	}
	if !strings.Contains(stdout.String(), "vsphere-rhel-8-amd64-v1.30.2---vmware.1") {
		t.Errorf("stdout lacks the table:\n%s", stdout.String())
	}
}

// TestSplitByNeeds is the plan of images.yml outside validate mode: each cell in the shards of
// the build jobs holding what its infrastructure needs, none in matrix-N.
func TestSplitByNeeds(t *testing.T) {
	t.Chdir("../..")
	dir := t.TempDir()
	e := env{"GITHUB_OUTPUT": filepath.Join(dir, "output"), "INPUT_SPLIT-BY-NEEDS": "true", "INPUT_MAX-CELLS": "4"}
	var stdout, stderr strings.Builder
	if err := run(context.Background(), []string{"--format", "json"}, &stdout, &stderr, e.get); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	outs := readGitHubOutput(t, e["GITHUB_OUTPUT"])
	want := map[string][]string{"vsphere-": {"vsphere"}, "oidc-": {"aws", "azure"}}
	seen, shards := 0, 0
	for prefix, infras := range want {
		n, err := strconv.Atoi(outs[prefix+"shards"])
		if err != nil || n == 0 {
			t.Fatalf("%sshards = %q", prefix, outs[prefix+"shards"])
		}
		shards += n
		for i := range 4 {
			var m struct{ Include []struct{ Cell record.Cell } }
			if err := json.Unmarshal([]byte(outs[fmt.Sprintf("%smatrix-%d", prefix, i)]), &m); err != nil {
				t.Fatal(err)
			}
			if (i < n) != (len(m.Include) > 0) {
				t.Errorf("%smatrix-%d has %d cells with %sshards %d", prefix, i, len(m.Include), prefix, n)
			}
			for _, entry := range m.Include {
				if !slices.Contains(infras, entry.Cell.Infra) {
					t.Errorf("%s cell %s in %smatrix-%d", entry.Cell.Infra, entry.Cell.ID, prefix, i)
				}
				seen++
			}
		}
	}
	if fmt.Sprint(seen) != outs["count"] || fmt.Sprint(shards) != outs["shards"] || outs["matrix-0"] != `{"include":[]}` {
		t.Errorf("%d cells in %d shards by needs; count=%s shards=%s matrix-0=%s", seen, shards, outs["count"], outs["shards"], outs["matrix-0"])
	}
}

func TestEmptyResultIsNotAnError(t *testing.T) {
	t.Chdir("../..")
	dir := t.TempDir()
	e := env{"GITHUB_OUTPUT": filepath.Join(dir, "output")}
	var stdout, stderr strings.Builder
	if err := run(context.Background(), []string{"--only", "os=windows-2019,infra=aws", "--format", "table"}, &stdout, &stderr, e.get); err != nil {
		t.Fatal(err)
	}
	outs := readGitHubOutput(t, e["GITHUB_OUTPUT"])
	if outs["count"] != "0" || outs["shards"] != "0" || outs["matrix-0"] != `{"include":[]}` {
		t.Errorf("outputs %v", outs)
	}
	if !strings.Contains(stdout.String(), "nothing to build: 21 cells skipped") {
		t.Errorf("stdout:\n%s", stdout.String())
	}
}

func TestJSONFormatIsOnlyJSON(t *testing.T) {
	t.Chdir("../..")
	var stdout, stderr strings.Builder
	if err := run(context.Background(), []string{"--format", "json", "--only", "infra=azure"}, &stdout, &stderr, env{}.get); err != nil {
		t.Fatal(err)
	}
	var cells []record.Cell
	dec := json.NewDecoder(strings.NewReader(stdout.String()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cells); err != nil || dec.More() {
		t.Fatalf("stdout is not one JSON array of cells: %v\n%s", err, stdout.String())
	}
	if len(cells) != 3 {
		t.Errorf("%d azure cells, want 3", len(cells))
	}
	if !strings.Contains(stderr.String(), "skipped vsphere-photon-5-amd64-v1.29.6---vmware.1: not selected by --only infra=azure") {
		t.Errorf("skips are reported on stderr:\n%s", stderr.String())
	}
}

// TestSixHundredCells expands a generated 600-cell declaration into three shards.
func TestSixHundredCells(t *testing.T) {
	dir := t.TempDir()
	writeGrid(t, dir, 100, 0)
	e := env{"GITHUB_OUTPUT": filepath.Join(dir, "output")}
	var stdout, stderr strings.Builder
	if err := run(context.Background(), []string{"--matrices", dir, "--format", "json"}, &stdout, &stderr, e.get); err != nil {
		t.Fatal(err)
	}
	outs := readGitHubOutput(t, e["GITHUB_OUTPUT"])
	if outs["count"] != "600" || outs["shards"] != "3" {
		t.Errorf("count=%s shards=%s, want 600 and 3", outs["count"], outs["shards"])
	}
	if err := run(context.Background(), []string{"--matrices", dir, "--max-shards", "2"}, &stdout, &stderr, e.get); err == nil ||
		!strings.Contains(err.Error(), "600 cells need 3 shards of at most 256 cells, more than --max-shards 2") {
		t.Errorf("with --max-shards 2: %v", err)
	}
}

func TestErrors(t *testing.T) {
	t.Chdir("../..")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--matrices", "nowhere"}, "grid declaration: stat nowhere: no such file or directory"},
		{[]string{"--format", "yaml"}, `--format "yaml": want table or json`},
		{[]string{"--only", "colour=red"}, `--only "colour=red"`},
		{[]string{"--rebuild-after", "30d"}, "--rebuild-after needs --published"},
		{[]string{"--published", "internal/selection/testdata", "--rebuild-after", "soon"}, `--rebuild-after: want a positive duration`},
		{[]string{"--changed-files", "nowhere.txt"}, "changed files: open nowhere.txt"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--matrices", "internal/grid/testdata/errors/unknown-os.yaml"}, `internal/grid/testdata/errors/unknown-os.yaml:14:14: infrastructures.aws.os: unknown OS "ubuntu-2210"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr strings.Builder
			err := run(context.Background(), tt.args, &stdout, &stderr, env{}.get)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run(%v) = %v, want an error containing %q", tt.args, err, tt.want)
			}
		})
	}
}

func TestDeclarationErrorsAreAnnotated(t *testing.T) {
	t.Chdir("../..")
	var stdout, stderr strings.Builder
	e := env{"GITHUB_ACTIONS": "true"}
	err := run(context.Background(), []string{"--matrices", "internal/grid/testdata/errors/unknown-os.yaml"}, &stdout, &stderr, e.get)
	if err == nil {
		t.Fatal("want an error")
	}
	want := "::error col=14,file=internal/grid/testdata/errors/unknown-os.yaml,line=14,title=imagegrid%3A infrastructures.aws.os::unknown OS"
	if !strings.Contains(stdout.String(), want) {
		t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
	}
}

// writeGrid writes a declaration of releases × 6 vSphere OS cells, each using one of varFiles
// var files (none when 0).
func writeGrid(tb testing.TB, dir string, releases, varFiles int) {
	tb.Helper()
	var b strings.Builder
	b.WriteString("apiVersion: imagegrid.io/v1alpha1\nkind: Grid\nimageBuilders:\n  ib:\n    image: registry.k8s.io/scl-image-builder/cluster-node-image-builder-amd64:v0.1.55\n")
	b.WriteString("    targets:\n      vsphere: [ubuntu-2004, ubuntu-2204, ubuntu-2404, photon-5, rhel-9, rockylinux-9]\n")
	b.WriteString("infrastructures:\n  vsphere:\n    os: [ubuntu-2004, ubuntu-2204, ubuntu-2404, photon-5, rhel-9, rockylinux-9]\nkubernetes:\n")
	for i := range releases {
		fmt.Fprintf(&b, "  - version: v1.%d.%d\n", 20+i/10, i%10)
	}
	// RHEL needs an ISO of its own (Image Builder only names a placeholder).
	b.WriteString("settings:\n  - match: {os: rhel-9}\n    vars: {iso_url: \"https://isos.example.com/rhel-9.4-x86_64-dvd.iso\", iso_checksum: \"sha256:" + strings.Repeat("ab", 32) + "\"}\n")
	for i := range varFiles {
		name := fmt.Sprintf("vars/v%03d.json", i)
		if err := os.MkdirAll(filepath.Join(dir, "vars"), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), fmt.Appendf(nil, `{"extra_debs": "pkg-%d"}`, i), 0o644); err != nil {
			tb.Fatal(err)
		}
		fmt.Fprintf(&b, "  - match: {kubernetes: \"= 1.%d.%d\"}\n    varFiles: [%s]\n", 20+(i%releases)/10, (i%releases)%10, name)
	}
	if err := os.WriteFile(filepath.Join(dir, "grid.yaml"), []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// TestPullRequestSelection is what the validation workflow does: the base revision checked
// out beside the head, the changed paths from git diff.
func TestPullRequestSelection(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	grid := `apiVersion: imagegrid.io/v1alpha1
kind: Grid
imageBuilders:
  ib: {image: "registry.k8s.io/scl-image-builder/cluster-node-image-builder-amd64:v0.1.55", targets: {vsphere: [ubuntu-2204, photon-5]}}
kubernetes:
  - version: v1.30.2
  - version: v1.29.6
infrastructures:
  vsphere: {os: [ubuntu-2204, photon-5]}
settings:
  - match: {os: photon-5}
    varFiles: [photon.json]
`
	for _, root := range []string{"base/matrices", "matrices"} {
		if err := os.MkdirAll(root, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "grid.yaml"), []byte(grid), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "photon.json"), []byte(`{"extra_rpms": "audit"}`), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The pull request changes the grid file: 1.29.6 ubuntu gets a var.
	head := grid + "  - match: {os: ubuntu-2204, kubernetes: \"= 1.29.6\"}\n    vars: {disk_size: \"40960\"}\n"
	if err := os.WriteFile("matrices/grid.yaml", []byte(head), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("changed.txt", []byte("matrices/grid.yaml\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr strings.Builder
	args := []string{"--format", "json", "--changed-files", "changed.txt", "--base-matrices", "base/matrices"}
	if err := run(context.Background(), args, &stdout, &stderr, env{}.get); err != nil {
		t.Fatal(err)
	}
	var cells []record.Cell
	if err := json.Unmarshal([]byte(stdout.String()), &cells); err != nil {
		t.Fatal(err)
	}
	if len(cells) != 1 || cells[0].ID != "vsphere-ubuntu-2204-amd64-v1.29.6" {
		t.Errorf("selected %+v, want only vsphere-ubuntu-2204-amd64-v1.29.6", cells)
	}
	if !strings.Contains(stderr.String(), "skipped vsphere-photon-5-amd64-v1.30.2: unchanged since the base") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}

// failingWriter fails on its second cell.
type failingWriter struct{ added int }

func (w *failingWriter) Add(selection.Decision, bool) error {
	if w.added++; w.added == 2 {
		return errors.New("disk full")
	}
	return nil
}

func (w *failingWriter) Close() error { return errors.New("closed after a failure") }

// TestStreamStopsAtAWriteError: the first write error ends the stream, with that error, and
// the goroutine making cells stops instead of waiting forever to hand over the next.
func TestStreamStopsAtAWriteError(t *testing.T) {
	dir := t.TempDir()
	writeGrid(t, dir, 200, 0) // 1,200 cells: more than stream buffers
	cells, err := grid.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	w := &failingWriter{}
	if err := stream(cells, nil, w); err == nil || err.Error() != "disk full" {
		t.Fatalf("stream = %v, want the write error", err)
	}
	if w.added != 2 {
		t.Errorf("%d cells handed to the writer, want none after its error", w.added)
	}
}
