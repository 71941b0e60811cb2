package workflowlint

import (
	"path/filepath"
	"testing"
)

// TestRepository lints the repository's own workflows, action.yml and Dockerfile: a finding
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
