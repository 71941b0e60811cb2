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
	{"vet", []string{"vet", "./..."}, positioned("vet", func(msg string) string { return msg })},
	{"staticcheck", []string{"run", staticcheck, "./..."}, positioned("staticcheck", checkID)},
	{"deadcode", []string{"run", deadcode, "-test", "./..."}, positioned("deadcode", unreachable)},
	{"gocyclo", []string{"run", gocyclo, "-over", strconv.Itoa(maxComplexity), "-ignore", `_test\.go$|(^|/)testdata/`, "."}, cyclomatic},
}

// A finding is one report of a linter, keyed for exclusions.txt without its line number so an
// exclusion survives edits elsewhere in the file.
type finding struct {
	tool, file string
	line, col  int
	key, text  string
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

// positioned reads the file:line:col: message lines of vet, staticcheck and deadcode; key
// picks the part of the message an exclusion names.
func positioned(tool string, key func(msg string) string) func(string) (finding, bool) {
	return func(line string) (finding, bool) {
		m := positionRE.FindStringSubmatch(line)
		if m == nil {
			return finding{}, false
		}
		f := finding{tool: tool, file: strings.TrimPrefix(m[1], "./"), key: key(m[4]), text: m[4]}
		return f.at(m[2], m[3]), true
	}
}

var checkIDRE = regexp.MustCompile(`\(([A-Z]+[0-9]+)\)$`)

// checkID is staticcheck's check id, the "(SA1019)" that ends its message.
func checkID(msg string) string {
	if m := checkIDRE.FindStringSubmatch(msg); m != nil {
		return m[1]
	}
	return msg
}

// unreachable is the function deadcode names in "unreachable func: Runner.Notice".
func unreachable(msg string) string { return strings.TrimPrefix(msg, "unreachable func: ") }

var cyclomaticRE = regexp.MustCompile(`^(\d+) (\S+) (.+) (\S+\.go):(\d+):(\d+)$`)

// cyclomatic reads gocyclo's "26 build (*plan).planFiles internal/build/build.go:296:1".
func cyclomatic(line string) (finding, bool) {
	m := cyclomaticRE.FindStringSubmatch(line)
	if m == nil {
		return finding{}, false
	}
	f := finding{
		tool: "gocyclo", file: m[4], key: m[3],
		text: fmt.Sprintf("%s has cyclomatic complexity %s (over %d): split it, or give the reason in its doc comment", m[3], m[1], maxComplexity),
	}
	return f.at(m[5], m[6]), true
}

// noise is what the go command says besides the findings: module downloads, vet's package
// headers and go run's echo of the tool's exit status.
func noise(line string) bool {
	return line == "" || strings.HasPrefix(line, "go: downloading ") || strings.HasPrefix(line, "# ") || strings.HasPrefix(line, "exit status ")
}

// An exclusion is one line of exclusions.txt: tool, file and key, separated by white space
// (the key is the rest of the line).
type exclusion struct {
	line            int
	tool, file, key string
}

func readExclusions(t *testing.T, path string) []exclusion {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []exclusion
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 3 {
			t.Fatalf("%s:%d:1: want \"tool file key\", got %q", path, i+1, line)
		}
		tool := fields[0]
		if !strings.Contains(" vet staticcheck deadcode gocyclo ", " "+tool+" ") {
			t.Fatalf("%s:%d:1: tool %q: want one of vet, staticcheck, deadcode, gocyclo", path, i+1, tool)
		}
		key := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(line, tool)), fields[1]))
		out = append(out, exclusion{line: i + 1, tool: tool, file: fields[1], key: key})
	}
	return out
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

// unexcused are the findings that neither a reason in the code (a complex function's doc
// comment) nor an exclusion excuses; used marks the exclusions that excused one.
func unexcused(root string, findings []finding, exclusions []exclusion, used []bool) ([]string, error) {
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
		excluded := false
		for i, e := range exclusions {
			if e.tool == f.tool && e.file == f.file && e.key == f.key {
				used[i], excluded = true, true
			}
		}
		if !excluded {
			report = append(report, f.String())
		}
	}
	return report, nil
}

// TestLinters runs every linter over the module and fails with the list of findings that no
// line of exclusions.txt names, and with every line of exclusions.txt that names no finding.
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
	exclusions := readExclusions(t, "exclusions.txt")
	used := make([]bool, len(exclusions))
	ran := map[string]bool{}
	for _, l := range linters {
		t.Run(l.name, func(t *testing.T) {
			report, err := unexcused(root, run(t, root, l), exclusions, used)
			if err != nil {
				t.Fatal(err)
			}
			ran[l.name] = true
			if len(report) > 0 {
				t.Errorf("%s reports %d finding(s); fix them (an entry in internal/lint/exclusions.txt is only for a fix under way elsewhere):\n\t%s",
					l.name, len(report), strings.Join(report, "\n\t"))
			}
		})
	}
	for i, e := range exclusions {
		if ran[e.tool] && !used[i] {
			t.Errorf("exclusions.txt:%d:1: %s %s %q matches no finding any more: delete the line", e.line, e.tool, e.file, e.key)
		}
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
			finding{tool: "vet", file: "internal/x/x.go", line: 3, col: 4, key: "fmt.Printf format %d has arg s of wrong type string", text: "fmt.Printf format %d has arg s of wrong type string"}, true},
		{"vet", "./cmd/build/main.go:10:2: unreachable code",
			finding{tool: "vet", file: "cmd/build/main.go", line: 10, col: 2, key: "unreachable code", text: "unreachable code"}, true},
		{"vet", "# github.com/imagegrid/imagegrid/internal/x", finding{}, false},
		{"staticcheck", "internal/github/github.go:166:11: github.com/google/go-github/v93/github.Ptr is deprecated: use the new builtin instead.  (SA1019)",
			finding{tool: "staticcheck", file: "internal/github/github.go", line: 166, col: 11, key: "SA1019", text: "github.com/google/go-github/v93/github.Ptr is deprecated: use the new builtin instead.  (SA1019)"}, true},
		{"deadcode", "internal/actions/actions.go:113:18: unreachable func: Runner.Notice",
			finding{tool: "deadcode", file: "internal/actions/actions.go", line: 113, col: 18, key: "Runner.Notice", text: "unreachable func: Runner.Notice"}, true},
		{"gocyclo", "28 github (*Client).propose internal/github/github.go:123:1",
			finding{tool: "gocyclo", file: "internal/github/github.go", line: 123, col: 1, key: "(*Client).propose",
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

// TestExcusesOnlyWhatItShould checks that a reason in a complex function's doc comment and an
// exclusion each excuse exactly their finding.
func TestExcusesOnlyWhatItShould(t *testing.T) {
	root := t.TempDir()
	src := "package a\n\n// f does much.\n// Cyclomatic 20: one flat switch over the header reads best whole.\nfunc f() {}\n\n// g does much.\nfunc g() {}\n"
	if err := os.WriteFile(filepath.Join(root, "a.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	findings := []finding{
		{tool: "gocyclo", file: "a.go", line: 5, col: 1, key: "f", text: "f is complex"},
		{tool: "gocyclo", file: "a.go", line: 8, col: 1, key: "g", text: "g is complex"},
		{tool: "staticcheck", file: "a.go", line: 5, col: 6, key: "SA1019", text: "deprecated (SA1019)"},
		{tool: "staticcheck", file: "a.go", line: 8, col: 6, key: "ST1005", text: "capitalised (ST1005)"},
	}
	exclusions := []exclusion{{line: 1, tool: "staticcheck", file: "a.go", key: "SA1019"}, {line: 2, tool: "deadcode", file: "a.go", key: "f"}}
	used := make([]bool, len(exclusions))
	got, err := unexcused(root, findings, exclusions, used)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a.go:8:1: gocyclo: g is complex", "a.go:8:6: staticcheck: capitalised (ST1005)"}
	if !slices.Equal(got, want) || !slices.Equal(used, []bool{true, false}) {
		t.Errorf("unexcused = %q, used %v; want %q, used [true false]", got, used, want)
	}
}
