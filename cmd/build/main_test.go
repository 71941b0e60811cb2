package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/record"
)

func standIn(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"make", "packer", "qemu-img", "python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing; the Image Builder stand-in needs it (apt-get install make packer qemu-utils python3)", tool)
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

func TestRunFromActionsInputs(t *testing.T) {
	t.Parallel()
	dir := standIn(t)
	work := t.TempDir()
	cell, err := os.ReadFile("testdata/vsphere.json")
	if err != nil {
		t.Fatal(err)
	}
	outputs, summary := filepath.Join(work, "outputs"), filepath.Join(work, "summary")
	outDir := filepath.Join(t.TempDir(), "out")
	env := append(os.Environ(),
		"GITHUB_ACTIONS=true", "GITHUB_OUTPUT="+outputs, "GITHUB_STEP_SUMMARY="+summary,
		"INPUT_CELL="+string(cell), "INPUT_EXECUTOR=make", "INPUT_IMAGE-BUILDER-DIR="+dir, "INPUT_WORK="+work, "INPUT_OUT="+outDir,
		"INPUT_BUNDLE-HOST=10.1.2.3", "INPUT_RETRIES=not-a-number-but-overridden",
		"INPUT_DOCKER=true", // the TKG bundle's docker commands succeed without an engine
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
