package build

import (
	"context"
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/grid"
	"github.com/imagegrid/imagegrid/internal/syncbuf"
)

// TestDryRunEveryShippedCell: build --dry-run of every cell of the shipped grid shows the
// complete variable set Image Builder gets and what it sees of the repository: for TKG Linux
// cells the TKr's configuration with the bundle address substituted, the tkg/ role before the
// grid's roles, and the goss spec; for TKG Windows cells its windows.json, the grid's ISO paths,
// the answer file (not shown) and the windows-resource-bundle.
func TestDryRunEveryShippedCell(t *testing.T) {
	t.Chdir("../..")
	cells, err := grid.Load("matrices")
	if err != nil || len(cells) == 0 {
		t.Fatalf("the shipped grid: %d cells, %v", len(cells), err)
	}
	for _, c := range cells {
		o := dockerOptions("/ci/work")
		o.VarsRoot, o.DryRun = ".", true
		o.Environ = append(o.Environ, testCreds...)
		o.Environ = append(o.Environ, "AZURE_SUBSCRIPTION_ID=s", "AZURE_TENANT_ID=t", "AZURE_CLIENT_ID=c", "AZURE_CLIENT_SECRET=azure-s3cret",
			"RHSM_USER=rhsm-user", "RHSM_PASS=rhsm-s3cret")
		out := &syncbuf.Buffer{}
		o.Console = out
		if _, err := Build(context.Background(), c, o); err != nil {
			t.Errorf("cell %s: %v", c.ID, err)
			continue
		}
		text := out.String()
		want := []string{
			"variables from these var files",
			"kubernetes_semver = " + c.Kubernetes.Semver + "   (",
			"build_version = " + c.ID,
			"-v /srv/runner/work/" + c.ID + ":/home/imagebuilder/imagegrid",
		}
		switch {
		case c.TKGConfig != nil && c.OS.Type == "windows":
			want = append(want,
				c.TKGConfig.Path+" -> /home/imagebuilder/imagegrid/tkg-config",
				"runtime = containerd   ("+c.TKGConfig.Path+"/windows.json)",
				"kubernetes_base_url = http://10.1.2.3:3999/files/kubernetes   ("+c.TKGConfig.Path+"/windows.json)",
				"os_iso_path = "+c.Windows.ISOPath+"   (the grid's windows settings)",
				"(copy of "+c.Windows.AnswerFile.Path+", sha256 verified; not shown, removed after the build)",
				"/windows-resource-bundle:",
				"-e IB_OVFTOOL_ARGS=--skipManifestCheck",
			)
		case c.TKGConfig != nil:
			want = append(want,
				c.TKGConfig.Path+" -> /home/imagebuilder/imagegrid/tkg-config",
				"kubernetes_cni_source_type = http   ("+c.TKGConfig.Path+"/tkg.json)",
				"kubernetes_http_source = http://10.1.2.3:3999/files/kubernetes",
				"goss_tests_dir = /home/imagebuilder/imagegrid/tkg-config/goss",
				"custom_role_names = /home/imagebuilder/imagegrid/tkg-config/tkg",
			)
		}
		for i, r := range c.Roles {
			want = append(want, r.Path+" -> /home/imagebuilder/imagegrid/roles/"+roleDirName(i, r.Path))
		}
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("cell %s: dry run lacks %q:\n%s", c.ID, w, text)
			}
		}
		for _, secret := range []string{"s3cret-vsphere-pw", "s3cret-aws-secret-key", "azure-s3cret"} {
			if strings.Contains(text, secret) {
				t.Errorf("cell %s: dry run shows a secret", c.ID)
			}
		}
	}
}
