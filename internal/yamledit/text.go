package yamledit

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// text indexes the lines of a document's source so that node positions (line and column, as
// yaml.v3 reports them) become byte offsets.
type text struct {
	src    []byte
	starts []int
	nl     string
}

func newText(src []byte) *text {
	t := &text{src: src, starts: []int{0}, nl: "\n"}
	for i, c := range src {
		if c == '\n' && i+1 < len(src) {
			t.starts = append(t.starts, i+1)
		}
	}
	if bytes.Contains(src, []byte("\r\n")) {
		t.nl = "\r\n"
	}
	return t
}

// offset is the byte offset of n's first character.
func (t *text) offset(n *yaml.Node) int {
	off := t.starts[n.Line-1]
	for col := 1; col < n.Column && off < len(t.src); col++ {
		_, size := utf8.DecodeRune(t.src[off:])
		off += size
	}
	return off
}

// line is line i (from 0) without its line break.
func (t *text) line(i int) string {
	return strings.TrimRight(string(t.src[t.starts[i]:t.after(i)]), "\r\n")
}

// after is the offset just past line i's line break (or the end of the source).
func (t *text) after(i int) int {
	if i+1 < len(t.starts) {
		return t.starts[i+1]
	}
	return len(t.src)
}

// indent is the indentation of line i, and whether the line holds no content (blank or a
// comment).
func (t *text) indent(i int) (int, bool) {
	l := t.line(i)
	trimmed := strings.TrimLeft(l, " ")
	return len(l) - len(trimmed), trimmed == "" || trimmed[0] == '#'
}

// blockEnd is the last line of the block entry that starts on line first at the given
// indentation: the following lines indented deeper (and, for a mapping entry, a compact
// sequence at the same indentation). Trailing blank and comment lines are not part of it.
func (t *text) blockEnd(first, indent int, mappingEntry bool) int {
	last := first
	for i := first + 1; i < len(t.starts); i++ {
		ind, empty := t.indent(i)
		switch {
		case empty:
			continue
		case ind > indent:
			last = i
			continue
		case ind == indent && mappingEntry && isSequenceLine(t.line(i)[ind:]):
			last = i
			continue
		}
		break
	}
	return last
}

func isSequenceLine(s string) bool {
	return s == "-" || strings.HasPrefix(s, "- ")
}

// splice replaces src[start:end] with insert.
func splice(src []byte, start, end int, insert string) []byte {
	out := make([]byte, 0, len(src)-(end-start)+len(insert))
	out = append(out, src[:start]...)
	out = append(out, insert...)
	return append(out, src[end:]...)
}

// insertAfterLine inserts block (whole lines, each ending in a line break) after line i.
func (t *text) insertAfterLine(i int, block string) []byte {
	at := t.after(i)
	if at == len(t.src) && len(t.src) > 0 && t.src[len(t.src)-1] != '\n' {
		block = t.nl + block
	}
	return splice(t.src, at, at, block)
}

// scalarEnd is the offset just past the scalar token that starts at off.
func (t *text) scalarEnd(n *yaml.Node, off int, flow bool) (int, error) {
	switch {
	case n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0:
		end := quotedEnd(t.src, off)
		if end == len(t.src) {
			return 0, fmt.Errorf("line %d: unterminated quoted scalar", n.Line)
		}
		return end + 1, nil
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		return 0, fmt.Errorf("line %d: a block scalar cannot be edited in place", n.Line)
	}
	end := t.plainEnd(off, flow)
	if string(t.src[off:end]) != n.Value {
		return 0, fmt.Errorf("line %d: the scalar %q spans several lines and cannot be edited in place", n.Line, n.Value)
	}
	return end, nil
}

// plainEnd is the offset just past the plain scalar that starts at off: the end of its line,
// a comment or, in flow context, an indicator, less trailing blanks.
func (t *text) plainEnd(off int, flow bool) int {
	src := t.src
	end := off
	for end < len(src) && src[end] != '\n' && src[end] != '\r' {
		if src[end] == '#' && end > off && (src[end-1] == ' ' || src[end-1] == '\t') {
			break
		}
		if flow && strings.IndexByte(",]}", src[end]) >= 0 {
			break
		}
		end++
	}
	for end > off && (src[end-1] == ' ' || src[end-1] == '\t') {
		end--
	}
	return end
}

// quotedEnd is the offset of the quote that closes the quoted scalar opened by the quote at
// off, or len(src) when none does. In double quotes a backslash escapes the next byte; in
// single quotes a quote is written twice.
func quotedEnd(src []byte, off int) int {
	q := src[off]
	for i := off + 1; i < len(src); i++ {
		switch {
		case q == '"' && src[i] == '\\':
			i++
		case q == '\'' && src[i] == '\'' && i+1 < len(src) && src[i+1] == '\'':
			i++
		case src[i] == q:
			return i
		}
	}
	return len(src)
}

// flowEnd scans a flow collection or flow item that starts at off and returns the offset of
// the first ',' or closing bracket at its own level (for a collection starting at off: the
// offset of its closing bracket).
func (t *text) flowEnd(off int) (int, error) {
	src := t.src
	depth := 0
	for i := off; i < len(src); i++ {
		switch src[i] {
		case '"', '\'':
			i = quotedEnd(src, i)
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth <= 0 {
				return i, nil
			}
		case ',':
			if depth == 0 {
				return i, nil
			}
		}
	}
	return 0, fmt.Errorf("unterminated flow collection")
}
