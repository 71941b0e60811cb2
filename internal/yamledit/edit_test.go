package yamledit

import (
	"strings"
	"testing"
)

func TestEdits(t *testing.T) {
	cases := []struct {
		name string
		src  string
		edit Edit
		want string
	}{
		{"set plain", "a:\n  b: old # note\n", SetScalar{Path: []any{"a", "b"}, Value: "new"}, "a:\n  b: new # note\n"},
		{"set keeps double quotes", "a: \"old\"\n", SetScalar{Path: []any{"a"}, Value: "v1+x"}, "a: \"v1+x\"\n"},
		{"set keeps single quotes", "a: 'o''ld'\nb: 1\n", SetScalar{Path: []any{"a"}, Value: "it's"}, "a: 'it''s'\nb: 1\n"},
		{"set quotes what needs it", "a: old\n", SetScalar{Path: []any{"a"}, Value: "2204"}, "a: \"2204\"\n"},
		{"set in flow mapping", "ref: {version: old, x: 1}\n", SetScalar{Path: []any{"ref", "version"}, Value: "v2"}, "ref: {version: v2, x: 1}\n"},
		{"set in flow quotes commas", "ref: {version: old}\n", SetScalar{Path: []any{"ref", "version"}, Value: "a,b"}, "ref: {version: \"a,b\"}\n"},
		{"set in sequence item", "l:\n- id: a\n  x: 1\n- id: b\n", SetScalar{Path: []any{"l", 1, "id"}, Value: "c"}, "l:\n- id: a\n  x: 1\n- id: c\n"},
		{"add key to block mapping", "m:\n  a: 1\n\n  # tail\nz: 2\n", SetScalar{Path: []any{"m", "b"}, Value: "x"}, "m:\n  a: 1\n  b: x\n\n  # tail\nz: 2\n"},
		{"add nested keys", "metadata:\n    name: n\nspec: {}\n", SetScalar{Path: []any{"metadata", "annotations", "k"}, Value: "v"}, "metadata:\n    name: n\n    annotations:\n        k: v\nspec: {}\n"},
		{"add key to flow mapping", "metadata: {name: n}\n", SetScalar{Path: []any{"metadata", "labels", "k"}, Value: "v"}, "metadata: {name: n, labels: {k: v}}\n"},
		{"append to compact sequence", "s:\n- name: a\n- name: b   # b\n\nnext: 1\n", AppendItem{Path: []string{"s"}, Item: Mapping("name", "c")}, "s:\n- name: a\n- name: b   # b\n- name: c\n\nnext: 1\n"},
		{"append to indented sequence", "x:\n  s:\n    - name: a\n      more: 1\n  t: 2\n", AppendItem{Path: []string{"x", "s"}, Item: Mapping("name", "c")}, "x:\n  s:\n    - name: a\n      more: 1\n    - name: c\n  t: 2\n"},
		{"append keeps flow items", "s:\n- {name: a}\n", AppendItem{Path: []string{"s"}, Item: Mapping("name", "c")}, "s:\n- {name: a}\n- {name: c}\n"},
		{"append to flow sequence", "s: [{name: a}, {name: 'b'}]\n", AppendItem{Path: []string{"s"}, Item: Mapping("name", "c")}, "s: [{name: a}, {name: 'b'}, {name: c}]\n"},
		{"append to empty flow sequence", "s: []\n", AppendItem{Path: []string{"s"}, Item: Mapping("name", "c")}, "s: [{name: c}]\n"},
		{"append at end without newline", "s:\n- a", AppendItem{Path: []string{"s"}, Item: nested(nil, "b")}, "s:\n- a\n- b\n"},
		{"remove first block item", "s:\n- name: a\n  x: [1]\n- name: b\n", RemoveItem{Path: []string{"s"}, Index: 0}, "s:\n- name: b\n"},
		{"remove last block item", "s:\n- a\n- b\n\n# end\n", RemoveItem{Path: []string{"s"}, Index: 1}, "s:\n- a\n\n# end\n"},
		{"remove first flow item", "s: [{name: a}, {name: b}]\n", RemoveItem{Path: []string{"s"}, Index: 0}, "s: [{name: b}]\n"},
		{"remove last flow item", "s: [{name: a}, {name: \"b,c\"}]\n", RemoveItem{Path: []string{"s"}, Index: 1}, "s: [{name: a}]\n"},
		{"remove middle flow scalar", "s: [a, 'b', c]\n", RemoveItem{Path: []string{"s"}, Index: 1}, "s: [a, c]\n"},
		{"crlf", "s:\r\n- a\r\nz: 1\r\n", AppendItem{Path: []string{"s"}, Item: nested(nil, "b")}, "s:\r\n- a\r\n- b\r\nz: 1\r\n"},
		{"insert a key holding a sequence", "a: 1\n", InsertKey{Key: "s", Value: Sequence(Mapping("id", "x"))}, "a: 1\ns:\n  - id: x\n"},
		{"insert a sequence in compact style", "l:\n- 1\nm:\n  a: 1\n", InsertKey{Path: []string{"m"}, Key: "s", Value: Sequence(Mapping("id", "x"))}, "l:\n- 1\nm:\n  a: 1\n  s:\n  - id: x\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := &Document{Line: 1, src: []byte(tc.src)}
			if err := d.parse(); err != nil {
				t.Fatal(err)
			}
			if err := d.Edit(tc.edit); err != nil {
				t.Fatal(err)
			}
			if string(d.src) != tc.want {
				t.Errorf("got\n%q\nwant\n%q", d.src, tc.want)
			}
		})
	}
}

func TestEditErrors(t *testing.T) {
	cases := []struct {
		name string
		src  string
		edit Edit
		want string
	}{
		{"block scalar", "a: |\n  text\n", SetScalar{Path: []any{"a"}, Value: "x"}, "block scalar"},
		{"multi-line plain scalar", "a: one\n  two\n", SetScalar{Path: []any{"a"}, Value: "x"}, "spans several lines"},
		{"not a mapping", "a: [1]\n", SetScalar{Path: []any{"a", "b"}, Value: "x"}, "is not a mapping"},
		{"not a sequence", "s: x\n", AppendItem{Path: []string{"s"}, Item: Mapping("n", "c")}, "not a sequence"},
		{"only item", "s:\n- a\n", RemoveItem{Path: []string{"s"}, Index: 0}, "only item"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := &Document{Line: 1, src: []byte(tc.src)}
			if err := d.parse(); err != nil {
				t.Fatal(err)
			}
			err := d.Edit(tc.edit)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
			if string(d.src) != tc.src {
				t.Error("a failed edit changed the document")
			}
		})
	}
}

func TestSplitDocuments(t *testing.T) {
	for _, src := range []string{"", "a: 1\n", "---\na: 1\n", "# c\n---\na: 1\n---\nb: 2\n\n---\n", "a: 1\n---   # x\nb: 2", "a: |\n  ---x\n"} {
		docs, err := Split("f.yml", []byte(src))
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		var b strings.Builder
		for _, d := range docs {
			b.Write(d.src)
		}
		if b.String() != src {
			t.Errorf("split of %q joins back to %q", src, b.String())
		}
	}
	if _, err := Split("f.yml", []byte("a: [1\n")); err == nil || !strings.Contains(err.Error(), "f.yml") {
		t.Errorf("syntax error not named: %v", err)
	}
}
