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
	"unicode/utf8"

	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/selection"
)

// Writer writes a selection for people or tools as its decisions come, in the order of the cells:
// a cell to build is written when it arrives, so a selection of many cells is never held whole;
// the skipped ones (a few strings each) are kept for the end, where both formats list them.
type Writer interface {
	// Add writes or keeps one decision: build says whether its cell is built.
	Add(d selection.Decision, build bool) error
	// Close writes what comes last (the skipped cells, the total) and flushes.
	Close() error
}

// skip is what the formats print of a skipped cell.
type skip struct{ id, key, reason string }

// tally implements Add for both formats: it keeps the skipped decisions, and counts and
// writes (with write) the ones to build.
type tally struct {
	built   int
	skipped []skip
	write   func(d selection.Decision, first bool) error
}

func (t *tally) Add(d selection.Decision, build bool) error {
	if !build {
		t.skipped = append(t.skipped, skip{d.Cell.ID, d.Cell.ShortKey(), d.Reason})
		return nil
	}
	t.built++
	return t.write(d, t.built == 1)
}

func (t *tally) total() string { return Total(t.built, len(t.skipped)) }

// NewJSON writes the cells to build to w as one JSON array, and nothing else: one cell a
// line, so the array streams out however large it is and line tools can still read it. The
// total and the skipped cells go to log.
func NewJSON(w, log io.Writer) Writer {
	j := &jsonWriter{w: bufio.NewWriter(w), log: log}
	j.enc = json.NewEncoder(&j.line) // reused: one buffer for every cell
	j.tally.write = j.add
	j.w.WriteString("[")
	return j
}

type jsonWriter struct {
	w    *bufio.Writer
	log  io.Writer
	line bytes.Buffer
	enc  *json.Encoder
	// cell holds the cell being encoded: encoding a cell given by value would put a copy of
	// it on the heap for every cell.
	cell record.Cell
	tally
}

func (j *jsonWriter) add(d selection.Decision, first bool) error {
	if !first {
		j.w.WriteString(",")
	}
	j.line.Reset()
	j.cell = d.Cell
	if err := j.enc.Encode(&j.cell); err != nil {
		return fmt.Errorf("write cells: %w", err)
	}
	j.w.WriteString("\n")
	j.w.Write(bytes.TrimSuffix(j.line.Bytes(), []byte("\n")))
	return nil
}

func (j *jsonWriter) Close() error {
	j.w.WriteString("\n]\n")
	if err := j.w.Flush(); err != nil {
		return fmt.Errorf("write cells: %w", err)
	}
	fmt.Fprintln(j.log, j.total())
	for _, s := range j.skipped {
		fmt.Fprintf(j.log, "skipped %s: %s\n", s.id, s.reason)
	}
	return nil
}

// NewTable writes the selection for people: the cells to build, then the skipped ones with
// reasons, then the total, in columns aligned as text/tabwriter aligns them (see align). The
// rows wait as bare text until every width is known: a tenth of what tabwriter holds per
// row, which at 100,000 cells was over 100 MiB.
func NewTable(w io.Writer) Writer {
	t := &tableWriter{w: w}
	t.tally.write = t.row
	return t
}

type tableWriter struct {
	w    io.Writer
	text []byte // the table so far: lines of cells separated by tabs
	tally
}

func (t *tableWriter) row(d selection.Decision, first bool) error {
	if first {
		t.text = append(t.text, "CELL\tKUBERNETES\tTKR\tTARGET\tKEY\tWHY\n"...)
	}
	c := d.Cell
	t.text = fmt.Appendf(t.text, "%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Kubernetes.Semver, cmp.Or(c.Kubernetes.TKr, "-"), c.Target.Build, c.ShortKey(), d.Reason)
	return nil
}

func (t *tableWriter) Close() error {
	if len(t.skipped) > 0 {
		if t.built > 0 {
			t.text = append(t.text, '\n')
		}
		t.text = append(t.text, "SKIPPED\tKEY\tWHY\n"...)
		for _, s := range t.skipped {
			t.text = fmt.Appendf(t.text, "%s\t%s\t%s\n", s.id, s.key, s.reason)
		}
	}
	if err := align(t.w, t.text); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	_, err := fmt.Fprintln(t.w, t.total())
	return err
}

// padding is the space between two columns of a table.
const padding = 2

// align writes text, lines of cells separated by tabs, as
// tabwriter.NewWriter(w, 0, 4, padding, ' ', 0) does: a column block is a run of lines that
// have a cell in that column (a line's last cell is in none), and each cell of a block is
// padded with spaces to the widest of its column plus padding. The table's blocks are runs
// of lines of as many cells each, set apart by lines without a tab; text that is not made
// so (a reason holding a tab or a newline, or a byte tabwriter reads as a control) goes
// through tabwriter itself, which then holds it all.
func align(w io.Writer, text []byte) error {
	widths, ok := blockWidths(text)
	if !ok {
		tw := tabwriter.NewWriter(w, 0, 4, padding, ' ', 0)
		if _, err := tw.Write(text); err != nil {
			return err
		}
		return tw.Flush()
	}
	bw := bufio.NewWriter(w)
	block := 0
	inBlock := false
	for line := range bytes.Lines(text) {
		if bytes.IndexByte(line, '\t') < 0 {
			if inBlock {
				block, inBlock = block+1, false
			}
			bw.Write(line)
			continue
		}
		inBlock = true
		for j, cell := range splitCells(line) {
			bw.Write(cell)
			if j < len(widths[block]) {
				pad(bw, widths[block][j]-utf8.RuneCount(cell))
			}
		}
	}
	return bw.Flush()
}

// blockWidths returns the width of each column of each block of text (see align), in
// order, or false when its blocks are not runs of lines of as many cells each.
func blockWidths(text []byte) ([][]int, bool) {
	if bytes.ContainsAny(text, "\v\f\xff") || len(text) > 0 && text[len(text)-1] != '\n' {
		return nil, false
	}
	var blocks [][]int
	var cur []int // the current block's widths; nil between blocks
	for line := range bytes.Lines(text) {
		n := bytes.Count(line, []byte{'\t'})
		if n == 0 {
			if cur != nil {
				blocks, cur = append(blocks, cur), nil
			}
			continue
		}
		if cur == nil {
			cur = make([]int, n)
		} else if len(cur) != n {
			return nil, false
		}
		for j, cell := range splitCells(line)[:n] {
			cur[j] = max(cur[j], utf8.RuneCount(cell)+padding)
		}
	}
	if cur != nil {
		blocks = append(blocks, cur)
	}
	return blocks, true
}

// pad writes n spaces.
func pad(w *bufio.Writer, n int) {
	const spaces = "                                "
	for n > 0 {
		k := min(n, len(spaces))
		w.WriteString(spaces[:k])
		n -= k
	}
}

// splitCells splits a line at its tabs, the newline staying with the last cell.
func splitCells(line []byte) [][]byte { return bytes.Split(line, []byte{'\t'}) }

// Write writes a selection held in memory through w, build decisions first.
func Write(w Writer, p selection.Selection) error {
	for _, d := range p.Build {
		if err := w.Add(d, true); err != nil {
			return err
		}
	}
	for _, d := range p.Skipped {
		if err := w.Add(d, false); err != nil {
			return err
		}
	}
	return w.Close()
}

// Total is the one-line outcome: "21 cells to build, 3 skipped".
func Total(built, skipped int) string {
	if built == 0 {
		return fmt.Sprintf("nothing to build: %d %s skipped", skipped, plural(skipped, "cell", "cells"))
	}
	return fmt.Sprintf("%d %s to build, %d skipped", built, plural(built, "cell", "cells"), skipped)
}

// Summary is the selection as a Markdown job summary.
func Summary(p selection.Selection) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### imagegrid plan\n\n%s\n\n", Total(len(p.Build), len(p.Skipped)))
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
