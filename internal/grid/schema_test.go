package grid

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// TestSchemaAgreesWithLoader checks matrices/grid.schema.json, the schema editors use, against
// the loader: every declaration the loader accepts is valid, and the unknown-key fixtures the
// loader rejects are invalid too.
func TestSchemaAgreesWithLoader(t *testing.T) {
	c := jsonschema.NewCompiler()
	schema, err := c.Compile("../../matrices/grid.schema.json")
	if err != nil {
		t.Fatalf("compile the schema: %v", err)
	}
	valid, _ := filepath.Glob("testdata/multi/*.yaml")
	shipped, _ := filepath.Glob("../../matrices/*.yaml")
	valid = append(valid, shipped...)
	for _, name := range valid {
		if err := schema.Validate(yamlValue(t, name)); err != nil {
			t.Errorf("%s: the loader accepts it, the schema does not:\n%v", name, err)
		}
	}
	for _, name := range []string{"testdata/errors/unknown-key.yaml", "testdata/errors/unknown-os.yaml", "testdata/errors/bad-flavor.yaml", "testdata/errors/bool-type.yaml", "testdata/errors/bad-version.yaml"} {
		if err := schema.Validate(yamlValue(t, name)); err == nil {
			t.Errorf("%s: the loader rejects it, the schema accepts it", name)
		}
	}
}

// yamlValue reads a YAML file into the plain values a JSON Schema validator takes.
func yamlValue(t *testing.T, name string) any {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return v
}
