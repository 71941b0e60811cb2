package propose

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/actions"
)

func TestCatalogWarningsReachTheSummary(t *testing.T) {
	summary := filepath.Join(t.TempDir(), "summary")
	env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary}
	var log strings.Builder
	gh := actions.New(&log, func(k string) string { return env[k] })
	if err := warn(gh, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(summary); err == nil {
		t.Error("no warnings wrote a summary")
	}
	w := "pull request #1: could not request reviews from alice: 422 Reviews may only be requested from collaborators."
	if err := warn(gh, []string{w}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(summary)
	if !strings.Contains(string(got), "**Catalog warnings**") || !strings.Contains(string(got), "- "+w+"\n") {
		t.Errorf("summary %q", got)
	}
	if log.String() != "::warning title=catalog::"+w+"\n" {
		t.Errorf("annotation %q", log.String())
	}
}
