package propose

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/imagegrid/imagegrid/internal/catalog"
)

// Marker ends every pull request body imagegrid writes.
const Marker = "<!-- imagegrid:catalog -->"

const (
	tableHead  = "| Cell | Infra | Image | Catalog object | Replaces |\n|---|---|---|---|---|\n"
	runPrefix  = "Published by run "
	rowPrefix  = "| `"
	emptyTable = "| — | | | | |\n"
)

// Body is the pull request body: a table of what changed and links to the runs. previous is
// the body of the open pull request this run updates ("" for a new one): its rows for catalog
// objects this run did not touch, and its run links, are carried on, so the body describes
// everything on the branch and not only the last run.
func Body(applied []catalog.Applied, runURL, previous string) string {
	rows, objects := imageRows(applied)
	oldRows, runs := parseBody(previous)
	for _, r := range oldRows {
		if !objects[rowObject(r)] {
			rows = append(rows, r)
		}
	}
	slices.Sort(rows)
	if runURL != "" && !slices.Contains(runs, runURL) {
		runs = append(runs, runURL)
	}

	var b strings.Builder
	b.WriteString("imagegrid points the TKr catalog at newly published images.\n\n")
	b.WriteString(tableHead)
	for _, r := range rows {
		b.WriteString(r + "\n")
	}
	if len(rows) == 0 {
		b.WriteString(emptyTable)
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
	b.WriteString(checksSection(applied, previous))
	if len(runs) > 0 {
		b.WriteString("\n")
		for _, r := range runs {
			b.WriteString(runPrefix + r + ".\n")
		}
	}
	b.WriteString("\n" + Marker + "\n")
	return b.String()
}

// imageRows are the table rows of the images of applied that changed the catalog, and the
// catalog objects they name.
func imageRows(applied []catalog.Applied) ([]string, map[string]bool) {
	rows, objects := []string{}, map[string]bool{}
	for _, a := range applied {
		if len(a.Changes) == 0 {
			continue
		}
		for _, img := range a.Images {
			replaces := cmp.Or(img.Replaces, "—")
			rows = append(rows, fmt.Sprintf("| `%s` | %s | `%s` | `%s` | %s |", a.Cell.ID, a.Infra, img.Describe(), img.Object, replaces))
			objects[img.Object] = true
		}
	}
	return rows, objects
}

// parseBody reads the table rows and run links of a body Body wrote; anything else (a body
// someone else wrote) gives nothing.
func parseBody(body string) (rows, runs []string) {
	if !strings.Contains(body, Marker) {
		return nil, nil
	}
	for line := range strings.SplitSeq(body, "\n") {
		switch {
		case strings.HasPrefix(line, rowPrefix):
			rows = append(rows, line)
		case strings.HasPrefix(line, runPrefix):
			runs = append(runs, strings.TrimSuffix(strings.TrimPrefix(line, runPrefix), "."))
		}
	}
	return rows, runs
}

// rowObject is the catalog object column of a table row: the key a newer row replaces.
func rowObject(row string) string {
	cells := strings.Split(row, "|")
	if len(cells) < 5 {
		return ""
	}
	return strings.Trim(strings.TrimSpace(cells[4]), "`")
}
