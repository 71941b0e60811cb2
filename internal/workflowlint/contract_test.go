package workflowlint

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func load(t *testing.T, rel string) *yaml.Node {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "..", rel))
	if err != nil {
		t.Fatal(err)
	}
	d, ok := parse(rel, src)
	if !ok {
		t.Fatalf("%s: %v", rel, d.out)
	}
	return d.root
}

// TestActionPassesEveryInput checks that action.yml hands each input to the command as
// INPUT_<NAME> (the name of the flag it mirrors) and declares each output from the command's
// step, so an input added to one place and not the other fails here.
func TestActionPassesEveryInput(t *testing.T) {
	action := load(t, "action.yml")
	var run *yaml.Node
	for _, step := range items(value(value(action, "runs"), "steps")) {
		if id, _ := scalar(value(step, "id")); id == "run" {
			run = step
		}
	}
	if run == nil {
		t.Fatal("action.yml: no step with id run")
	}
	env := map[string]string{}
	each(value(run, "env"), func(k, v *yaml.Node) { env[k.Value] = v.Value })

	handled := map[string]bool{"command": true, "token": true} // the action's own
	each(value(action, "inputs"), func(k, _ *yaml.Node) {
		if handled[k.Value] {
			return
		}
		name := "INPUT_" + strings.ToUpper(k.Value)
		v, ok := env[name]
		if !ok {
			t.Errorf("input %s is not passed to the command as %s", k.Value, name)
		} else if !strings.Contains(v, "inputs."+k.Value) {
			t.Errorf("%s is %q, want the value of inputs.%s", name, v, k.Value)
		}
		delete(env, name)
	})
	for name := range env {
		if strings.HasPrefix(name, "INPUT_") {
			t.Errorf("%s is passed but no input declares it", name)
		}
	}
	each(value(action, "outputs"), func(k, v *yaml.Node) {
		want := fmt.Sprintf("${{ steps.run.outputs.%s }}", k.Value)
		if got, _ := scalar(value(v, "value")); got != want {
			t.Errorf("output %s has value %q, want %q", k.Value, got, want)
		}
	})
}

// TestPipelineShards checks the reusable workflow against the matrix outputs: one build job per
// shard the plan may emit, each gated on the shard count, not failing fast, limited by
// max-parallel and fed its own shard; publish and summary wait for all of them.
func TestPipelineShards(t *testing.T) {
	wf := load(t, ".github/workflows/images.yml")
	jobs := value(wf, "jobs")
	plan := value(jobs, "plan")
	var shards int
	for _, step := range items(value(plan, "steps")) {
		if id, _ := scalar(value(step, "id")); id == "matrix" {
			n, err := strconv.Atoi(value(value(step, "with"), "max-shards").Value)
			if err != nil {
				t.Fatalf("plan: max-shards: %v", err)
			}
			shards = n
		}
	}
	if shards == 0 {
		t.Fatal("plan: no matrix step with max-shards")
	}
	var builds []string
	each(jobs, func(k, _ *yaml.Node) {
		if regexp.MustCompile(`^build-\d+$`).MatchString(k.Value) {
			builds = append(builds, k.Value)
		}
	})
	if len(builds) != shards {
		t.Fatalf("%d build jobs %v for max-shards %d", len(builds), builds, shards)
	}
	for i := range shards {
		name := fmt.Sprintf("build-%d", i)
		job := value(jobs, name)
		checks := map[string]string{
			"if":                    fmt.Sprintf("needs.plan.outputs.shards > %d", i),
			"strategy.fail-fast":    "false",
			"strategy.max-parallel": "${{ inputs.max-parallel }}",
			"strategy.matrix":       fmt.Sprintf("${{ fromJSON(needs.plan.outputs.matrix-%d) }}", i),
			"name":                  "${{ matrix.name }}",
		}
		for path, want := range checks {
			n := job
			for key := range strings.SplitSeq(path, ".") {
				n = value(n, key)
			}
			if got, _ := scalar(n); got != want {
				t.Errorf("%s.%s is %q, want %q", name, path, got, want)
			}
		}
		if got, _ := scalar(value(value(plan, "outputs"), fmt.Sprintf("matrix-%d", i))); got != fmt.Sprintf("${{ steps.matrix.outputs.matrix-%d }}", i) {
			t.Errorf("plan does not output matrix-%d: %q", i, got)
		}
	}
	for _, job := range []string{"publish", "summary"} {
		var needs []string
		for _, n := range items(value(value(jobs, job), "needs")) {
			needs = append(needs, n.Value)
		}
		for _, b := range builds {
			if !slices.Contains(needs, b) {
				t.Errorf("%s does not wait for %s (needs %v)", job, b, needs)
			}
		}
	}
}
