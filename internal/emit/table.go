package emit

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/imagegrid/imagegrid/internal/plan"
)

// JSON writes the cells to build as one JSON array, and nothing else: one cell a line, so
// the array streams out however large it is and line tools can still read it.
func JSON(w io.Writer, p plan.Plan) error {
	bw := bufio.NewWriter(w)
	var line bytes.Buffer
	enc := json.NewEncoder(&line) // reused: one buffer for every cell
	bw.WriteString("[")
	for i, d := range p.Build {
		if i > 0 {
			bw.WriteString(",")
		}
		line.Reset()
		if err := enc.Encode(d.Cell); err != nil {
			return fmt.Errorf("write cells: %w", err)
		}
		bw.WriteString("\n")
		bw.Write(bytes.TrimSuffix(line.Bytes(), []byte("\n")))
	}
	bw.WriteString("\n]\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write cells: %w", err)
	}
	return nil
}

// Table writes the plan for people: the cells to build, then the skipped ones with reasons.
func Table(w io.Writer, p plan.Plan) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(p.Build) > 0 {
		fmt.Fprintln(tw, "CELL\tKUBERNETES\tTKR\tTARGET\tKEY\tWHY")
		for _, d := range p.Build {
			c := d.Cell
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Kubernetes.Semver, cmp.Or(c.Kubernetes.TKr, "-"), c.Target.Build, c.ShortKey(), d.Reason)
		}
	}
	if len(p.Skipped) > 0 {
		if len(p.Build) > 0 {
			fmt.Fprintln(tw)
		}
		fmt.Fprintln(tw, "SKIPPED\tKEY\tWHY")
		for _, d := range p.Skipped {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", d.Cell.ID, d.Cell.ShortKey(), d.Reason)
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	_, err := fmt.Fprintln(w, Total(p))
	return err
}

// Total is the one-line outcome: "21 cells to build, 3 skipped".
func Total(p plan.Plan) string {
	if len(p.Build) == 0 {
		return fmt.Sprintf("nothing to build: %d %s skipped", len(p.Skipped), plural(len(p.Skipped), "cell", "cells"))
	}
	return fmt.Sprintf("%d %s to build, %d skipped", len(p.Build), plural(len(p.Build), "cell", "cells"), len(p.Skipped))
}

// Summary is the plan as a Markdown job summary.
func Summary(p plan.Plan) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### imagegrid plan\n\n%s\n\n", Total(p))
	if len(p.Build) > 0 {
		b.WriteString("| cell | kubernetes | target | build key | why |\n|---|---|---|---|---|\n")
		for _, d := range p.Build {
			c := d.Cell
			fmt.Fprintf(&b, "| `%s` | %s | `%s` | `%s` | %s |\n", c.ID, c.Kubernetes.Semver, c.Target.Build, c.ShortKey(), escape(d.Reason))
		}
	}
	if len(p.Skipped) > 0 {
		fmt.Fprintf(&b, "\n<details><summary>%d skipped</summary>\n\n| cell | build key | why |\n|---|---|---|\n", len(p.Skipped))
		for _, d := range p.Skipped {
			fmt.Fprintf(&b, "| `%s` | `%s` | %s |\n", d.Cell.ID, d.Cell.ShortKey(), escape(d.Reason))
		}
		b.WriteString("\n</details>\n")
	}
	return b.String()
}

func escape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
