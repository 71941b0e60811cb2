package catalog

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// An edit is one change to a document. It is made twice: as a text patch at the positions
// yaml.v3 reports for the nodes involved, so every other byte of the file stays as it was
// (comments, quoting, indentation, blank lines, other documents), and on the decoded value,
// to check that the patched text means exactly the intended tree and nothing else.
type edit interface {
	patch(t *text, root *yaml.Node) ([]byte, error)
	apply(v any) (any, error)
	String() string
}

// edit applies e to d, or leaves d untouched and returns an error.
func (d *document) edit(e edit) error {
	if d.root == nil {
		return fmt.Errorf("%s: the document is empty", e)
	}
	var before any
	if err := d.root.Decode(&before); err != nil {
		return fmt.Errorf("%s: %w", e, err)
	}
	want, err := e.apply(before)
	if err != nil {
		return fmt.Errorf("%s: %w", e, err)
	}
	src, err := e.patch(newText(d.src), d.root)
	if err != nil {
		return fmt.Errorf("%s: %w", e, err)
	}
	next := &document{line: d.line, src: src}
	if err := next.parse(); err != nil {
		return fmt.Errorf("%s: the edited document does not parse: %w", e, err)
	}
	var got any
	if next.root == nil || next.root.Decode(&got) != nil || !reflect.DeepEqual(got, want) {
		return fmt.Errorf("%s: the edited text does not hold the intended change; edit by hand:\n%s", e, src)
	}
	*d = *next
	return nil
}

// setScalar sets the string at path (mapping keys as strings, sequence indexes as ints),
// creating the missing mapping keys at its end.
type setScalar struct {
	path  []any
	value string
}

func (e setScalar) String() string { return fmt.Sprintf("set %s to %q", pathString(e.path), e.value) }

func pathString(path []any) string {
	var b strings.Builder
	for _, p := range path {
		if i, ok := p.(int); ok {
			fmt.Fprintf(&b, "[%d]", i)
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		fmt.Fprint(&b, p)
	}
	return b.String()
}

func (e setScalar) apply(v any) (any, error) {
	set := func(any) any { return e.value }
	for i := len(e.path) - 1; i >= 0; i-- {
		p, inner := e.path[i], set
		set = func(cur any) any {
			switch p := p.(type) {
			case int:
				s, _ := cur.([]any)
				if p < len(s) {
					s[p] = inner(s[p])
				}
				return s
			default:
				m, ok := cur.(map[string]any)
				if !ok {
					m = map[string]any{}
				}
				m[p.(string)] = inner(m[p.(string)])
				return m
			}
		}
	}
	return set(v), nil
}

func (e setScalar) patch(t *text, root *yaml.Node) ([]byte, error) {
	n, flow := root, false
	for i, p := range e.path {
		flow = flow || n.Style&yaml.FlowStyle != 0
		if idx, ok := p.(int); ok {
			if n.Kind != yaml.SequenceNode || idx >= len(n.Content) {
				return nil, fmt.Errorf("line %d: %s has no item %d", n.Line, pathString(e.path[:i]), idx)
			}
			n = n.Content[idx]
			continue
		}
		if n.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("line %d: %s is not a mapping", n.Line, pathString(e.path[:i]))
		}
		v := mapValue(n, p.(string))
		if v == nil {
			rest := make([]string, 0, len(e.path)-i-1)
			for _, q := range e.path[i+1:] {
				k, ok := q.(string)
				if !ok {
					return nil, fmt.Errorf("line %d: no %s", n.Line, pathString(e.path[:i+1]))
				}
				rest = append(rest, k)
			}
			return insertEntry(t, n, flow, p.(string), nested(rest, e.value), detectStyle(root))
		}
		n = v
	}
	if n.Kind != yaml.ScalarNode {
		return nil, fmt.Errorf("line %d: %s is not a scalar", n.Line, pathString(e.path))
	}
	off := t.offset(n)
	end, err := t.scalarEnd(n, off, flow)
	if err != nil {
		return nil, err
	}
	token, err := renderScalar(e.value, n.Style, flow)
	if err != nil {
		return nil, err
	}
	return splice(t.src, off, end, token), nil
}

// nested builds the node {path[0]: {path[1]: … value}}, or the scalar value for an empty path.
func nested(path []string, value string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value}
	for i := len(path) - 1; i >= 0; i-- {
		n = mapping(path[i], n)
	}
	return n
}

// mapping builds a block mapping node from key, value pairs (values are strings or nodes).
func mapping(kv ...any) *yaml.Node {
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

// insertEntry adds key: value at the end of mapping m.
func insertEntry(t *text, m *yaml.Node, flow bool, key string, value *yaml.Node, st style) ([]byte, error) {
	entry := mapping(key, value)
	if flow || m.Style&yaml.FlowStyle != 0 {
		s, err := render(flowStyle(entry), st)
		if err != nil {
			return nil, err
		}
		return insertFlow(t, m, strings.TrimSuffix(strings.TrimSpace(s), "}")[1:])
	}
	s, err := render(entry, st)
	if err != nil {
		return nil, err
	}
	indent := m.Content[0].Column - 1
	last := t.blockEnd(m.Content[len(m.Content)-2].Line-1, indent, true)
	return t.insertAfterLine(last, indentLines(s, strings.Repeat(" ", indent), strings.Repeat(" ", indent), t.nl)), nil
}

// insertFlow inserts item before the closing bracket of flow collection c.
func insertFlow(t *text, c *yaml.Node, item string) ([]byte, error) {
	off := t.offset(c)
	end, err := t.flowEnd(off)
	if err != nil {
		return nil, fmt.Errorf("line %d: %w", c.Line, err)
	}
	at := end
	for at > off+1 && strings.IndexByte(" \t\r\n", t.src[at-1]) >= 0 {
		at--
	}
	if len(c.Content) > 0 {
		item = ", " + item
	}
	return splice(t.src, at, at, item), nil
}

// indentLines prefixes the first line of s with first and the others with rest, and ends
// every line with nl.
func indentLines(s, first, rest, nl string) string {
	var b strings.Builder
	for i, l := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		if i == 0 {
			b.WriteString(first)
		} else {
			b.WriteString(rest)
		}
		b.WriteString(l)
		b.WriteString(nl)
	}
	return b.String()
}

// appendItem appends item to the sequence at path.
type appendItem struct {
	path []string
	item *yaml.Node
}

func (e appendItem) String() string {
	return fmt.Sprintf("append to %s", strings.Join(e.path, "."))
}

func (e appendItem) apply(v any) (any, error) {
	var item any
	if err := e.item.Decode(&item); err != nil {
		return nil, err
	}
	return updateSequence(v, e.path, func(s []any) ([]any, error) { return append(s, item), nil })
}

func (e appendItem) patch(t *text, root *yaml.Node) ([]byte, error) {
	s, flow, err := sequenceAt(root, e.path)
	if err != nil {
		return nil, err
	}
	item := e.item
	if flow || len(s.Content) > 0 && s.Content[0].Style&yaml.FlowStyle != 0 {
		item = flowStyle(item)
	}
	text, err := render(item, detectStyle(root))
	if err != nil {
		return nil, err
	}
	if flow {
		return insertFlow(t, s, strings.TrimSpace(text))
	}
	indent := s.Column - 1
	last := t.blockEnd(s.Content[len(s.Content)-1].Line-1, indent, false)
	pad := strings.Repeat(" ", indent)
	return t.insertAfterLine(last, indentLines(text, pad+"- ", pad+"  ", t.nl)), nil
}

// removeItem removes the item at index from the sequence at path.
type removeItem struct {
	path  []string
	index int
}

func (e removeItem) String() string {
	return fmt.Sprintf("remove %s[%d]", strings.Join(e.path, "."), e.index)
}

func (e removeItem) apply(v any) (any, error) {
	return updateSequence(v, e.path, func(s []any) ([]any, error) {
		if e.index >= len(s) {
			return nil, fmt.Errorf("no item %d", e.index)
		}
		return append(s[:e.index:e.index], s[e.index+1:]...), nil
	})
}

func (e removeItem) patch(t *text, root *yaml.Node) ([]byte, error) {
	s, flow, err := sequenceAt(root, e.path)
	if err != nil {
		return nil, err
	}
	if e.index >= len(s.Content) {
		return nil, fmt.Errorf("line %d: no item %d", s.Line, e.index)
	}
	if len(s.Content) == 1 {
		return nil, fmt.Errorf("line %d: will not remove the only item of %s", s.Line, strings.Join(e.path, "."))
	}
	item := s.Content[e.index]
	if !flow {
		first := item.Line - 1
		last := t.blockEnd(first, s.Column-1, false)
		return splice(t.src, t.starts[first], t.after(last), ""), nil
	}
	start := t.offset(item)
	end, err := t.flowEnd(start)
	if err != nil {
		return nil, fmt.Errorf("line %d: %w", item.Line, err)
	}
	if t.src[start] == '[' || t.src[start] == '{' {
		if end, err = t.flowEnd(end + 1); err != nil {
			return nil, fmt.Errorf("line %d: %w", item.Line, err)
		}
	}
	if t.src[end] == ',' {
		end++
		for end < len(t.src) && (t.src[end] == ' ' || t.src[end] == '\t') {
			end++
		}
		return splice(t.src, start, end, ""), nil
	}
	// The last item: take the separator before it.
	for start > 0 && t.src[start-1] != ',' {
		start--
	}
	for end > start && (t.src[end-1] == ' ' || t.src[end-1] == '\t') {
		end--
	}
	return splice(t.src, start-1, end, ""), nil
}

// sequenceAt returns the sequence at path and whether it sits in flow context.
func sequenceAt(root *yaml.Node, path []string) (*yaml.Node, bool, error) {
	n, flow := root, false
	for _, k := range path {
		flow = flow || n.Style&yaml.FlowStyle != 0
		if n = mapValue(n, k); n == nil {
			return nil, false, fmt.Errorf("no %s", strings.Join(path, "."))
		}
	}
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 && n.Style&yaml.FlowStyle == 0 {
		return nil, false, fmt.Errorf("line %d: %s is not a sequence", n.Line, strings.Join(path, "."))
	}
	return n, flow || n.Style&yaml.FlowStyle != 0, nil
}

// updateSequence replaces the sequence at path in the decoded value v with f's result.
func updateSequence(v any, path []string, f func([]any) ([]any, error)) (any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not a mapping")
	}
	cur := m
	for _, k := range path[:len(path)-1] {
		if cur, ok = cur[k].(map[string]any); !ok {
			return nil, fmt.Errorf("no mapping %s", k)
		}
	}
	k := path[len(path)-1]
	s, ok := cur[k].([]any)
	if !ok {
		return nil, fmt.Errorf("%s is not a sequence", strings.Join(path, "."))
	}
	s, err := f(s)
	if err != nil {
		return nil, err
	}
	cur[k] = s
	return m, nil
}

// insertKey adds key: value to the mapping at path (which must not have key yet).
type insertKey struct {
	path  []string
	key   string
	value *yaml.Node
}

func (e insertKey) String() string {
	return fmt.Sprintf("add %s", strings.Join(append(slices.Clone(e.path), e.key), "."))
}

func (e insertKey) apply(v any) (any, error) {
	var value any
	if err := e.value.Decode(&value); err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not a mapping")
	}
	cur := m
	for _, k := range e.path {
		if cur, ok = cur[k].(map[string]any); !ok {
			return nil, fmt.Errorf("no mapping %s", k)
		}
	}
	if _, ok := cur[e.key]; ok {
		return nil, fmt.Errorf("%s exists", e.key)
	}
	cur[e.key] = value
	return m, nil
}

func (e insertKey) patch(t *text, root *yaml.Node) ([]byte, error) {
	n, flow := root, false
	for _, k := range e.path {
		flow = flow || n.Style&yaml.FlowStyle != 0
		if n = mapValue(n, k); n == nil {
			return nil, fmt.Errorf("no %s", strings.Join(e.path, "."))
		}
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: %s is not a mapping", n.Line, strings.Join(e.path, "."))
	}
	return insertEntry(t, n, flow, e.key, e.value, detectStyle(root))
}
