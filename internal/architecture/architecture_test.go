package architecture

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// doc is the document that states the rule, relative to the module root.
const doc = "docs/architecture.md"

// layers, top to bottom: a package imports its own layer or one further down.
var layers = []string{"commands", "steps", "domain", "formats"}

const (
	testutil = "testutil" // imported by tests and testutil only; lives under internal/testutil/
	checks   = "checks"   // imported by nothing
)

// A row is one package pattern of the document's table and the layer it puts packages in.
type row struct {
	line    int
	pattern string // a package path relative to the module, or such a path + "/..."
	layer   string
}

// rule is the document's table.
type rule struct {
	rows []row
}

// parseRule reads the table of doc headed "| package | layer |"; its cells are `code` spans.
func parseRule(name string, r io.Reader) (rule, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return rule{}, err
	}
	var out rule
	table := ""
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "|") {
			table = ""
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for j := range cells {
			cells[j] = strings.TrimSpace(cells[j])
		}
		switch {
		case len(cells) < 2 || strings.HasPrefix(cells[0], "---"):
			continue
		case table == "" && cells[0] == "package":
			table = cells[0]
			continue
		case table != "package":
			continue
		}
		first, layer := strings.Trim(cells[0], "`"), cells[1]
		if !slices.Contains(layers, layer) && layer != testutil && layer != checks {
			return rule{}, fmt.Errorf("%s:%d: layer %q of %s: want one of %s, %s, %s", name, n, layer, first, strings.Join(layers, ", "), testutil, checks)
		}
		out.rows = append(out.rows, row{line: n, pattern: first, layer: layer})
	}
	if len(out.rows) == 0 {
		return rule{}, fmt.Errorf("%s: no table headed \"| package | layer | owns |\"", name)
	}
	return out, nil
}

// match is the row of the longest pattern matching pkg (a path relative to the module).
func (r rule) match(pkg string) (row, bool) {
	var best row
	found := false
	for _, w := range r.rows {
		base, tree := strings.CutSuffix(w.pattern, "/...")
		if pkg == base || (tree && strings.HasPrefix(pkg, base+"/")) {
			if !found || len(w.pattern) > len(best.pattern) {
				best, found = w, true
			}
		}
	}
	return best, found
}

// A pkg is what go list says of one package, paths made relative to the module.
type pkg struct {
	path        string
	imports     []string // of its production files, within the module
	testImports []string // of its _test.go files, within the module
}

// allowed says whether a production import from a package of layer from to one of layer to
// follows the rule, and if not, what would.
func allowed(from, to string) (bool, string) {
	switch {
	case to == checks:
		return false, "nothing imports a checks package"
	case to == testutil && from != testutil:
		return false, "only tests and internal/testutil import testutil"
	case from == testutil || from == checks:
		return true, ""
	case to == testutil:
		return true, ""
	}
	fi, ti := slices.Index(layers, from), slices.Index(layers, to)
	if fi <= ti {
		return true, ""
	}
	return false, fmt.Sprintf("%s import %s", from, strings.Join(layers[fi:], ", "))
}

// violations checks pkgs against r and returns what breaks it, each naming the document's line
// where one exists.
func violations(r rule, pkgs []pkg) []string {
	c := &checker{rule: r, layer: map[string]string{}}
	c.place(pkgs)
	c.imports(pkgs)
	c.findTestOnly(pkgs)
	return c.out
}

// checker carries one run of the rule: the layer of each package and the importers of each
// package seen so far.
type checker struct {
	rule
	layer                        map[string]string
	prodImporters, testImporters map[string]int // of each package: production files, test files
	out                          []string
}

func (c *checker) fail(format string, args ...any) {
	c.out = append(c.out, fmt.Sprintf(format, args...))
}

// place gives each package its row's layer: every package has a row, every row a package, and
// testutil lives under internal/testutil/.
func (c *checker) place(pkgs []pkg) {
	matched := map[int]bool{}
	for _, p := range pkgs {
		w, ok := c.match(p.path)
		if !ok {
			c.fail("%s: package %s has no row in the table; add one with its layer (%s, %s or %s)", doc, p.path, strings.Join(layers, ", "), testutil, checks)
			continue
		}
		c.layer[p.path], matched[w.line] = w.layer, true
		if w.layer == testutil && !strings.HasPrefix(p.path, "internal/testutil/") {
			c.fail("%s:%d: %s is test-only code: move it under internal/testutil/", doc, w.line, p.path)
		}
	}
	for _, w := range c.rows {
		if !matched[w.line] {
			c.fail("%s:%d: row %s names no package of the module: delete it or fix the path", doc, w.line, w.pattern)
		}
	}
}

// imports checks every production import against the layers and counts each package's
// importers.
func (c *checker) imports(pkgs []pkg) {
	c.prodImporters, c.testImporters = map[string]int{}, map[string]int{}
	for _, p := range pkgs {
		from, ok := c.layer[p.path]
		if !ok {
			continue
		}
		for _, imp := range p.imports {
			to, ok := c.layer[imp]
			if !ok {
				continue
			}
			if from != testutil && from != checks {
				c.prodImporters[imp]++
			}
			if ok, want := allowed(from, to); !ok {
				c.fail("%s (%s) imports %s (%s): %s", p.path, from, imp, to, want)
			}
		}
		for _, imp := range p.testImports {
			c.testImporters[imp]++
		}
	}
}

// findTestOnly finds the packages of a layer that only tests import.
func (c *checker) findTestOnly(pkgs []pkg) {
	for _, p := range pkgs {
		switch c.layer[p.path] {
		case "", testutil, checks, "commands":
			continue
		}
		if c.prodImporters[p.path] == 0 && c.testImporters[p.path] > 0 {
			c.fail("%s: only tests import %s: test-only code lives under internal/testutil/", doc, p.path)
		}
	}
}

// listPackages runs go list -json over the module at root.
func listPackages(t *testing.T, root string) []pkg {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "go", "list", "-e", "-json=ImportPath,Module,Imports,TestImports,XTestImports", "./...")
	cmd.Dir = root
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var pkgs []pkg
	for {
		var p struct {
			ImportPath                         string
			Module                             struct{ Path string }
			Imports, TestImports, XTestImports []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list: %v", err)
		}
		local := func(paths ...[]string) []string {
			var rel []string
			for _, ps := range paths {
				for _, ip := range ps {
					if r, ok := strings.CutPrefix(ip, p.Module.Path+"/"); ok && ip != p.ImportPath {
						rel = append(rel, r)
					}
				}
			}
			slices.Sort(rel)
			return slices.Compact(rel)
		}
		path, _ := strings.CutPrefix(p.ImportPath, p.Module.Path+"/")
		pkgs = append(pkgs, pkg{path: path, imports: local(p.Imports), testImports: local(p.TestImports, p.XTestImports)})
	}
	return pkgs
}

// TestImportRule checks the module's packages against docs/architecture.md.
func TestImportRule(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(root, doc))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := parseRule(doc, f)
	if err != nil {
		t.Fatal(err)
	}
	if v := violations(r, listPackages(t, root)); len(v) > 0 {
		t.Errorf("the packages break the rule of %s:\n\t%s", doc, strings.Join(v, "\n\t"))
	}
}

// TestRuleCatchesEachBreak runs the rule over small made-up trees, one break each.
func TestRuleCatchesEachBreak(t *testing.T) {
	const table = "| package | layer | owns |\n|---|---|---|\n" +
		"| `cmd/...` | commands | mains |\n" +
		"| `internal/step` | steps | a step |\n" +
		"| `internal/model` | domain | the domain |\n" +
		"| `internal/bytes` | formats | a format |\n" +
		"| `internal/testutil/...` | testutil | fakes |\n" +
		"| `internal/lint` | checks | linters |\n"
	base := []pkg{
		{path: "cmd/x", imports: []string{"internal/step"}},
		{path: "internal/step", imports: []string{"internal/model", "internal/bytes"}, testImports: []string{"internal/testutil/fake"}},
		{path: "internal/model", imports: []string{"internal/bytes"}},
		{path: "internal/bytes"},
		{path: "internal/testutil/fake", imports: []string{"internal/model"}},
		{path: "internal/lint"},
	}
	with := func(change func([]pkg) []pkg) []pkg { return change(slices.Clone(base)) }
	tests := []struct {
		name  string
		rows  string // added to the table
		after string // text after the table
		pkgs  []pkg
		want  string // a part of the one violation; "" for none
	}{
		{"the rule as laid out", "", "", base, ""},
		{"an arrow up", "", "", with(func(p []pkg) []pkg {
			p[3] = pkg{path: "internal/bytes", imports: []string{"internal/model"}}
			return p
		}), "internal/bytes (formats) imports internal/model (domain): formats import formats"},
		{"production code on testutil", "", "", with(func(p []pkg) []pkg {
			p[2] = pkg{path: "internal/model", imports: []string{"internal/testutil/fake"}}
			return p
		}), "only tests and internal/testutil import testutil"},
		{"an import of a check", "", "", with(func(p []pkg) []pkg {
			p[0] = pkg{path: "cmd/x", imports: []string{"internal/step", "internal/lint"}}
			return p
		}), "nothing imports a checks package"},
		{"a package without a row", "", "", append(slices.Clone(base), pkg{path: "internal/new"}), "package internal/new has no row"},
		{"a row without a package", "", "", base[:5], "row internal/lint names no package"},
		{"test-only code outside testutil", "| `internal/fake` | formats | fake |\n", "", append(slices.Clone(base), pkg{path: "internal/fake"}, pkg{path: "cmd/y", testImports: []string{"internal/fake"}}), "only tests import internal/fake"},
		{"an arrow up that another table lists", "", "| from | to | why |\n|---|---|---|\n| `internal/bytes` | `internal/model` | moving |\n", with(func(p []pkg) []pkg {
			p[3] = pkg{path: "internal/bytes", imports: []string{"internal/model"}}
			return p
		}), "internal/bytes (formats) imports internal/model (domain)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := parseRule("architecture.md", strings.NewReader(table+tt.rows+"\n"+tt.after))
			if err != nil {
				t.Fatal(err)
			}
			got := violations(r, tt.pkgs)
			switch {
			case tt.want == "" && len(got) > 0:
				t.Errorf("violations: %q, want none", got)
			case tt.want != "" && (len(got) != 1 || !strings.Contains(got[0], tt.want)):
				t.Errorf("violations: %q, want one containing %q", got, tt.want)
			}
		})
	}
}

// TestRuleRefusesAnUnknownLayer checks that a row's layer is one the rule knows.
func TestRuleRefusesAnUnknownLayer(t *testing.T) {
	_, err := parseRule("architecture.md", strings.NewReader("| package | layer | owns |\n|---|---|---|\n| `internal/x` | adapters | x |\n"))
	if err == nil || !strings.Contains(err.Error(), `architecture.md:3: layer "adapters" of internal/x: want one of commands, steps, domain, formats, testutil, checks`) {
		t.Errorf("err = %v", err)
	}
}
