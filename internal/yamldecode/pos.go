package yamldecode

import (
	"fmt"
	"strings"
)

// Pos is a place in a YAML file.
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// Located is embedded in the structs of a file's model: Decode fills At with the position of
// the mapping and Fields with the position of each key's value, in the order written.
type Located struct {
	At     Pos
	Fields []FieldPos
}

// FieldPos is where the value of one key of a mapping stands. A mapping has a few keys, so a
// list searched in order holds them in a fraction of a map's memory: a grid of many
// releases keeps one per release.
type FieldPos struct {
	Key string
	Pos Pos
}

func (l *Located) located() *Located { return l }

// Field returns the position of key's value, or of the mapping when the key is absent.
func (l Located) Field(key string) Pos {
	for _, f := range l.Fields {
		if f.Key == key {
			return f.Pos
		}
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

// Positions maps the path of every value Decode filled ("aws.regions[1]", "" for the root)
// to where it stands, for checks made after decoding.
type Positions map[string]Pos

// Of returns the position of path's value, or of its nearest enclosing value when the path
// is absent (a required key left out is reported at its mapping).
func (p Positions) Of(path string) Pos {
	for {
		if pos, ok := p[path]; ok || path == "" {
			return pos
		}
		path = path[:max(strings.LastIndexAny(path, ".["), 0)]
	}
}
