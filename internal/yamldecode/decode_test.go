package yamldecode

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

type inner struct {
	Name  string `yaml:"name"`
	Count int
}

type doc struct {
	Located
	inner
	Wait  time.Duration     `yaml:"wait"`
	On    *bool             `yaml:"on"`
	Tags  List              `yaml:"tags"`
	Where Scalar            `yaml:"where"`
	Items []string          `yaml:"items"`
	Vars  map[string]string `yaml:"vars"`
	Skip  string            `yaml:"-"`
}

// TestDecode decodes documents into a struct with every kind of field the decoder knows: a
// good one fills them, a bad one yields each problem at its file:line:col.
func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		want       []string
	}{
		{name: "good", data: "name: a\ncount: 0x10\nwait: 90s\non: true\ntags: x\nwhere: here\nitems: [p, q]\nvars: {k: v}\n"},
		{name: "unknown key, embedded fields listed", data: "name: a\nskip: x\n",
			want: []string{"f.yaml:2:1: skip: unknown key; valid keys here: count, items, name, on, tags, vars, wait, where"}},
		{name: "wrong kinds", data: "count: 1.5\nwait: 45\non: yes\nitems: p\nvars: [k]\nwhere: {a: b}\n", want: []string{
			`f.yaml:1:8: count: want a whole number, got "1.5"`,
			`f.yaml:2:7: wait: want a duration like 45m or 15s, got "45"`,
			`f.yaml:3:5: on: want true or false, got "yes"`,
			`f.yaml:4:8: items: want a list, got "p"`,
			"f.yaml:5:7: vars: want a mapping, got a list",
			"f.yaml:6:8: where: want a value, got a mapping",
		}},
		{name: "key twice", data: "name: a\nname: b\nvars: {k: 1, k: 2}\n", want: []string{
			"f.yaml:2:1: name: key declared twice in the same mapping",
			"f.yaml:3:14: vars.k: key declared twice in the same mapping",
		}},
		{name: "not a mapping", data: "- a\n", want: []string{"f.yaml:1:1: want a mapping, got a list"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := &Errors{}
			root := Document("f.yaml", []byte(tc.data), errs, "one per file")
			var d doc
			Decode("f.yaml", root, &d, errs, nil)
			var got []string
			for _, e := range errs.List {
				got = append(got, e.Error())
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if tc.want != nil {
				return
			}
			if d.Name != "a" || d.Count != 16 || d.Wait != 90*time.Second || d.On == nil || !*d.On ||
				!reflect.DeepEqual(d.Tags, List{"x"}) || d.Where.Value != "here" || d.Where.Pos.String() != "f.yaml:6:8" ||
				!reflect.DeepEqual(d.Items, []string{"p", "q"}) || d.Vars["k"] != "v" {
				t.Errorf("decoded %+v", d)
			}
			if got := d.Field("wait").String(); got != "f.yaml:3:7" {
				t.Errorf("Field(wait) = %s", got)
			}
			if got := d.Field("absent").String(); got != "f.yaml:1:1" {
				t.Errorf("Field(absent) = %s, want the mapping's position", got)
			}
		})
	}
}

// TestDocument: no document, a second document and invalid YAML are told apart.
func TestDocument(t *testing.T) {
	for _, tc := range []struct {
		name, data, want string
		root             bool
	}{
		{name: "one", data: "a: 1\n", root: true},
		{name: "empty", data: ""},
		{name: "comment only", data: "# nothing\n"},
		{name: "two", data: "a: 1\n---\nb: 2\n", want: "f.yaml:2:1: one per file"},
		{name: "invalid", data: "a: [1\n", want: "f.yaml:2:1: invalid YAML: line 1: did not find expected ',' or ']'"},
		{name: "tab", data: "a:\n\tb: 1\n", want: "f.yaml:2:1: invalid YAML: line 2: found character that cannot start any token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := &Errors{}
			root := Document("f.yaml", []byte(tc.data), errs, "one per file")
			if (root != nil) != tc.root {
				t.Errorf("root = %v, want one: %v", root, tc.root)
			}
			if got := errs.Error(); got != tc.want {
				t.Errorf("errors = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestPositions: every decoded value's path has a position; an absent path falls back to
// its nearest enclosing value.
func TestPositions(t *testing.T) {
	errs := &Errors{}
	at := Positions{}
	var d doc
	Decode("f.yaml", Document("f.yaml", []byte("items:\n  - p\n  - q\nvars:\n  k: v\n"), errs, ""), &d, errs, at)
	if err := errs.Err(); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"":         "f.yaml:1:1",
		"items[1]": "f.yaml:3:5",
		"items[7]": "f.yaml:2:3",
		"vars.k":   "f.yaml:5:6",
		"vars.x.y": "f.yaml:5:3",
		"name":     "f.yaml:1:1",
	} {
		if got := at.Of(path).String(); got != want {
			t.Errorf("Of(%q) = %s, want %s", path, got, want)
		}
	}
}

// TestErrorsSortedOnce: the problems print in file, line, column order, each once.
func TestErrorsSortedOnce(t *testing.T) {
	errs := &Errors{}
	errs.Add(Pos{File: "b.yaml", Line: 1, Col: 1}, "", "late")
	errs.Add(Pos{File: "a.yaml", Line: 9, Col: 2}, "k", "early")
	errs.Add(Pos{File: "a.yaml", Line: 9, Col: 2}, "k", "early")
	if got, want := errs.Error(), "a.yaml:9:2: k: early\nb.yaml:1:1: late"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if (&Errors{}).Err() != nil {
		t.Error("Err() of no problems is not nil")
	}
}
