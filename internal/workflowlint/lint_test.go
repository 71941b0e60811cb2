package workflowlint

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestRepository lints the repository's own workflows, action.yml and Dockerfile: any finding
// fails CI.
func TestRepository(t *testing.T) {
	findings, err := Repository(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range findings {
		t.Error(f)
	}
}

// TestActionlintCatchesInjection runs actionlint itself over the injected workflows: the
// title pasted into run: and a broken workflow are caught by it too, and the good one passes.
func TestActionlintCatchesInjection(t *testing.T) {
	root := filepath.Join("..", "..")
	rel := func(f string) string { return filepath.Join("internal", "workflowlint", "testdata", "workflows", f) }
	findings, err := Actionlint(root, []string{rel("untrusted-title.yml"), rel("good.yml")})
	if err != nil {
		t.Fatal(err)
	}
	if len(findings) != 1 || findings[0].File != rel("untrusted-title.yml") || findings[0].Rule != "actionlint/expression" ||
		!strings.Contains(findings[0].Message, "github.event.pull_request.title") {
		t.Errorf("actionlint findings:\n%s\nwant one expression finding on untrusted-title.yml", list(findings))
	}
}
