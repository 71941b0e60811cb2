// Package yamledit changes YAML documents as text: each edit patches only the bytes of the
// nodes it means to, at the positions yaml.v3 reports for them, so comments, key order,
// quoting, indentation, line breaks and other documents of the file stay as they were. Every
// edit is checked by decoding the patched text and comparing it with the intended tree.
// It knows YAML, not what the documents mean.
package yamledit

import (
	"bytes"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
)

// Document is one YAML document of a file: its bytes (from its "---" line, if any, to the
// next one) and its parsed node tree. Node positions are relative to its bytes.
type Document struct {
	// Line is the line of the file on which the document starts (from 1).
	Line int
	src  []byte
	// root is the top-level node; nil for an empty document.
	root *yaml.Node
}

// Bytes returns the document's source as it stands after the edits made to it.
func (d *Document) Bytes() []byte { return d.src }

// Root returns the document's top-level node, or nil for an empty document. It is read
// only: change a document with Edit.
func (d *Document) Root() *yaml.Node { return d.root }

// Split cuts a YAML stream into documents at the lines that start with "---" and parses
// each; name is the file's, for errors. Concatenating the Bytes of the result gives data
// back unchanged.
func Split(name string, data []byte) ([]*Document, error) {
	var docs []*Document
	start, startLine, line := 0, 1, 1
	for off := 0; off < len(data); {
		end := bytes.IndexByte(data[off:], '\n')
		next := len(data)
		if end >= 0 {
			next = off + end + 1
		}
		if off > start && isDocumentMarker(data[off:next]) {
			docs = append(docs, &Document{Line: startLine, src: data[start:off:off]})
			start, startLine = off, line
		}
		off = next
		line++
	}
	docs = append(docs, &Document{Line: startLine, src: data[start:len(data):len(data)]})
	for _, d := range docs {
		if err := d.parse(); err != nil {
			// Parse the whole stream for an error with the file's line numbers.
			if serr := parseStream(name, data); serr != nil {
				return nil, serr
			}
			return nil, fmt.Errorf("%s:%d: %w", name, d.Line, err)
		}
	}
	return docs, nil
}

// parseStream parses the whole stream once, so syntax errors carry the file's line numbers.
func parseStream(name string, data []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
}

func isDocumentMarker(line []byte) bool {
	line = bytes.TrimRight(line, "\r\n")
	return bytes.HasPrefix(line, []byte("---")) && (len(line) == 3 || line[3] == ' ' || line[3] == '\t')
}

// parse (re)reads root from src.
func (d *Document) parse() error {
	var n yaml.Node
	if err := yaml.Unmarshal(d.src, &n); err != nil {
		return err
	}
	d.root = nil
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		d.root = n.Content[0]
	}
	return nil
}

// Lookup returns the node at path (mapping keys as strings, sequence indexes as ints), or nil.
func Lookup(n *yaml.Node, path ...any) *yaml.Node {
	for _, p := range path {
		if n == nil {
			return nil
		}
		switch p := p.(type) {
		case string:
			n = MapValue(n, p)
		case int:
			if n.Kind != yaml.SequenceNode || p < 0 || p >= len(n.Content) {
				return nil
			}
			n = n.Content[p]
		}
	}
	return n
}

// MapValue returns the value of key in mapping n, or nil.
func MapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// Scalar returns the value of the scalar at path, or "".
func Scalar(n *yaml.Node, path ...any) string {
	v := Lookup(n, path...)
	if v == nil || v.Kind != yaml.ScalarNode {
		return ""
	}
	return v.Value
}
