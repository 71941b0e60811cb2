// Package yamldecode decodes a YAML file into Go structs strictly while keeping where each
// value stands: every problem is an Error at file:line:col that names the key and says what
// would be valid, and all of them are collected instead of stopping at the first. The grid
// declaration and the publish configuration are read with it.
package yamldecode

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
)

// Document parses the one YAML document in data, file name. It returns nil when data holds
// no document (the caller says what it wanted) and when data is not YAML or holds a second
// document; both are added to errs, the second with the message another.
func Document(name string, data []byte, errs *Errors, another string) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if !errors.Is(err, io.EOF) {
			errs.Add(syntaxErrorPos(name, err), "", "invalid YAML: "+strings.TrimPrefix(err.Error(), "yaml: "))
		}
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		errs.Add(Pos{File: name, Line: extra.Line, Col: extra.Column}, "", another)
		return nil
	} else if !errors.Is(err, io.EOF) {
		errs.Add(syntaxErrorPos(name, err), "", "invalid YAML: "+strings.TrimPrefix(err.Error(), "yaml: "))
		return nil
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		return doc.Content[0]
	}
	return &doc
}

// syntaxErrorPos pulls "line N" out of a yaml.v3 syntax error, which carries no position
// otherwise. For an unclosed flow collection ("did not find expected ',' or ']'") yaml.v3
// counts that line from 0, the others from 1.
func syntaxErrorPos(name string, err error) Pos {
	var line int
	msg := err.Error()
	if i := strings.Index(msg, "line "); i >= 0 {
		fmt.Sscanf(msg[i:], "line %d", &line)
	}
	if strings.Contains(msg, "did not find expected") {
		line++
	}
	return Pos{File: name, Line: max(line, 1), Col: 1}
}

// Decode fills v, a pointer to a struct, from n, a node of file. Keys are the fields' yaml
// tags (else the field name with a lower-case first letter); embedded structs other than
// Located are inlined. Unknown and repeated keys and values of the wrong kind are added to
// errs with their position; at, when not nil, receives the position of every value decoded.
func Decode(file string, n *yaml.Node, v any, errs *Errors, at Positions) {
	decoder{file: file, errs: errs, at: at}.decode(n, reflect.ValueOf(v).Elem(), "")
}

// decoder decodes YAML nodes into structs strictly, collecting every problem with its
// file:line:col instead of stopping at the first.
type decoder struct {
	file string
	errs *Errors
	at   Positions
}

var (
	locatedType  = reflect.TypeFor[Located]()
	scalarType   = reflect.TypeFor[Scalar]()
	listType     = reflect.TypeFor[List]()
	durationType = reflect.TypeFor[time.Duration]()
)

func (d decoder) pos(n *yaml.Node) Pos { return Pos{File: d.file, Line: n.Line, Col: n.Column} }

func (d decoder) fail(n *yaml.Node, key, format string, args ...any) {
	d.errs.Add(d.pos(n), key, fmt.Sprintf(format, args...))
}

// decode fills v (a pointer's element) from n. path names the key for messages ("kubernetes[0].version").
func (d decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if d.at != nil {
		d.at[path] = d.pos(n)
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	switch {
	case v.Type() == listType:
		d.decodeList(n, v, path)
	case v.Type() == scalarType || v.Type() == durationType:
		d.decodeScalar(n, v, path)
	case v.Kind() == reflect.Struct:
		d.decodeStruct(n, v, path)
	case v.Kind() == reflect.Slice:
		d.decodeSlice(n, v, path)
	case v.Kind() == reflect.Map:
		d.decodeMap(n, v, path)
	case v.Kind() == reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		d.decode(n, p.Elem(), path)
		v.Set(p)
	default:
		d.decodeScalar(n, v, path)
	}
}

// decodeScalar fills v, a Scalar, a duration, a string, a bool or an int, from the scalar n;
// v keeps its value when n is not one.
func (d decoder) decodeScalar(n *yaml.Node, v reflect.Value, path string) {
	var (
		value reflect.Value
		want  string
		ok    = n.Kind == yaml.ScalarNode
	)
	switch {
	case v.Type() == scalarType:
		value, want = reflect.ValueOf(Scalar{Value: n.Value, Pos: d.pos(n)}), "a value"
	case v.Type() == durationType:
		var dur time.Duration
		value, want, ok = reflect.ValueOf(&dur).Elem(), "a duration like 45m or 15s", ok && n.Decode(&dur) == nil
	case v.Kind() == reflect.String:
		value, want = reflect.ValueOf(n.Value), "a string"
	case v.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(n.Value)
		value, want, ok = reflect.ValueOf(b), "true or false", ok && n.Tag == "!!bool" && err == nil
	case v.Kind() == reflect.Int:
		var i int
		value, want, ok = reflect.ValueOf(&i).Elem(), "a whole number", ok && n.Tag == "!!int" && n.Decode(&i) == nil
	default:
		panic(fmt.Sprintf("yamldecode: no YAML decoding for %s", v.Type()))
	}
	if !ok {
		d.fail(n, path, "want %s, got %s", want, describe(n))
		return
	}
	v.Set(value.Convert(v.Type()))
}

// decodeSlice fills v, a slice, from the sequence n, item by item.
func (d decoder) decodeSlice(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, path, "want a list, got %s", describe(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
	}
	v.Set(s)
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
	fields := fieldsOf(v.Type())
	var loc *Located
	if l, ok := v.Addr().Interface().(interface{ located() *Located }); ok {
		loc = l.located()
		loc.At = d.pos(n)
		loc.Fields = make([]FieldPos, 0, len(n.Content)/2)
	}
	var seen []string // a mapping has a few keys: a list is cheaper than a map
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		name := k.Value
		idx, ok := fields[name]
		if !ok {
			d.fail(k, joinPath(path, name), "unknown key; valid keys here: %s", strings.Join(slices.Sorted(maps.Keys(fields)), ", "))
			continue
		}
		if slices.Contains(seen, name) {
			d.fail(k, joinPath(path, name), "key declared twice in the same mapping")
			continue
		}
		seen = append(seen, name)
		if loc != nil {
			loc.Fields = append(loc.Fields, FieldPos{Key: name, Pos: d.pos(val)})
		}
		d.decode(val, v.FieldByIndex(idx), joinPath(path, name))
	}
}

// fieldTables holds yamlFields of each struct type decoded, worked out once per type: a
// file of many releases decodes the same struct many times.
var fieldTables sync.Map // reflect.Type → map[string][]int

// fieldsOf is yamlFields(t), from fieldTables. The table is only read once stored.
func fieldsOf(t reflect.Type) map[string][]int {
	if f, ok := fieldTables.Load(t); ok {
		return f.(map[string][]int)
	}
	f, _ := fieldTables.LoadOrStore(t, yamlFields(t))
	return f.(map[string][]int)
}

// yamlFields maps the yaml key of each exported field to its index, the fields of embedded
// structs (Located aside) included.
func yamlFields(t reflect.Type) map[string][]int {
	out := map[string][]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Type == locatedType {
			continue
		}
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			for name, idx := range yamlFields(f.Type) {
				out[name] = append([]int{i}, idx...)
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name[:1]) + f.Name[1:]
		}
		out[name] = []int{i}
	}
	return out
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
