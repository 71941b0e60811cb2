package catalog

import (
	"bytes"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
)

// document is one YAML document of a file: its bytes (from its "---" line, if any, to the
// next one) and its parsed node tree. Node positions are relative to src.
type document struct {
	// line is the line of the file on which src starts (from 1).
	line int
	src  []byte
	// root is the top-level node (a mapping for catalog objects); nil for an empty document.
	root *yaml.Node
}

// splitDocuments cuts a YAML stream into documents at the lines that start with "---".
// Concatenating the src of the result gives data back unchanged.
func splitDocuments(name string, data []byte) ([]*document, error) {
	var docs []*document
	start, startLine, line := 0, 1, 1
	for off := 0; off < len(data); {
		end := bytes.IndexByte(data[off:], '\n')
		next := len(data)
		if end >= 0 {
			next = off + end + 1
		}
		if off > start && isDocumentMarker(data[off:next]) {
			docs = append(docs, &document{line: startLine, src: data[start:off:off]})
			start, startLine = off, line
		}
		off = next
		line++
	}
	docs = append(docs, &document{line: startLine, src: data[start:len(data):len(data)]})
	for _, d := range docs {
		if err := d.parse(); err != nil {
			// Parse the whole stream for an error with the file's line numbers.
			if serr := parseStream(name, data); serr != nil {
				return nil, serr
			}
			return nil, fmt.Errorf("%s:%d: %w", name, d.line, err)
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
func (d *document) parse() error {
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

// lookup returns the node at path (mapping keys as strings, sequence indexes as ints), or nil.
func lookup(n *yaml.Node, path ...any) *yaml.Node {
	for _, p := range path {
		if n == nil {
			return nil
		}
		switch p := p.(type) {
		case string:
			n = mapValue(n, p)
		case int:
			if n.Kind != yaml.SequenceNode || p < 0 || p >= len(n.Content) {
				return nil
			}
			n = n.Content[p]
		}
	}
	return n
}

// mapValue returns the value of key in mapping n, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
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

// scalar returns the value of the scalar at path, or "".
func scalar(n *yaml.Node, path ...any) string {
	v := lookup(n, path...)
	if v == nil || v.Kind != yaml.ScalarNode {
		return ""
	}
	return v.Value
}
