package propose

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/imagegrid/imagegrid/internal/catalog"
	"github.com/imagegrid/imagegrid/internal/record"
)

// A cell's checks in the body sit between these lines, so an update carries on the blocks of
// cells it did not publish again.
const (
	checksStart = "<!-- imagegrid:checks "
	checksEnd   = "<!-- /imagegrid:checks -->"
)

// checksSection renders, per cell, every node image report of its build (goss, the offline
// inspection, any other source): what Cluster API expects of a node image and what each
// source found. previous blocks are carried on for cells this run did not publish.
func checksSection(applied []catalog.Applied, previous string) string {
	blocks := parseChecks(previous)
	for _, a := range applied {
		if len(a.Changes) > 0 {
			blocks[a.Cell.ID] = checksBlock(a.Cell.ID, a.NodeImage)
		}
	}
	if len(blocks) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\nWhat each image was checked for (kubeadm, kubelet, kubectl at the cell's version, containerd, the images kubeadm needs, cloud-init):\n\n")
	for _, id := range slices.Sorted(maps.Keys(blocks)) {
		b.WriteString(blocks[id])
	}
	return b.String()
}

func checksBlock(cell string, reports []record.NodeImageReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s%s -->\n", checksStart, cell)
	if len(reports) == 0 {
		fmt.Fprintf(&b, "- `%s`: no node image report\n", cell)
	}
	for _, rep := range reports {
		summary := fmt.Sprintf("%s %s", rep.Source, rep.Verdict)
		if rep.Reason != "" {
			summary += ": " + rep.Reason
		}
		fmt.Fprintf(&b, "<details><summary><code>%s</code>: %s</summary>\n\n", cell, escapeCell(summary))
		b.WriteString("| check | expected | found | where | |\n|---|---|---|---|---|\n")
		for _, ch := range rep.Checks {
			mark := "✅"
			if !ch.OK {
				mark = "❌"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", escapeCell(ch.Name), escapeCell(ch.Expected), escapeCell(ch.Found), escapeCell(ch.Where), mark)
		}
		b.WriteString("\n</details>\n")
	}
	b.WriteString(checksEnd + "\n")
	return b.String()
}

// parseChecks returns the check blocks of a body Body wrote, by cell id.
func parseChecks(body string) map[string]string {
	blocks := map[string]string{}
	if !strings.Contains(body, Marker) {
		return blocks
	}
	for rest := body; ; {
		i := strings.Index(rest, checksStart)
		if i < 0 {
			return blocks
		}
		rest = rest[i:]
		j := strings.Index(rest, checksEnd)
		if j < 0 {
			return blocks
		}
		block := rest[:j+len(checksEnd)] + "\n"
		id, _, _ := strings.Cut(strings.TrimPrefix(block, checksStart), " ")
		blocks[id] = block
		rest = rest[j+len(checksEnd):]
	}
}

func escapeCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;").Replace(s)
}
