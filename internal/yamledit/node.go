package yamledit

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// nested builds the node {path[0]: {path[1]: … value}}, or the scalar value for an empty path.
func nested(path []string, value string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value}
	for i := len(path) - 1; i >= 0; i-- {
		n = Mapping(path[i], n)
	}
	return n
}

// Mapping builds a block mapping node from key, value pairs (values are strings or nodes).
func Mapping(kv ...any) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for i := 0; i+1 < len(kv); i += 2 {
		v, ok := kv[i+1].(*yaml.Node)
		if !ok {
			v = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: kv[i+1].(string)}
		}
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: kv[i].(string)}, v)
	}
	return m
}

// renderScalar writes value as a YAML token in the given style (plain when it can be).
func renderScalar(value string, style yaml.Style, flow bool) (string, error) {
	style &= yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle
	token, err := render(&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value, Style: style}, twoSpaces)
	if err != nil {
		return "", err
	}
	if flow && style == 0 && strings.ContainsAny(token, ",[]{}") {
		return renderScalar(value, yaml.DoubleQuotedStyle, flow)
	}
	return strings.TrimSuffix(token, "\n"), nil
}

// style is how a document indents: the width of a nesting level, and whether block
// sequences sit at their key's column ("key:\n- a", compact) or one level deeper.
type style struct {
	indent  int
	compact bool
}

// twoSpaces is the style of the files imagegrid writes.
var twoSpaces = style{indent: 2}

// detectStyle finds the style of the first nested mapping and block sequence of a document
// (two spaces and indented sequences when it has none).
func detectStyle(root *yaml.Node) style {
	st := twoSpaces
	var foundIndent, foundSeq bool
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Style&yaml.FlowStyle != 0 || foundIndent && foundSeq {
			return
		}
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				switch {
				case v.Style&yaml.FlowStyle != 0:
				case v.Kind == yaml.MappingNode && !foundIndent && len(v.Content) > 0 && v.Content[0].Column > k.Column:
					st.indent, foundIndent = v.Content[0].Column-k.Column, true
				case v.Kind == yaml.SequenceNode && !foundSeq && len(v.Content) > 0:
					st.compact, foundSeq = v.Column == k.Column, true
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(root)
	return st
}

// render encodes n in the given style.
func render(n *yaml.Node, st style) (string, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(st.indent)
	if st.compact {
		enc.CompactSeqIndent()
	}
	if err := enc.Encode(n); err != nil {
		return "", fmt.Errorf("encode: %w", err)
	}
	if err := enc.Close(); err != nil {
		return "", fmt.Errorf("encode: %w", err)
	}
	return b.String(), nil
}

// flowStyle marks n and everything under it as flow style.
func flowStyle(n *yaml.Node) *yaml.Node {
	c := *n
	if c.Kind != yaml.ScalarNode {
		c.Style |= yaml.FlowStyle
	}
	c.Content = nil
	for _, k := range n.Content {
		c.Content = append(c.Content, flowStyle(k))
	}
	return &c
}

// Sequence builds a block sequence node of items.
func Sequence(items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: items}
}

// SortedMapping builds a block mapping node of m's entries, ordered by key.
func SortedMapping(m map[string]string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		n.Content = append(n.Content, Mapping(k, m[k]).Content...)
	}
	return n
}

// Marshal encodes n as a new document would be written: two spaces a level, block sequences
// indented under their key.
func Marshal(n *yaml.Node) (string, error) { return render(n, twoSpaces) }
