package workflowlint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// workflowStep returns the run script of the named step of a job of a workflow.
func workflowStep(t *testing.T, workflow, job, name string) string {
	t.Helper()
	for _, step := range items(value(value(value(load(t, workflow), "jobs"), job), "steps")) {
		if got, _ := scalar(value(step, "name")); got == name {
			return value(step, "run").Value
		}
	}
	t.Fatalf("%s: job %s has no step named %q", workflow, job, name)
	return ""
}

// TestPipelineGuards runs the shell steps of images.yml that stop a run early.
func TestPipelineGuards(t *testing.T) {
	const images = ".github/workflows/images.yml"
	tests := []struct {
		name       string
		job, step  string
		env        []string
		builds     []string // build-<id> folders to create under RECORDS
		wantErr    bool
		wantOutput string
	}{
		{name: "nightly", job: "plan", step: "Check the mode", env: []string{"MODE=nightly"}},
		{name: "release", job: "plan", step: "Check the mode", env: []string{"MODE=release"}},
		{name: "validate", job: "plan", step: "Check the mode", env: []string{"MODE=validate"}},
		{name: "unknown mode", job: "plan", step: "Check the mode", env: []string{"MODE=weekly"}, wantErr: true,
			wantOutput: "::error title=imagegrid::input mode must be nightly, release or validate"},
		{name: "no build", job: "publish", step: "Stop when no cell was built", wantErr: true,
			wantOutput: "::error title=imagegrid::no cell built successfully: nothing to publish"},
		{name: "two builds", job: "publish", step: "Stop when no cell was built", builds: []string{"a", "b"},
			wantOutput: "2 successful builds to publish"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			script := workflowStep(t, images, tt.job, tt.step)
			dir := t.TempDir()
			records := filepath.Join(dir, "records")
			for _, b := range tt.builds {
				if err := os.MkdirAll(filepath.Join(records, "build-"+b), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			env := append([]string{"PATH=" + os.Getenv("PATH"), "RECORDS=" + records}, tt.env...)
			out, err := runBash(t, dir, script, env)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want error %v; output:\n%s", err, tt.wantErr, out)
			}
			if !strings.Contains(out, tt.wantOutput) {
				t.Errorf("output:\n%s\nwant it to contain %q", out, tt.wantOutput)
			}
		})
	}
}
