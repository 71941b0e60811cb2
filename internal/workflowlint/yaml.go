package workflowlint

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// doc is one parsed YAML file with its source lines, so findings can point inside block
// scalars.
type doc struct {
	name  string
	lines []string
	root  *yaml.Node
	out   []Finding
}

// parse reads src as one YAML document; a syntax error becomes a finding.
func parse(name string, src []byte) (*doc, bool) {
	d := &doc{name: name, lines: strings.Split(string(src), "\n")}
	var n yaml.Node
	if err := yaml.Unmarshal(src, &n); err != nil {
		d.add(nil, RuleSyntax, "invalid YAML: %v", err)
		return d, false
	}
	d.root = deref(&n)
	if d.root == nil || d.root.Kind != yaml.MappingNode {
		d.add(nil, RuleSyntax, "want a YAML mapping at the top of the file")
		return d, false
	}
	return d, true
}

// add records a finding at n (line 1, column 1 when n is nil).
func (d *doc) add(n *yaml.Node, rule, format string, args ...any) {
	line, col := 1, 1
	if n != nil {
		line, col = n.Line, n.Column
	}
	d.addAt(line, col, rule, format, args...)
}

func (d *doc) addAt(line, col int, rule, format string, args ...any) {
	d.out = append(d.out, Finding{File: d.name, Line: line, Col: col, Rule: rule, Message: fmt.Sprintf(format, args...)})
}

// locate finds text in the source at or after (line, col), both 1-based, and returns its
// position; (line, col) itself when it is not found (e.g. text the YAML encoding changed).
func (d *doc) locate(line, col int, text string) (int, int) {
	for l := line; l >= 1 && l <= len(d.lines); l++ {
		from := 0
		if l == line {
			from = min(max(col-1, 0), len(d.lines[l-1]))
		}
		if i := strings.Index(d.lines[l-1][from:], text); i >= 0 {
			return l, from + i + 1
		}
	}
	return line, col
}

// deref follows documents and aliases to the node they stand for.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil {
		switch {
		case n.Kind == yaml.DocumentNode && len(n.Content) > 0:
			n = n.Content[0]
		case n.Kind == yaml.AliasNode:
			n = n.Alias
		default:
			return n
		}
	}
	return nil
}

// get returns the key and value nodes of key in mapping m (nil, nil when m is not a mapping or
// has no such key).
func get(m *yaml.Node, key string) (k, v *yaml.Node) {
	m = deref(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], deref(m.Content[i+1])
		}
	}
	return nil, nil
}

// value returns the value node of key in mapping m, or nil.
func value(m *yaml.Node, key string) *yaml.Node {
	_, v := get(m, key)
	return v
}

// each calls f for every key and value of mapping m.
func each(m *yaml.Node, f func(k, v *yaml.Node)) {
	m = deref(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		f(m.Content[i], deref(m.Content[i+1]))
	}
}

// items returns the elements of sequence s, dereferenced.
func items(s *yaml.Node) []*yaml.Node {
	s = deref(s)
	if s == nil || s.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]*yaml.Node, len(s.Content))
	for i, n := range s.Content {
		out[i] = deref(n)
	}
	return out
}

// scalar returns the value of a scalar node and whether n is one.
func scalar(n *yaml.Node) (string, bool) {
	if n = deref(n); n == nil || n.Kind != yaml.ScalarNode {
		return "", false
	}
	return n.Value, true
}

// walk calls f for every scalar below n, following aliases.
func walk(n *yaml.Node, f func(*yaml.Node)) {
	n = deref(n)
	if n == nil {
		return
	}
	if n.Kind == yaml.ScalarNode {
		f(n)
		return
	}
	for _, c := range n.Content {
		walk(c, f)
	}
}
