package publish

import (
	"fmt"
	"strings"
	"time"

	"github.com/imagegrid/imagegrid/internal/record"
)

// Summary renders publish records as the job summary's Markdown table:
// cell, infrastructure, where the image now is, status and duration.
func Summary(records []record.PublishRecord) string {
	var b strings.Builder
	b.WriteString("### Published images\n\n| Cell | Infra | Where | Status | Duration |\n|---|---|---|---|---|\n")
	for _, pr := range records {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", pr.Cell.ID, pr.Cell.Infra, cell(where(pr)), statusCell(pr), pr.Finished.Sub(pr.Started).Round(time.Second))
	}
	return b.String()
}

// FailedRegions lists the regions of a record's placements that failed, each as
// "<region>: <error>", for the publisher's error.
func FailedRegions(pr record.PublishRecord) []string {
	var failed []string
	for _, a := range pr.AMIs {
		if a.Status == record.PublishFailed {
			failed = append(failed, a.Region+": "+a.Error)
		}
	}
	for _, a := range pr.Azure {
		if a.Status == record.PublishFailed {
			failed = append(failed, a.Region+": "+a.Error)
		}
	}
	return failed
}

// Counts returns how many records have each status.
func Counts(records []record.PublishRecord) map[string]int {
	n := map[string]int{}
	for _, pr := range records {
		n[pr.Status]++
	}
	return n
}

func where(pr record.PublishRecord) string {
	var parts []string
	if v := pr.VSphere; v != nil {
		if v.Template != "" {
			parts = append(parts, fmt.Sprintf("%s `%s`", v.VCenter, v.Template))
		}
		if cl := v.ContentLibrary; cl != nil {
			parts = append(parts, fmt.Sprintf("%s library %s item `%s`", v.VCenter, cl.Library, cl.Item))
		}
	}
	for _, a := range pr.AMIs {
		id := a.ID
		if a.Status == record.PublishFailed {
			id = "failed"
		}
		parts = append(parts, fmt.Sprintf("%s `%s`", a.Region, id))
	}
	for _, a := range pr.Azure {
		version := a.ID[strings.LastIndex(a.ID, "/")+1:]
		if a.Status == record.PublishFailed {
			version = "failed"
		}
		parts = append(parts, fmt.Sprintf("%s `%s`", a.Region, version))
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, "<br>")
}

func statusCell(pr record.PublishRecord) string {
	if pr.Error == "" {
		return pr.Status
	}
	return pr.Status + ": " + cell(pr.Error)
}

// cell makes text safe inside a Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", "\\|")
	return strings.ReplaceAll(s, "\n", " ")
}
