package update

import (
	"fmt"
	"strings"

	"github.com/imagegrid/imagegrid/internal/catalog"
)

// Marker ends every pull request body imagegrid writes.
const Marker = "<!-- imagegrid:catalog -->"

// Body is the pull request body: a table of what changed and a link to the run.
func Body(applied []catalog.Applied, runURL string) string {
	var b strings.Builder
	b.WriteString("imagegrid points the TKr catalog at newly published images.\n\n")
	b.WriteString("| Cell | Infra | Image | Catalog object | Replaces |\n|---|---|---|---|---|\n")
	rows := 0
	for _, a := range applied {
		if len(a.Changes) == 0 {
			continue
		}
		for _, img := range a.Images {
			replaces := img.Replaces
			if replaces == "" {
				replaces = "—"
			}
			fmt.Fprintf(&b, "| `%s` | %s | `%s` | `%s` | %s |\n", a.Cell.ID, a.Infra, img.Describe(), img.Object, replaces)
			rows++
		}
	}
	if rows == 0 {
		b.WriteString("| — | | | | |\n")
	}
	var skipped []string
	for _, a := range applied {
		if a.Skipped != "" {
			skipped = append(skipped, fmt.Sprintf("- `%s`: %s", a.Cell.ID, a.Skipped))
		}
	}
	if len(skipped) > 0 {
		b.WriteString("\nNot in the catalog:\n" + strings.Join(skipped, "\n") + "\n")
	}
	if runURL != "" {
		fmt.Fprintf(&b, "\nPublished by run %s.\n", runURL)
	}
	b.WriteString("\n" + Marker + "\n")
	return b.String()
}
