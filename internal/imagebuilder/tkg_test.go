package imagebuilder

import (
	"slices"
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/record"
)

func TestBundleVars(t *testing.T) {
	t.Parallel()
	vars, err := BundleVars("tkg.json", []byte(`{"kubernetes_http_source": "http://<IP>:<PORT>/files/kubernetes", "containerd_url": "http://\u003cIP\u003e:\u003cPORT\u003e/c.tar", "custom_role": true}`), "http://10.0.0.5:3999")
	if err != nil {
		t.Fatal(err)
	}
	if vars["kubernetes_http_source"] != "http://10.0.0.5:3999/files/kubernetes" || vars["containerd_url"] != "http://10.0.0.5:3999/c.tar" || vars["custom_role"] != true {
		t.Errorf("BundleVars = %v", vars)
	}
	if _, err := BundleVars("cfg/tkg.json", []byte(`[]`), "http://10.0.0.5:3999"); err == nil || !strings.Contains(err.Error(), "cfg/tkg.json") {
		t.Errorf("BundleVars of a non-object: %v", err)
	}
}

func TestCustomisationRunsEachRoleOnce(t *testing.T) {
	t.Parallel()
	v := Customisation{Roles: []string{"/w/tkg-config/tkg", "/w/roles/01-hardening"}, GossTestsDir: "/w/tkg-config/goss", GossEntryFile: "goss/goss.yaml"}.Vars()
	if v["custom_role_names"] != "/w/tkg-config/tkg /w/roles/01-hardening" || v["node_custom_roles_post"] != "" || v["node_custom_roles_pre"] != "" || v["custom_role"] != "true" {
		t.Errorf("roles = %v", v)
	}
	if v["goss_tests_dir"] != "/w/tkg-config/goss" || v["goss_entry_file"] != "goss/goss.yaml" || v["goss_format"] != "json" {
		t.Errorf("goss = %v", v)
	}
	for k := range v {
		if !slices.Contains(OwnedVars(tkgCell(record.InfraVSphere, "", "v0.1.55")), k) {
			t.Errorf("%s is composed by imagegrid but not in OwnedVars", k)
		}
	}
}

func TestRegistry(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"projects.registry.vmware.com/tkg/linux-resource-bundle:v1.30.2_vmware.1-tkg.1": "projects.registry.vmware.com/tkg",
		"reg.local:5000/a/b/bundle@sha256:abcd":                                         "reg.local:5000/a/b",
		"bundle":                                                                        "bundle",
	} {
		if got := Registry(in); got != want {
			t.Errorf("Registry(%q) = %q, want %q", in, got, want)
		}
	}
}
