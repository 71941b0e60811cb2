package yamledit

import "testing"

// TestBuildAndMarshal builds a new document from nodes as a writer of new files does: keys
// in the order given, sorted for SortedMapping, two spaces a level, strings that would read
// as other types quoted.
func TestBuildAndMarshal(t *testing.T) {
	doc := Mapping(
		"kind", "OSImage",
		"metadata", Mapping("labels", SortedMapping(map[string]string{"z": "1", "a": "true", "m": "v1.30"})),
		"spec", Mapping("osImages", Sequence(Mapping("name", "one"), Mapping("name", "two"))),
	)
	got, err := Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := "kind: OSImage\nmetadata:\n  labels:\n    a: \"true\"\n    m: v1.30\n    z: \"1\"\nspec:\n  osImages:\n    - name: one\n    - name: two\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestLookup reads nodes by path: mapping keys and sequence indexes, nil or "" when the path
// leads nowhere.
func TestLookup(t *testing.T) {
	docs, err := Split("f.yml", []byte("a:\n  b: [x, {c: d}]\n  e: f\n"))
	if err != nil {
		t.Fatal(err)
	}
	root := docs[0].Root()
	cases := []struct {
		path []any
		want string
	}{
		{[]any{"a", "e"}, "f"},
		{[]any{"a", "b", 0}, "x"},
		{[]any{"a", "b", 1, "c"}, "d"},
		{[]any{"a", "b", 2}, ""},
		{[]any{"a", "b", -1}, ""},
		{[]any{"a", "missing", "c"}, ""},
		{[]any{"a", "b"}, ""}, // not a scalar
		{[]any{"a", "e", "deeper"}, ""},
	}
	for _, tc := range cases {
		if got := Scalar(root, tc.path...); got != tc.want {
			t.Errorf("Scalar(%v) = %q, want %q", tc.path, got, tc.want)
		}
	}
	if Lookup(root, "a", "b") == nil || MapValue(root, "nope") != nil {
		t.Error("Lookup or MapValue")
	}
}
