package yamledit

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// An Edit is one change to a document: SetScalar, AppendItem, RemoveItem or InsertKey. It
// is made twice: as a text patch at the positions
// yaml.v3 reports for the nodes involved, so every other byte of the file stays as it was
// (comments, quoting, indentation, blank lines, other documents), and on the decoded value,
// to check that the patched text means exactly the intended tree and nothing else.
type Edit interface {
	patch(t *text, root *yaml.Node) ([]byte, error)
	apply(v any) (any, error)
	String() string
}

// Edit applies e to d, or leaves d untouched and returns an error.
func (d *Document) Edit(e Edit) error {
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
	next := &Document{Line: d.Line, src: src}
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

// SetScalar sets the string at path (mapping keys as strings, sequence indexes as ints),
// creating the missing mapping keys at its end.
type SetScalar struct {
	Path  []any
	Value string
}

func (e SetScalar) String() string { return fmt.Sprintf("set %s to %q", pathString(e.Path), e.Value) }

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

func (e SetScalar) apply(v any) (any, error) {
	set := func(any) any { return e.Value }
	for i := len(e.Path) - 1; i >= 0; i-- {
		p, inner := e.Path[i], set
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

func (e SetScalar) patch(t *text, root *yaml.Node) ([]byte, error) {
	n, flow := root, false
	for i, p := range e.Path {
		flow = flow || n.Style&yaml.FlowStyle != 0
		if idx, ok := p.(int); ok {
			if n.Kind != yaml.SequenceNode || idx >= len(n.Content) {
				return nil, fmt.Errorf("line %d: %s has no item %d", n.Line, pathString(e.Path[:i]), idx)
			}
			n = n.Content[idx]
			continue
		}
		if n.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("line %d: %s is not a mapping", n.Line, pathString(e.Path[:i]))
		}
		v := MapValue(n, p.(string))
		if v == nil {
			rest := make([]string, 0, len(e.Path)-i-1)
			for _, q := range e.Path[i+1:] {
				k, ok := q.(string)
				if !ok {
					return nil, fmt.Errorf("line %d: no %s", n.Line, pathString(e.Path[:i+1]))
				}
				rest = append(rest, k)
			}
			return insertEntry(t, n, flow, p.(string), nested(rest, e.Value), detectStyle(root))
		}
		n = v
	}
	if n.Kind != yaml.ScalarNode {
		return nil, fmt.Errorf("line %d: %s is not a scalar", n.Line, pathString(e.Path))
	}
	off := t.offset(n)
	end, err := t.scalarEnd(n, off, flow)
	if err != nil {
		return nil, err
	}
	token, err := renderScalar(e.Value, n.Style, flow)
	if err != nil {
		return nil, err
	}
	return splice(t.src, off, end, token), nil
}

// insertEntry adds key: value at the end of mapping m.
func insertEntry(t *text, m *yaml.Node, flow bool, key string, value *yaml.Node, st style) ([]byte, error) {
	entry := Mapping(key, value)
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

// InsertKey adds key: value to the mapping at path (which must not have key yet).
type InsertKey struct {
	Path  []string
	Key   string
	Value *yaml.Node
}

func (e InsertKey) String() string {
	return fmt.Sprintf("add %s", strings.Join(append(slices.Clone(e.Path), e.Key), "."))
}

func (e InsertKey) apply(v any) (any, error) {
	var value any
	if err := e.Value.Decode(&value); err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not a mapping")
	}
	cur := m
	for _, k := range e.Path {
		if cur, ok = cur[k].(map[string]any); !ok {
			return nil, fmt.Errorf("no mapping %s", k)
		}
	}
	if _, ok := cur[e.Key]; ok {
		return nil, fmt.Errorf("%s exists", e.Key)
	}
	cur[e.Key] = value
	return m, nil
}

func (e InsertKey) patch(t *text, root *yaml.Node) ([]byte, error) {
	n, flow := root, false
	for _, k := range e.Path {
		flow = flow || n.Style&yaml.FlowStyle != 0
		if n = MapValue(n, k); n == nil {
			return nil, fmt.Errorf("no %s", strings.Join(e.Path, "."))
		}
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: %s is not a mapping", n.Line, strings.Join(e.Path, "."))
	}
	return insertEntry(t, n, flow, e.Key, e.Value, detectStyle(root))
}
