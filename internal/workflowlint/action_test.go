package workflowlint

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// actionStep returns the run script and env keys of the action.yml step with the given id.
func actionStep(t *testing.T, id string) (script string, env []string) {
	t.Helper()
	for _, step := range items(value(value(load(t, "action.yml"), "runs"), "steps")) {
		if got, _ := scalar(value(step, "id")); got != id {
			continue
		}
		if shell, _ := scalar(value(step, "shell")); shell != "bash" {
			t.Fatalf("step %s runs in %q, want bash", id, shell)
		}
		each(value(step, "env"), func(k, _ *yaml.Node) { env = append(env, k.Value) })
		return value(step, "run").Value, env
	}
	t.Fatalf("action.yml: no step with id %s", id)
	return "", nil
}

// runBash runs script as the runner runs a composite step (bash -e), in dir, with env.
func runBash(t *testing.T, dir, script string, env []string) (string, error) {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal("bash is missing: install it (apt-get install bash)")
	}
	cmd := exec.Command(bash, "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestActionRunsTheCommand runs the action's last step with a program that prints its
// environment in place of the command: every INPUT_<NAME>, hyphens and all, reaches it through
// bash.
func TestActionRunsTheCommand(t *testing.T) {
	envPath, err := exec.LookPath("env")
	if err != nil {
		t.Fatal("env is missing: install coreutils")
	}
	script, keys := actionStep(t, "run")
	env := []string{"IMAGEGRID_BIN=" + envPath}
	for _, k := range keys {
		if k != "IMAGEGRID_BIN" {
			env = append(env, k+"=value of "+k)
		}
	}
	out, err := runBash(t, t.TempDir(), script, env)
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	got := map[string]bool{}
	for line := range strings.Lines(out) {
		got[strings.TrimSuffix(line, "\n")] = true
	}
	for _, kv := range env[1:] {
		if !got[kv] {
			t.Errorf("the command did not receive %s", kv)
		}
	}
}

// TestActionBuildsTheCommand runs the action's build step with a stand-in go: it builds
// ./cmd/<command> into the runner's temp folder and outputs the path, and refuses a command
// that is not one of the three.
func TestActionBuildsTheCommand(t *testing.T) {
	script, _ := actionStep(t, "bin")
	fakeGo, err := filepath.Abs(filepath.Join("testdata", "fakego"))
	if err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		command string
		ok      bool
	}{
		{"matrix", true},
		{"build", true},
		{"publish", true},
		{"catalog", false},
		{"matrix; rm -rf /", false},
	}
	for _, tt := range tests {
		t.Run(tt.command, func(t *testing.T) {
			t.Parallel()
			tmp := t.TempDir()
			output := filepath.Join(tmp, "github_output")
			args := filepath.Join(tmp, "go_args")
			env := []string{
				"PATH=" + fakeGo + string(os.PathListSeparator) + os.Getenv("PATH"),
				"IMAGEGRID_COMMAND=" + tt.command,
				"RUNNER_TEMP=" + tmp,
				"GITHUB_OUTPUT=" + output,
				"FAKE_GO_ARGS=" + args,
			}
			out, err := runBash(t, root, script, env)
			if !tt.ok {
				if err == nil || !strings.Contains(out, "::error title=imagegrid::input command must be matrix, build or publish") {
					t.Errorf("command %q: err %v, output %q; want the error annotation", tt.command, err, out)
				}
				if _, err := os.Stat(args); err == nil {
					t.Errorf("command %q: go ran", tt.command)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			bin := filepath.Join(tmp, "imagegrid", tt.command)
			gotArgs, err := os.ReadFile(args)
			if err != nil {
				t.Fatal(err)
			}
			if want := "build\n-trimpath\n-o\n" + bin + "\n./cmd/" + tt.command + "\n"; string(gotArgs) != want {
				t.Errorf("go ran with %q, want %q", gotArgs, want)
			}
			gotOutput, err := os.ReadFile(output)
			if err != nil {
				t.Fatal(err)
			}
			if want := "path=" + bin + "\n"; string(gotOutput) != want {
				t.Errorf("step outputs %q, want %q", gotOutput, want)
			}
		})
	}
}
