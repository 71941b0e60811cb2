package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/tree"
)

func standIn(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"make", "packer", "qemu-img", "python3", "mkfs.ext4", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing; the Image Builder stand-in needs it (apt-get install make packer qemu-utils python3 e2fsprogs, and Go)", tool)
		}
	}
	dir, err := filepath.Abs(filepath.Join("..", "..", "testdata", "imagebuilder", "images", "capi"))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestRunAWSCellWithFlags builds into an --out folder, on a laptop and on a runner, where the
// secret may appear only in the ::add-mask:: command that hides it.
func TestRunAWSCellWithFlags(t *testing.T) {
	t.Parallel()
	dir := standIn(t)
	for _, tt := range []struct {
		name string
		env  []string
	}{
		{name: "laptop", env: []string{"GITHUB_ACTIONS=", "GITHUB_OUTPUT=", "GITHUB_STEP_SUMMARY="}},
		{name: "actions runner", env: []string{"GITHUB_ACTIONS=true", "GITHUB_OUTPUT=" + filepath.Join(t.TempDir(), "outputs"), "GITHUB_STEP_SUMMARY=" + filepath.Join(t.TempDir(), "summary")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			work := t.TempDir()
			out := filepath.Join(work, "out", "aws")
			env := append(os.Environ(), "AWS_ACCESS_KEY_ID=AKIATESTKEYID0000000", "AWS_SECRET_ACCESS_KEY=s3cret-aws-secret-key")
			env = append(env, tt.env...)
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), []string{"--cell", "testdata/aws.json", "--executor", "make", "--image-builder-dir", dir, "--work", work, "--out", out}, env, nil, &stdout, &stderr)
			if err != nil {
				t.Fatalf("run: %v\n%s%s", err, stdout.String(), stderr.String())
			}
			path := filepath.Join(out, "build-record.json")
			rec, err := record.ReadFile[record.BuildRecord](path, record.KindBuildRecord)
			if err != nil {
				t.Fatal(err)
			}
			if rec.Status != record.BuildSucceeded || len(rec.Artifacts.AMI) != 2 || rec.Log != "build.log" {
				t.Errorf("record = %+v", rec)
			}
			if _, err := os.Stat(filepath.Join(out, "build.log")); err != nil {
				t.Errorf("the log is not beside the record: %v", err)
			}
			if !strings.Contains(stdout.String(), "cell aws-ubuntu-2204-amd64-v1.30.2: succeeded after 1 attempt(s); record "+path) {
				t.Errorf("stdout:\n%s", stdout.String())
			}
			for line := range strings.Lines(stdout.String()) {
				if strings.Contains(line, "s3cret-aws-secret-key") && line != "::add-mask::s3cret-aws-secret-key\n" {
					t.Errorf("the secret reached stdout outside its mask command: %q", line)
				}
			}
		})
	}
}

// tkgCell is testdata/vsphere.json with the shipped TKG configuration of its TKr, a folder
// relative to the repository root (the --vars-root the tests give).
func tkgCell(t *testing.T) []byte {
	t.Helper()
	c, err := record.ReadFile[record.Cell]("testdata/vsphere.json", record.KindCell)
	if err != nil {
		t.Fatal(err)
	}
	config := "matrices/tkg-config/v1.30.2+vmware.1-tkg.1"
	digest, err := tree.Digest(filepath.Join("..", "..", config))
	if err != nil {
		t.Fatal(err)
	}
	c.TKGConfig = &record.Folder{Path: config, SHA256: digest}
	cell, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return cell
}

func TestRunFromActionsInputs(t *testing.T) {
	t.Parallel()
	dir := standIn(t)
	work := t.TempDir()
	cell := tkgCell(t)
	outputs, summary := filepath.Join(work, "outputs"), filepath.Join(work, "summary")
	outDir := filepath.Join(t.TempDir(), "out")
	env := append(os.Environ(),
		"GITHUB_ACTIONS=true", "GITHUB_OUTPUT="+outputs, "GITHUB_STEP_SUMMARY="+summary,
		"INPUT_CELL="+string(cell), "INPUT_EXECUTOR=make", "INPUT_IMAGE-BUILDER-DIR="+dir, "INPUT_WORK="+work, "INPUT_OUT="+outDir,
		"INPUT_VARS-ROOT=../..", "INPUT_BUNDLE-HOST=127.0.0.1", "INPUT_RETRIES=not-a-number-but-overridden",
		// the docker stand-in serves the TKG resource bundle
		"INPUT_DOCKER="+filepath.Join(dir, "..", "..", "bin", "docker"), "STANDIN_DOCKER_STATE="+t.TempDir(),
		"VSPHERE_SERVER=vc.example.com", "VSPHERE_USERNAME=builder", "VSPHERE_PASSWORD=s3cret-vsphere-pw",
	)
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"--retries", "0"}, env, nil, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	// The output folder is what the workflow uploads: the record, the log and the OVA.
	rec, err := record.ReadFile[record.BuildRecord](filepath.Join(outDir, "build-record.json"), record.KindBuildRecord)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Artifacts.OVA == nil || strings.Contains(rec.Artifacts.OVA.Path, "/") || rec.Log != "build.log" {
		t.Fatalf("record paths are not beside the record: %+v", rec)
	}
	ova := filepath.Join(outDir, rec.Artifacts.OVA.Path)
	for _, f := range []string{ova, filepath.Join(outDir, "build.log")} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("the output folder lacks %s: %v", filepath.Base(f), err)
		}
	}
	out, _ := os.ReadFile(outputs)
	for _, want := range []string{"record<<", outDir + "/build-record.json", "ova<<", ova, "ova-version<<", "v1.30.2+vmware.1-tkg.1-8f2a3c4d5e6f", "status<<", "succeeded"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("step outputs lack %q:\n%s", want, out)
		}
	}
	sum, _ := os.ReadFile(summary)
	if !strings.Contains(string(sum), "| vsphere-ubuntu-2204-amd64-v1.30.2---vmware.1 | succeeded | 1 |") {
		t.Errorf("summary:\n%s", sum)
	}
	for _, want := range []string{"::add-mask::s3cret-vsphere-pw", "::group::vsphere-ubuntu-2204-amd64-v1.30.2---vmware.1: goss phase after"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q", want)
		}
	}
}

func TestRunRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		args  []string
		env   []string
		stdin string
		want  string
	}{
		{name: "no cell", args: nil, want: "no cell: give --cell FILE"},
		{name: "unknown field", args: []string{"--cell", "testdata/unknown-field.json"}, want: `testdata/unknown-field.json: unknown field "color"`},
		{name: "bad JSON on stdin", args: []string{"--cell", "-"}, stdin: `{"apiVersion": `, want: "stdin: empty or truncated JSON"},
		{name: "bad input value", args: []string{"--cell", "testdata/aws.json"}, env: []string{"INPUT_TIMEOUT=soon"}, want: "input timeout: parse error"},
		{name: "record file as out", args: []string{"--cell", "testdata/aws.json", "--out", "records/aws.json"}, want: "out records/aws.json: want a folder, not a record file"},
		{name: "positional argument", args: []string{"--cell", "testdata/aws.json", "extra"}, want: `unexpected arguments ["extra"]`},
		{name: "missing credentials", args: []string{"--cell", "testdata/aws.json", "--dry-run"}, want: "aws credentials missing: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, append([]string{"PATH=/usr/bin"}, tt.env...), strings.NewReader(tt.stdin), &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestRunDryRunFromStdin(t *testing.T) {
	t.Parallel()
	cell, err := os.ReadFile("testdata/aws.json")
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	env := []string{"PATH=/usr/bin", "AWS_ACCESS_KEY_ID=AKIATESTKEYID0000000", "AWS_SECRET_ACCESS_KEY=s3cret-aws-secret-key"}
	work := filepath.Join(t.TempDir(), "work")
	if err := run(context.Background(), []string{"--cell", "-", "--dry-run", "--work", work, "--host-work", "/srv/work"}, env, bytes.NewReader(cell), &stdout, &stderr); err != nil {
		t.Fatalf("run: %v", err)
	}
	if !strings.Contains(stdout.String(), "-e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY") || strings.Contains(stdout.String(), "s3cret") {
		t.Errorf("dry run:\n%s", stdout.String())
	}
	if _, err := os.Stat(work); !os.IsNotExist(err) {
		t.Errorf("a dry run created %s", work)
	}
}

func TestInspectOnly(t *testing.T) {
	t.Parallel()
	dir := standIn(t)
	work := t.TempDir()
	out := filepath.Join(work, "out")
	env := append(os.Environ(), "VSPHERE_USERNAME=builder@vsphere.local", "VSPHERE_PASSWORD=s3cret-vsphere-pw", "VSPHERE_SERVER=vcenter.example.com",
		"STANDIN_DOCKER_STATE="+t.TempDir())
	var stdout, stderr bytes.Buffer
	// the docker stand-in serves the TKG resource bundle
	if err := run(context.Background(), []string{"--cell", "-", "--executor", "make", "--image-builder-dir", dir, "--work", work, "--out", out, "--vars-root", "../..",
		"--docker", filepath.Join(dir, "..", "..", "bin", "docker"), "--bundle-host", "127.0.0.1"}, env, bytes.NewReader(tkgCell(t)), &stdout, &stderr); err != nil {
		t.Fatalf("build: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	rec, err := record.ReadFile[record.BuildRecord](filepath.Join(out, "build-record.json"), record.KindBuildRecord)
	if err != nil {
		t.Fatal(err)
	}
	ova := filepath.Join(out, filepath.FromSlash(rec.Artifacts.OVA.Path))

	stdout.Reset()
	if err := run(context.Background(), []string{"--cell", "testdata/vsphere.json", "--inspect", ova}, env, nil, &stdout, &stderr); err != nil {
		t.Fatalf("inspect: %v\n%s", err, stdout.String())
	}
	for _, want := range []string{"ok   kubelet: v1.30.2+vmware.1 (want v1.30.2+vmware.1)\n       /usr/bin/kubelet", "node image passed (inspection)"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
		}
	}

	// With the TKr, its exact etcd tag is expected; the stand-in pulled kubeadm's.
	stdout.Reset()
	err = run(context.Background(), []string{"--cell", "testdata/vsphere.json", "--inspect", ova, "--tkr", "testdata/tkr.yml"}, env, nil, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "image projects.registry.vmware.com/tkg/etcd: found missing; has tags v3.5.12-0, want projects.registry.vmware.com/tkg/etcd:v3.5.12_vmware.5") {
		t.Fatalf("with --tkr: err = %v", err)
	}

	// The same OVA inspected for another Kubernetes version fails, naming the binaries.
	cell, err := os.ReadFile("testdata/vsphere.json")
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(work, "other.json")
	if err := os.WriteFile(other, bytes.ReplaceAll(cell, []byte(`"semver": "v1.30.2+vmware.1"`), []byte(`"semver": "v1.30.3+vmware.1"`)), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	err = run(context.Background(), []string{"--cell", other, "--inspect", ova}, env, nil, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "node image failed: kubeadm: found v1.30.2+vmware.1, want v1.30.3+vmware.1 (/usr/bin/kubeadm)") {
		t.Fatalf("err = %v\n%s", err, stdout.String())
	}
	if !strings.Contains(stdout.String(), "FAIL kubectl") {
		t.Errorf("stdout:\n%s", stdout.String())
	}
}
