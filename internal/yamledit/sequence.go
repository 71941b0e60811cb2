package yamledit

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// AppendItem appends item to the sequence at path.
type AppendItem struct {
	Path []string
	Item *yaml.Node
}

func (e AppendItem) String() string {
	return fmt.Sprintf("append to %s", strings.Join(e.Path, "."))
}

func (e AppendItem) apply(v any) (any, error) {
	var item any
	if err := e.Item.Decode(&item); err != nil {
		return nil, err
	}
	return updateSequence(v, e.Path, func(s []any) ([]any, error) { return append(s, item), nil })
}

func (e AppendItem) patch(t *text, root *yaml.Node) ([]byte, error) {
	s, flow, err := sequenceAt(root, e.Path)
	if err != nil {
		return nil, err
	}
	item := e.Item
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

// RemoveItem removes the item at index from the sequence at path.
type RemoveItem struct {
	Path  []string
	Index int
}

func (e RemoveItem) String() string {
	return fmt.Sprintf("remove %s[%d]", strings.Join(e.Path, "."), e.Index)
}

func (e RemoveItem) apply(v any) (any, error) {
	return updateSequence(v, e.Path, func(s []any) ([]any, error) {
		if e.Index >= len(s) {
			return nil, fmt.Errorf("no item %d", e.Index)
		}
		return append(s[:e.Index:e.Index], s[e.Index+1:]...), nil
	})
}

func (e RemoveItem) patch(t *text, root *yaml.Node) ([]byte, error) {
	s, flow, err := sequenceAt(root, e.Path)
	if err != nil {
		return nil, err
	}
	if e.Index >= len(s.Content) {
		return nil, fmt.Errorf("line %d: no item %d", s.Line, e.Index)
	}
	if len(s.Content) == 1 {
		return nil, fmt.Errorf("line %d: will not remove the only item of %s", s.Line, strings.Join(e.Path, "."))
	}
	item := s.Content[e.Index]
	if !flow {
		first := item.Line - 1
		last := t.blockEnd(first, s.Column-1, false)
		return splice(t.src, t.starts[first], t.after(last), ""), nil
	}
	return t.removeFlowItem(item)
}

// removeFlowItem cuts item out of its flow sequence with one of the separators around it.
func (t *text) removeFlowItem(item *yaml.Node) ([]byte, error) {
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
		if n = MapValue(n, k); n == nil {
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
