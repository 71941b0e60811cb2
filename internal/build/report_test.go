package build

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imagegrid/imagegrid/internal/actions"
	"github.com/imagegrid/imagegrid/internal/record"
)

func TestReport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := map[string]string{
		"GITHUB_ACTIONS":      "true",
		"GITHUB_OUTPUT":       filepath.Join(dir, "output"),
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary"),
	}
	r := actions.New(io.Discard, func(k string) string { return env[k] })
	start := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	rec := record.BuildRecord{
		Cell: awsCell(), Status: record.BuildSucceeded, Attempts: 2, ImageBuilderVersion: "v0.1.55",
		Started: start, Finished: start.Add(95 * time.Second),
		Artifacts: record.Artifacts{AMI: []record.AMIArtifact{{Region: "us-east-1", ID: "ami-0a1b2c3d"}, {Region: "us-west-2", ID: "ami-9f8e7d6c"}}},
	}
	if err := Report(r, Result{Record: rec, Path: "work/aws/build-record.json"}); err != nil {
		t.Fatal(err)
	}
	out, _ := os.ReadFile(env["GITHUB_OUTPUT"])
	for _, want := range []string{"record<<", "work/aws/build-record.json", "status<<", "succeeded", "amis<<", "us-east-1:ami-0a1b2c3d,us-west-2:ami-9f8e7d6c"} {
		mustContain(t, "outputs", string(out), want)
	}
	summary, _ := os.ReadFile(env["GITHUB_STEP_SUMMARY"])
	mustContain(t, "summary", string(summary), "| aws-ubuntu-2204-amd64-v1.30.2 | succeeded | 2 | 1m35s | v0.1.55 | us-east-1:ami-0a1b2c3d<br>us-west-2:ami-9f8e7d6c |")

	rec.Status, rec.Failure = record.BuildFailed, &record.Failure{Class: record.FailurePermanent, Reason: "goss validation failed: a|b"}
	if row := SummaryRow(rec); !strings.Contains(row, `| failed (permanent) | 2 |`) || !strings.Contains(row, `a\|b`) {
		t.Errorf("failed row = %s", row)
	}
}
