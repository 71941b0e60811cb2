package workflowlint

import (
	"fmt"
	"os"
	"os/exec"
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
// shard the plan may emit for each group of build legs (matrix --split-by-needs), and one
// validate job per shard of every cell; each gated on its shard count, not failing fast,
// limited by max-parallel and fed its own shard, with the permissions and secrets of its group
// only; publish, check and summary wait for them.
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
			if got, _ := scalar(value(value(step, "with"), "split-by-needs")); got != "${{ inputs.mode != 'validate' }}" {
				t.Errorf("plan: split-by-needs is %q, want the build legs split by needs outside validate mode", got)
			}
		}
	}
	if shards == 0 {
		t.Fatal("plan: no matrix step with max-shards")
	}
	// The groups are what matrix outputs <group>-shards for (action.yml is held to matrix -h).
	var groups []string
	each(value(load(t, "action.yml"), "outputs"), func(k, _ *yaml.Node) {
		if g, ok := strings.CutSuffix(k.Value, "-shards"); ok {
			groups = append(groups, g)
		}
	})
	if !slices.Contains(groups, "vsphere") || !slices.Contains(groups, "oidc") {
		t.Fatalf("matrix outputs shards of groups %v, want vsphere and oidc", groups)
	}
	// What each family of jobs holds: its permissions, what its steps must not reach, and
	// what they must (the Azure client secret for Azure cells only).
	families := []struct {
		prefix, mode, perms string
		forbidden, required []string
	}{
		{"validate", "==", "contents: read", []string{"secrets.", "configure-aws-credentials"}, nil},
		{"build-vsphere", "!=", "contents: read", []string{"configure-aws-credentials", "id-token", "azure"}, nil},
		{"build-oidc", "!=", "contents: read, id-token: write", []string{"secrets.vsphere", "inputs.vsphere"},
			[]string{"AZURE_CLIENT_SECRET: ${{ matrix.cell.infra == 'azure' && secrets.azure-client-secret || '' }}"}},
	}
	var legs []string
	each(jobs, func(k, _ *yaml.Node) {
		if regexp.MustCompile(`^(build|validate)-`).MatchString(k.Value) {
			legs = append(legs, k.Value)
		}
	})
	if want := len(families) * shards; len(legs) != want || len(groups) != 2 {
		t.Fatalf("%d leg jobs %v for max-shards %d and groups %v, want %d", len(legs), legs, shards, groups, want)
	}
	for _, fam := range families {
		output := strings.TrimPrefix(strings.TrimPrefix(fam.prefix, "validate"), "build-")
		if output != "" {
			output += "-"
		}
		for i := range shards {
			name := fmt.Sprintf("%s-%d", fam.prefix, i)
			job := value(jobs, name)
			checks := map[string]string{
				"if":                    fmt.Sprintf("inputs.mode %s 'validate' && needs.plan.outputs.%sshards > %d", fam.mode, output, i),
				"strategy.fail-fast":    "false",
				"strategy.max-parallel": "${{ inputs.max-parallel }}",
				"strategy.matrix":       fmt.Sprintf("${{ fromJSON(needs.plan.outputs.%smatrix-%d) }}", output, i),
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
			var perms []string
			each(value(job, "permissions"), func(k, v *yaml.Node) { perms = append(perms, k.Value+": "+v.Value) })
			if strings.Join(perms, ", ") != fam.perms {
				t.Errorf("%s has permissions %v, want %s only", name, perms, fam.perms)
			}
			text, err := yaml.Marshal(deref(value(job, "steps")))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range fam.forbidden {
				if strings.Contains(string(text), f) {
					t.Errorf("%s steps reach %s:\n%s", name, f, text)
				}
			}
			for _, r := range fam.required {
				if !strings.Contains(string(text), r) {
					t.Errorf("%s steps lack %s:\n%s", name, r, text)
				}
			}
			out := fmt.Sprintf("%smatrix-%d", output, i)
			if got, _ := scalar(value(value(plan, "outputs"), out)); got != fmt.Sprintf("${{ steps.matrix.outputs.%s }}", out) {
				t.Errorf("plan does not output %s: %q", out, got)
			}
		}
		if out := output + "shards"; value(value(plan, "outputs"), out) == nil {
			t.Errorf("plan does not output %s", out)
		}
	}
	waits := map[string][]string{"publish": {"build-vsphere", "build-oidc"}, "check": {"validate"}, "summary": {"build-vsphere", "build-oidc", "validate"}}
	for job, kinds := range waits {
		var needs []string
		for _, n := range items(value(value(jobs, job), "needs")) {
			needs = append(needs, n.Value)
		}
		for _, kind := range kinds {
			for i := range shards {
				if leg := fmt.Sprintf("%s-%d", kind, i); !slices.Contains(needs, leg) {
					t.Errorf("%s does not wait for %s (needs %v)", job, leg, needs)
				}
			}
		}
	}
}

// commandInterface is what a command's -h says about it: its flags and its step outputs.
type commandInterface struct {
	flags, outputs []string
}

// commandInterfaces builds matrix, build and publish and reads each one's -h.
func commandInterfaces(t *testing.T) map[string]commandInterface {
	t.Helper()
	bin := t.TempDir()
	commands := []string{"matrix", "build", "publish"}
	args := []string{"build", "-o", bin + string(filepath.Separator)}
	for _, c := range commands {
		args = append(args, "../../cmd/"+c)
	}
	if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	flagLine := regexp.MustCompile(`(?m)^  -([a-z0-9-]+)`)
	outputLine := regexp.MustCompile(`(?m)^step outputs \(GitHub Actions\): (.*)$`)
	got := map[string]commandInterface{}
	for _, c := range commands {
		usage, err := exec.Command(filepath.Join(bin, c), "-h").CombinedOutput()
		if err != nil {
			t.Fatalf("%s -h: %v\n%s", c, err, usage)
		}
		var ci commandInterface
		for _, m := range flagLine.FindAllStringSubmatch(string(usage), -1) {
			ci.flags = append(ci.flags, m[1])
		}
		m := outputLine.FindStringSubmatch(string(usage))
		if m == nil || len(ci.flags) == 0 {
			t.Fatalf("%s -h lists no flags or no step outputs:\n%s", c, usage)
		}
		ci.outputs = strings.Split(m[1], ", ")
		got[c] = ci
	}
	return got
}

// documented returns the backquoted names in the first column of the table that follows
// heading (the first one after section) in docs/workflows.md.
func documented(t *testing.T, section, heading string) []string {
	t.Helper()
	doc, err := os.ReadFile("../../docs/workflows.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	i := strings.Index(text, section)
	j := strings.Index(text[max(i, 0):], heading)
	if i < 0 || j < 0 {
		t.Fatalf("docs/workflows.md has no %q under %q", heading, section)
	}
	var names []string
	inTable := false
	for line := range strings.Lines(text[i+j+len(heading):]) {
		if !strings.HasPrefix(line, "|") {
			if inTable {
				break
			}
			continue
		}
		inTable = true
		first := strings.Split(line, "|")[1]
		for _, m := range regexp.MustCompile("`([a-z0-9-]+)`").FindAllStringSubmatch(first, -1) {
			names = append(names, m[1])
		}
	}
	return names
}

// TestActionMatchesCommands checks action.yml against the commands themselves: every flag of
// matrix, build and publish is an input and every input (but the action's own) a flag; the
// action exposes exactly the step outputs the commands declare (they refuse to write others);
// docs/workflows.md documents exactly those inputs and outputs.
func TestActionMatchesCommands(t *testing.T) {
	t.Parallel()
	commands := commandInterfaces(t)
	action := load(t, "action.yml")
	keys := func(n *yaml.Node) map[string]bool {
		m := map[string]bool{}
		each(n, func(k, _ *yaml.Node) { m[k.Value] = true })
		return m
	}
	inputs, outputs := keys(value(action, "inputs")), keys(value(action, "outputs"))
	own := map[string]bool{"command": true, "token": true}

	flags, written := map[string]bool{}, map[string]bool{}
	for name, c := range commands {
		for _, f := range c.flags {
			flags[f] = true
			if !inputs[f] {
				t.Errorf("%s --%s has no input in action.yml", name, f)
			}
		}
		for _, o := range c.outputs {
			written[o] = true
			if !outputs[o] {
				t.Errorf("%s writes step output %s, which action.yml does not expose", name, o)
			}
		}
	}
	for in := range inputs {
		if !flags[in] && !own[in] {
			t.Errorf("action.yml input %s is no flag of matrix, build or publish", in)
		}
	}
	for out := range outputs {
		if !written[out] {
			t.Errorf("action.yml output %s is written by no command", out)
		}
	}

	sameAsDocs(t, "input", inputs, documented(t, "## The action", "### Inputs"))
	sameAsDocs(t, "output", outputs, documented(t, "## The action", "### Outputs"))
}

// sameAsDocs reports the names of a kind (input, output) that action.yml declares and
// docs/workflows.md does not document, and the other way round.
func sameAsDocs(t *testing.T, kind string, declared map[string]bool, docs []string) {
	t.Helper()
	for _, name := range docs {
		if !declared[name] {
			t.Errorf("docs/workflows.md documents %s %s, which action.yml does not declare", kind, name)
		}
	}
	for name := range declared {
		if !slices.Contains(docs, name) {
			t.Errorf("action.yml %s %s is not documented in docs/workflows.md", kind, name)
		}
	}
}
