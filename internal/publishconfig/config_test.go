package publishconfig

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/imagegrid/imagegrid/internal/catalog"
	"github.com/imagegrid/imagegrid/internal/record"
)

func TestLoad(t *testing.T) {
	cfg, err := Load("testdata/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.VSphere.Datastore != "LocalDS_0" || cfg.VSphere.DiskProvisioning != "thin" || cfg.VSphere.Parallel != DefaultImports || cfg.VSphere.ContentLibrary.Name != "tkg-images" {
		t.Errorf("vsphere = %+v", cfg.VSphere)
	}
	a := cfg.AWS
	if len(a.Regions) != 3 || a.Parallel != 8 || a.WaitTimeout != 30*time.Minute || a.PollInterval != DefaultPollInterval || a.Public {
		t.Errorf("aws = %+v", a)
	}
	if z := cfg.Azure; z == nil || z.Parallel != DefaultParallel || z.WaitTimeout != time.Hour || z.PollInterval != 30*time.Second || z.Endpoint != "" {
		t.Errorf("azure = %+v", z)
	}
	want := catalog.DefaultSelectors()
	want[record.InfraAWS] = []catalog.Selector{{"ami-region", "os-name"}, {"ami-region", "os-name", "os-arch"}}
	if got := cfg.Selectors(); !reflect.DeepEqual(got, want) {
		t.Errorf("selectors = %v, want %v", got, want)
	}
}

// TestSelectorsDefault: without a catalog section the selectors are tanzu-framework's.
func TestSelectorsDefault(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte("apiVersion: imagegrid.io/v1alpha1\nkind: PublishConfig\naws: {regions: [us-east-1]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Selectors(); !reflect.DeepEqual(got, catalog.DefaultSelectors()) {
		t.Errorf("selectors = %v, want the defaults", got)
	}
	if _, err := Parse("c.yaml", []byte("apiVersion: imagegrid.io/v1alpha1\nkind: PublishConfig\ncatalog:\n  selectors: {vsphere: [\"image-type,os-name,os-version\", \"image-type,example.com/flavor\"]}\n")); err != nil {
		t.Errorf("a config with only catalog (for publish --check): %v", err)
	}
}

// TestParseJSON: JSON is YAML, so a configuration written as JSON decodes the same, numbers,
// booleans and durations included.
func TestParseJSON(t *testing.T) {
	cfg, err := Parse("c.json", []byte(`{"apiVersion": "imagegrid.io/v1alpha1", "kind": "PublishConfig",
  "aws": {"regions": ["us-east-1"], "parallel": 3, "public": true, "waitTimeout": "10m"},
  "vsphere": {"server": "vc", "datacenter": "DC0", "datastore": "ds", "cluster": "C", "contentLibrary": {"name": "lib", "create": true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if a := cfg.AWS; !reflect.DeepEqual(a.Regions, []string{"us-east-1"}) || a.Parallel != 3 || !a.Public || a.WaitTimeout != 10*time.Minute {
		t.Errorf("aws = %+v", a)
	}
	if v := cfg.VSphere; v.Datacenter != "DC0" || v.Cluster != "C" || v.ContentLibrary == nil || !v.ContentLibrary.Create {
		t.Errorf("vsphere = %+v", v)
	}
}

func TestParseErrors(t *testing.T) {
	const head = "apiVersion: imagegrid.io/v1alpha1\nkind: PublishConfig\n"
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"empty", "", "c.yaml: empty publish config"},
		{"unknown field", head + "aws:\n  regions: [us-east-1]\n  region: us-east-1\n", "c.yaml:5:3: aws.region: unknown key; valid keys here: accounts, organizationalUnits, organizations, parallel, pollInterval, public, regions, waitTimeout"},
		{"wrong type", head + "aws:\n  regions: [us-east-1]\n  parallel: many\n", `c.yaml:5:13: aws.parallel: want a whole number, got "many"`},
		{"wrong duration", head + "aws:\n  regions: [us-east-1]\n  waitTimeout: 45\n", `c.yaml:5:16: aws.waitTimeout: want a duration like 45m or 15s, got "45"`},
		{"wrong bool", head + "vsphere: {server: vc, datacenter: DC0, datastore: ds, cluster: C, insecure: maybe}\n", `c.yaml:3:77: vsphere.insecure: want true or false, got "maybe"`},
		{"not a mapping", "just words\n", `c.yaml:1:1: want a mapping, got "just words"`},
		{"invalid YAML", head + "aws: {regions: [us-east-1}\n", "c.yaml:3:1: invalid YAML: line 2: did not find expected ',' or ']'"},
		{"two documents", head + "aws: {regions: [us-east-1]}\n---\n" + head, "c.yaml:4:1: one publish configuration per file"},
		{"key twice", head + "aws: {regions: [us-east-1]}\naws: {regions: [eu-west-1]}\n", "c.yaml:4:1: aws: key declared twice in the same mapping"},
		{"no target", head, "c.yaml:2:7: kind: no target"},
		{"wrong kind", "apiVersion: imagegrid.io/v1alpha1\nkind: Cell\naws: {regions: [us-east-1]}\n", `c.yaml:2:7: kind: got "Cell", want "PublishConfig"`},
		{"bad region", head + "aws:\n  regions:\n    - us-east-1\n    - Mars\n", `c.yaml:6:7: aws.regions[1]: "Mars" is not a region name`},
		{"bad account", head + "aws:\n  regions: [us-east-1]\n  accounts: [\"12345\"]\n", `c.yaml:5:14: aws.accounts[0]: "12345" is not a 12-digit account id`},
		{"bad ou", head + "aws:\n  regions: [us-east-1]\n  organizationalUnits: [ou-1]\n", `aws.organizationalUnits[0]: "ou-1" is not an OU ARN`},
		{"missing datastore", head + "vsphere:\n  server: vc\n  datacenter: DC0\n  cluster: C\n", "c.yaml:4:3: vsphere.datastore: required"},
		{"pool and cluster", head + "vsphere: {server: vc, datacenter: DC0, datastore: ds, cluster: C, resourcePool: P}\n", "vsphere.resourcePool: set cluster or resourcePool, not both"},
		{"bad thumbprint", head + "vsphere: {server: vc, datacenter: DC0, datastore: ds, cluster: C, thumbprint: abc}\n", `vsphere.thumbprint: "abc" is not a SHA-1 or SHA-256 fingerprint`},
		{"insecure and pinned", head + "vsphere: {server: vc, datacenter: DC0, datastore: ds, cluster: C, insecure: true, thumbprint: \"" + strings.Repeat("AB:", 31) + "AB\"}\n", "vsphere.insecure: insecure turns off"},
		{"negative parallel", head + "vsphere: {server: vc, datacenter: DC0, datastore: ds, cluster: C, parallel: -1}\n", "c.yaml:3:77: vsphere.parallel: -1; want a positive number"},
		{"selector of an unknown infrastructure", head + "catalog:\n  selectors:\n    gcp: [os-name]\n", `c.yaml:5:10: catalog.selectors.gcp: "gcp" is not an infrastructure; want vsphere, aws or azure`},
		{"no selector", head + "catalog:\n  selectors:\n    vsphere: []\n", `c.yaml:5:14: catalog.selectors.vsphere: no selector; give at least one, like "image-type,os-name"`},
		{"selector with values", head + "catalog:\n  selectors:\n    aws:\n      - ami-region,os-name\n      - ami-region=us-east-1,os-name\n", `c.yaml:7:9: catalog.selectors.aws[1]: "ami-region=us-east-1,os-name": "ami-region=us-east-1" is not a label key; give the keys only`},
		{"empty label key", head + "catalog: {selectors: {azure: [\"os-name,,os-version\"]}}\n", `catalog.selectors.azure[0]: "os-name,,os-version" has an empty label key`},
		{"bad label key", head + "catalog: {selectors: {azure: [\"os-name,-x\"]}}\n", `catalog.selectors.azure[0]: "os-name,-x": "-x" is not a label key`},
		{"repeated label key", head + "catalog: {selectors: {azure: [\"os-name,os-name\"]}}\n", `catalog.selectors.azure[0]: "os-name,os-name" names os-name twice`},
		{"aws selector without the region", head + "catalog: {selectors: {aws: [\"os-name,os-arch\"]}}\n", `catalog.selectors.aws[0]: "os-name,os-arch" has no ami-region`},
		{"selector not a list", head + "catalog: {selectors: {azure: os-name}}\n", `c.yaml:3:30: catalog.selectors.azure: want a list, got "os-name"`},
		{"azure negative parallel", head + "azure:\n  parallel: -2\n", "c.yaml:4:13: azure.parallel: -2; want a positive number"},
		{"azure endpoint not https", head + "azure:\n  endpoint: http://127.0.0.1:8443\n  authorityHost: https://127.0.0.1:8443/\n", `c.yaml:4:13: azure.endpoint: "http://127.0.0.1:8443"; want an https URL`},
		{"azure endpoint alone", head + "azure: {endpoint: \"https://management.usgovcloudapi.net\"}\n", "c.yaml:3:8: azure: set endpoint and authorityHost together"},
		{"azure unknown field", head + "azure:\n  regions: [eastus]\n", `c.yaml:4:3: azure.regions: unknown key; valid keys here: authorityHost, endpoint, parallel, pollInterval, waitTimeout`},
		{"library without name", head + "vsphere: {server: vc, datacenter: DC0, datastore: ds, cluster: C, contentLibrary: {create: true}}\n", "vsphere.contentLibrary.name: required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v; want one containing %q", err, tc.want)
			}
		})
	}
}

// TestLoadSizeLimit loads a configuration past the documented limit: the error names the
// file and the limit.
func TestLoadSizeLimit(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "publish.yaml")
	if err := os.WriteFile(path, []byte("# "+strings.Repeat("x", 1<<20)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	want := path + " is larger than 1 MiB, the limit for the publish configuration (see docs/security.md)"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Load: %v; want an error containing %q", err, want)
	}
}
