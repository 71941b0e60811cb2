package workflowlint

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestDockerfileRules(t *testing.T) {
	tests := []struct {
		file string
		want []string // "line: part of the message"
	}{
		{"single-stage.Dockerfile", []string{"1: a single stage"}},
		{"unpinned.Dockerfile", []string{
			"2: base image golang:1.26 is not pinned by digest",
			"5: base image gcr.io/distroless/static-debian12:nonroot is not pinned by digest",
			"7: COPY --from image docker:28-cli is not pinned by digest",
		}},
		{"root.Dockerfile", []string{"8: USER root:root runs the commands as root"}},
		{"no-user.Dockerfile", []string{
			"5: the final stage is based on builder",
			"5: the final stage sets no USER",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join("testdata", "dockerfiles", tt.file)
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			findings := CheckDockerfile(path, src)
			if len(findings) != len(tt.want) {
				t.Fatalf("findings:\n%s\nwant %d: %q", list(findings), len(tt.want), tt.want)
			}
			for i, f := range findings {
				line, part, _ := strings.Cut(tt.want[i], ": ")
				if f.File != path || f.Rule != RuleDockerfile || strconv.Itoa(f.Line) != line || !strings.Contains(f.Message, part) {
					t.Errorf("finding %d: %s\nwant line %s saying %q", i, f, line, part)
				}
			}
		})
	}
}

// TestDockerfileContinuations checks that instructions continued over several lines, with
// comments between them, are read as one, at the line they start on.
func TestDockerfileContinuations(t *testing.T) {
	src := "# comment\n\nFROM \\\n  golang:1.26 \\\n  # a comment inside\n  AS builder\nRUN echo\n"
	got := instructions(src)
	want := []instruction{{line: 3, cmd: "FROM", args: []string{"golang:1.26", "AS", "builder"}}, {line: 7, cmd: "RUN", args: []string{"echo"}}}
	if !slices.EqualFunc(got, want, func(a, b instruction) bool {
		return a.line == b.line && a.cmd == b.cmd && slices.Equal(a.args, b.args)
	}) {
		t.Errorf("instructions %+v, want %+v", got, want)
	}
}
