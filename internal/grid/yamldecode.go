package grid

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Pos is a place in a declaration file.
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// Located is embedded in declaration structs: the decoder fills At with the position of the
// mapping and Fields with the position of each key's value.
type Located struct {
	At     Pos
	Fields map[string]Pos
}

func (l *Located) located() *Located { return l }

// field returns the position of key's value, or of the mapping when the key is absent.
func (l Located) field(key string) Pos {
	if p, ok := l.Fields[key]; ok {
		return p
	}
	return l.At
}

// Scalar is a string value together with its position.
type Scalar struct {
	Value string
	Pos   Pos
}

// List is a YAML value that may be written as one scalar or as a sequence of scalars.
type List []string

// decoder decodes YAML nodes into declaration structs strictly, collecting every problem
// with its file:line:col instead of stopping at the first.
type decoder struct {
	file string
	errs *Errors
}

var (
	locatedType = reflect.TypeOf(Located{})
	scalarType  = reflect.TypeOf(Scalar{})
	listType    = reflect.TypeOf(List{})
)

func (d decoder) pos(n *yaml.Node) Pos { return Pos{File: d.file, Line: n.Line, Col: n.Column} }

func (d decoder) fail(n *yaml.Node, key, format string, args ...any) {
	d.errs.add(d.pos(n), key, fmt.Sprintf(format, args...))
}

// decode fills v (a pointer's element) from n. path names the key for messages ("kubernetes[0].version").
func (d decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	switch {
	case v.Type() == scalarType:
		if n.Kind != yaml.ScalarNode {
			d.fail(n, path, "want a value, got %s", describe(n))
			return
		}
		v.Set(reflect.ValueOf(Scalar{Value: n.Value, Pos: d.pos(n)}))
	case v.Type() == listType:
		d.decodeList(n, v, path)
	case v.Kind() == reflect.Struct:
		d.decodeStruct(n, v, path)
	case v.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.fail(n, path, "want a list, got %s", describe(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case v.Kind() == reflect.Map:
		d.decodeMap(n, v, path)
	case v.Kind() == reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		d.decode(n, p.Elem(), path)
		v.Set(p)
	case v.Kind() == reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.fail(n, path, "want a string, got %s", describe(n))
			return
		}
		v.SetString(n.Value)
	case v.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(n.Value)
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || err != nil {
			d.fail(n, path, "want true or false, got %s", describe(n))
			return
		}
		v.SetBool(b)
	default:
		panic(fmt.Sprintf("grid: no YAML decoding for %s", v.Type()))
	}
}

func (d decoder) decodeList(n *yaml.Node, v reflect.Value, path string) {
	var items []*yaml.Node
	switch n.Kind {
	case yaml.ScalarNode:
		items = []*yaml.Node{n}
	case yaml.SequenceNode:
		items = n.Content
	default:
		d.fail(n, path, "want a value or a list of values, got %s", describe(n))
		return
	}
	out := make(List, 0, len(items))
	for _, item := range items {
		if item.Kind != yaml.ScalarNode || item.Tag == "!!null" {
			d.fail(item, path, "want a value, got %s", describe(item))
			continue
		}
		out = append(out, item.Value)
	}
	v.Set(reflect.ValueOf(out))
}

func (d decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "want a mapping, got %s", describe(n))
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.fail(k, path, "want a plain key, got %s", describe(k))
			continue
		}
		if m.MapIndex(reflect.ValueOf(k.Value)).IsValid() {
			d.fail(k, joinPath(path, k.Value), "key declared twice in the same mapping")
			continue
		}
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(val, elem, joinPath(path, k.Value))
		m.SetMapIndex(reflect.ValueOf(k.Value), elem)
	}
	v.Set(m)
}

func (d decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "want a mapping, got %s", describe(n))
		return
	}
	fields := yamlFields(v.Type())
	var loc *Located
	if l, ok := v.Addr().Interface().(interface{ located() *Located }); ok {
		loc = l.located()
		loc.At = d.pos(n)
		loc.Fields = map[string]Pos{}
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		name := k.Value
		idx, ok := fields[name]
		if !ok {
			d.fail(k, joinPath(path, name), "unknown key; valid keys here: %s", strings.Join(sortedKeys(fields), ", "))
			continue
		}
		if seen[name] {
			d.fail(k, joinPath(path, name), "key declared twice in the same mapping")
			continue
		}
		seen[name] = true
		if loc != nil {
			loc.Fields[name] = d.pos(val)
		}
		d.decode(val, v.Field(idx), joinPath(path, name))
	}
}

// yamlFields maps the yaml key of each exported field to its index.
func yamlFields(t reflect.Type) map[string]int {
	out := map[string]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Type == locatedType || !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name[:1]) + f.Name[1:]
		}
		out[name] = i
	}
	return out
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an unsupported YAML node"
}
