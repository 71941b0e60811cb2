package lint

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The linters, pinned. `go run pkg@version` builds each from the module proxy outside this
// module's build list, so they add nothing to go.mod and change no dependency of imagegrid.
const (
	staticcheck = "honnef.co/go/tools/cmd/staticcheck@v0.8.2"
	deadcode    = "golang.org/x/tools/cmd/deadcode@v0.52.0"
	gocyclo     = "github.com/fzipp/gocyclo/cmd/gocyclo@v0.6.0"

	// maxComplexity bounds the cyclomatic complexity of production functions (tests are
	// exempt: a table test's loop and checks count, and splitting it hides the table). A
	// function above it keeps its place only with the reason in its doc comment, on a line
	// that says "cyclomatic".
	maxComplexity = 15
)

// A linter is one go command run at the module root and the reader of its output lines.
type linter struct {
	name  string
	args  []string
	parse func(line string) (finding, bool)
}

// linters run in this order; deadcode's -test keeps test helpers alive and makes every test
// a root besides the main packages under ./... (cmd/*, bench).
var linters = []linter{
	{"vet", []string{"vet", "./..."}, positioned("vet")},
	{"staticcheck", []string{"run", staticcheck, "./..."}, positioned("staticcheck")},
	{"deadcode", []string{"run", deadcode, "-test", "./..."}, positioned("deadcode")},
	{"gocyclo", []string{"run", gocyclo, "-over", strconv.Itoa(maxComplexity), "-ignore", `_test\.go$|(^|/)testdata/`, "."}, cyclomatic},
}

// A finding is one report of a linter.
type finding struct {
	tool, file string
	line, col  int
	text       string
}

func (f finding) String() string {
	return fmt.Sprintf("%s:%d:%d: %s: %s", f.file, f.line, f.col, f.tool, f.text)
}

// at is f at line and col (the digits a linter printed), its file in slash form.
func (f finding) at(line, col string) finding {
	f.line, _ = strconv.Atoi(line)
	f.col, _ = strconv.Atoi(col)
	f.file = filepath.ToSlash(f.file)
	return f
}

var positionRE = regexp.MustCompile(`^(.+?\.go):(\d+):(\d+): (.+)$`)

// positioned reads the file:line:col: message lines of vet, staticcheck and deadcode.
func positioned(tool string) func(string) (finding, bool) {
	return func(line string) (finding, bool) {
		m := positionRE.FindStringSubmatch(line)
		if m == nil {
			return finding{}, false
		}
		f := finding{tool: tool, file: strings.TrimPrefix(m[1], "./"), text: m[4]}
		return f.at(m[2], m[3]), true
	}
}

var cyclomaticRE = regexp.MustCompile(`^(\d+) (\S+) (.+) (\S+\.go):(\d+):(\d+)$`)

// cyclomatic reads gocyclo's "26 build (*plan).planFiles internal/build/build.go:296:1".
func cyclomatic(line string) (finding, bool) {
	m := cyclomaticRE.FindStringSubmatch(line)
	if m == nil {
		return finding{}, false
	}
	f := finding{
		tool: "gocyclo", file: m[4],
		text: fmt.Sprintf("%s has cyclomatic complexity %s (over %d): split it, or give the reason in its doc comment", m[3], m[1], maxComplexity),
	}
	return f.at(m[5], m[6]), true
}

// noise is what the go command says besides the findings: module downloads, vet's package
// headers and go run's echo of the tool's exit status.
func noise(line string) bool {
	return line == "" || strings.HasPrefix(line, "go: downloading ") || strings.HasPrefix(line, "# ") || strings.HasPrefix(line, "exit status ")
}

// justified reports whether the function declared at line of file (1-based) gives the reason
// for its complexity in its doc comment.
func justified(root string, f finding) (bool, error) {
	data, err := os.ReadFile(filepath.Join(root, f.file))
	if err != nil {
		return false, err
	}
	lines := strings.Split(string(data), "\n")
	for i := f.line - 2; i >= 0 && i < len(lines); i-- {
		l := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(l, "//") {
			break
		}
		if strings.Contains(strings.ToLower(l), "cyclomatic") {
			return true, nil
		}
	}
	return false, nil
}

// run runs one linter at root and returns its findings, failing the test when the linter
// itself failed (exit status without findings, or lines it could not read).
func run(t *testing.T, root string, l linter) []finding {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "go", l.args...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	var findings []finding
	var other []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if f, ok := l.parse(line); ok {
			findings = append(findings, f)
		} else if !noise(line) {
			other = append(other, line)
		}
	}
	if err != nil && (len(findings) == 0 || len(other) > 0) {
		t.Fatalf("go %s: %v\n%s", strings.Join(l.args, " "), err, out)
	}
	return findings
}

// unexcused are the findings that no reason in the code (a complex function's doc comment)
// excuses.
func unexcused(root string, findings []finding) ([]string, error) {
	var report []string
	for _, f := range findings {
		if f.tool == "gocyclo" {
			ok, err := justified(root, f)
			if err != nil {
				return nil, err
			}
			if ok {
				continue
			}
		}
		report = append(report, f.String())
	}
	return report, nil
}

// TestLinters runs every linter over the module and fails with the list of its findings.
func TestLinters(t *testing.T) {
	if testing.Short() && os.Getenv("CI") != "true" {
		t.Skip("-short: the linters take minutes; go test ./... and CI run them")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root: %v", err)
	}
	for _, l := range linters {
		t.Run(l.name, func(t *testing.T) {
			report, err := unexcused(root, run(t, root, l))
			if err != nil {
				t.Fatal(err)
			}
			if len(report) > 0 {
				t.Errorf("%s reports %d finding(s); fix them:\n\t%s", l.name, len(report), strings.Join(report, "\n\t"))
			}
		})
	}
}

// TestReadsEachLinter checks the readers of the linters' output on lines each prints.
func TestReadsEachLinter(t *testing.T) {
	tests := []struct {
		linter string
		line   string
		want   finding
		ok     bool
	}{
		{"vet", "internal/x/x.go:3:4: fmt.Printf format %d has arg s of wrong type string",
			finding{tool: "vet", file: "internal/x/x.go", line: 3, col: 4, text: "fmt.Printf format %d has arg s of wrong type string"}, true},
		{"vet", "./cmd/build/main.go:10:2: unreachable code",
			finding{tool: "vet", file: "cmd/build/main.go", line: 10, col: 2, text: "unreachable code"}, true},
		{"vet", "# github.com/imagegrid/imagegrid/internal/x", finding{}, false},
		{"staticcheck", "internal/github/github.go:166:11: github.com/google/go-github/v93/github.Ptr is deprecated: use the new builtin instead.  (SA1019)",
			finding{tool: "staticcheck", file: "internal/github/github.go", line: 166, col: 11, text: "github.com/google/go-github/v93/github.Ptr is deprecated: use the new builtin instead.  (SA1019)"}, true},
		{"deadcode", "internal/actions/actions.go:113:18: unreachable func: Runner.Notice",
			finding{tool: "deadcode", file: "internal/actions/actions.go", line: 113, col: 18, text: "unreachable func: Runner.Notice"}, true},
		{"gocyclo", "28 github (*Client).propose internal/github/github.go:123:1",
			finding{tool: "gocyclo", file: "internal/github/github.go", line: 123, col: 1,
				text: "(*Client).propose has cyclomatic complexity 28 (over 15): split it, or give the reason in its doc comment"}, true},
		{"gocyclo", "go: downloading github.com/fzipp/gocyclo v0.6.0", finding{}, false},
	}
	byName := map[string]linter{}
	for _, l := range linters {
		byName[l.name] = l
	}
	for _, tt := range tests {
		t.Run(tt.linter, func(t *testing.T) {
			got, ok := byName[tt.linter].parse(tt.line)
			if ok != tt.ok || got != tt.want {
				t.Errorf("parse(%q) = %+v, %v; want %+v, %v", tt.line, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// TestExcusesOnlyWhatItShould checks that a reason in a complex function's doc comment excuses
// exactly its function's complexity.
func TestExcusesOnlyWhatItShould(t *testing.T) {
	root := t.TempDir()
	src := "package a\n\n// f does much.\n// Cyclomatic 20: one flat switch over the header reads best whole.\nfunc f() {}\n\n// g does much.\nfunc g() {}\n"
	if err := os.WriteFile(filepath.Join(root, "a.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	findings := []finding{
		{tool: "gocyclo", file: "a.go", line: 5, col: 1, text: "f is complex"},
		{tool: "gocyclo", file: "a.go", line: 8, col: 1, text: "g is complex"},
		{tool: "staticcheck", file: "a.go", line: 5, col: 6, text: "deprecated (SA1019)"},
		{tool: "staticcheck", file: "a.go", line: 8, col: 6, text: "capitalised (ST1005)"},
	}
	got, err := unexcused(root, findings)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a.go:8:1: gocyclo: g is complex", "a.go:5:6: staticcheck: deprecated (SA1019)", "a.go:8:6: staticcheck: capitalised (ST1005)"}
	if !slices.Equal(got, want) {
		t.Errorf("unexcused = %q; want %q", got, want)
	}
}
