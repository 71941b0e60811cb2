package build

import (
	"context"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/record"
)

func TestBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cell func() record.Cell
		opts func(o *Options)
		want string
	}{
		{
			name: "target the Image Builder release lacks",
			cell: func() record.Cell {
				c := vsphereCell("ubuntu-2404", "24.04")
				c.ImageBuilder.Version = "v0.1.13_vmware.2"
				return c
			},
			opts: func(o *Options) { o.Executor, o.InContainer = ExecutorDocker, func() bool { return false } },
			want: "cell vsphere-ubuntu-2404-amd64-v1.30.2: Image Builder v0.1.13_vmware.2 has no target build-node-ova-vsphere-ubuntu-2404",
		},
		{
			name: "target of another infrastructure",
			cell: func() record.Cell {
				c := awsCell()
				c.Target.Build = "build-node-ova-vsphere-ubuntu-2204"
				return c
			},
			want: `target.build "build-node-ova-vsphere-ubuntu-2204": a aws target starts with "build-ami-"`,
		},
		{
			name: "vSphere credentials missing",
			cell: func() record.Cell { return vsphereCell("ubuntu-2204", "22.04") },
			opts: func(o *Options) { o.Environ = []string{"PATH=/usr/bin"} },
			want: "cell vsphere-ubuntu-2204-amd64-v1.30.2: vsphere credentials missing: VSPHERE_SERVER, VSPHERE_USERNAME, VSPHERE_PASSWORD not set in the environment (or set vcenter_server, username, password in a var file)",
		},
		{
			name: "AWS secret key missing",
			cell: awsCell,
			opts: func(o *Options) { o.Environ = []string{"AWS_ACCESS_KEY_ID=AKIATESTKEYID0000000"} },
			want: "aws credentials missing: AWS_SECRET_ACCESS_KEY not set in the environment",
		},
		{
			name: "Azure credentials missing, env file named",
			cell: func() record.Cell {
				c := awsCell()
				c.Infra, c.Target.Build = record.InfraAzure, "build-azure-sig-ubuntu-2204"
				return c
			},
			opts: func(o *Options) { o.EnvFile = "testdata/creds.env" },
			want: "azure credentials missing: AZURE_SUBSCRIPTION_ID, AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET or AZURE_FEDERATED_TOKEN_FILE (or run in a GitHub Actions job with permissions id-token: write) not set in the environment or testdata/creds.env",
		},
		{
			name: "var file changed since the cell was made",
			cell: func() record.Cell {
				c := vsphereCell("ubuntu-2204", "22.04")
				c.VarFiles = []record.VarFile{{Path: "vars/site.json", SHA256: strings.Repeat("0", 64)}}
				return c
			},
			want: "var file testdata/vars/site.json changed since the cell was made",
		},
		{
			name: "var file not JSON",
			cell: func() record.Cell {
				c := vsphereCell("ubuntu-2204", "22.04")
				c.VarFiles = []record.VarFile{varFileAt("broken.json")}
				return c
			},
			want: "var file testdata/vars/broken.json: want a JSON object of packer variables",
		},
		{
			name: "var file missing",
			cell: func() record.Cell {
				c := vsphereCell("ubuntu-2204", "22.04")
				c.VarFiles = []record.VarFile{{Path: "vars/gone.json", SHA256: strings.Repeat("0", 64)}}
				return c
			},
			want: "testdata/vars/gone.json: no such file",
		},
		{
			name: "var file outside the root",
			cell: func() record.Cell {
				c := vsphereCell("ubuntu-2204", "22.04")
				c.VarFiles = []record.VarFile{{Path: "../secrets.json", SHA256: strings.Repeat("0", 64)}}
				return c
			},
			want: `varFiles[0].path "../secrets.json": want a path relative to the directory matrix ran in`,
		},
		{
			name: "vars set a variable build owns",
			cell: func() record.Cell {
				c := vsphereCell("ubuntu-2204", "22.04")
				c.Vars = map[string]string{"output_dir": "/etc", "build_version": "x", "disk_size": "20480"}
				return c
			},
			want: "cell vsphere-ubuntu-2204-amd64-v1.30.2: vars sets build_version, output_dir, which imagegrid sets for every cell",
		},
		{
			name: "var file sets a variable build owns",
			cell: func() record.Cell {
				c := vsphereCell("ubuntu-2204", "22.04")
				c.VarFiles = []record.VarFile{varFileAt("wrong-semver.json")}
				return c
			},
			want: "var file testdata/vars/wrong-semver.json sets kubernetes_semver (line 2), which imagegrid sets for every cell",
		},
		{
			name: "tkg cell sets the resource bundle's source",
			cell: func() record.Cell {
				c := tkgCell()
				c.Vars = map[string]string{"kubernetes_http_source": "http://attacker.example"}
				return c
			},
			want: `kubernetes_http_source is "http://attacker.example" (set by the cell's vars): want a file of the TKr's resource bundle at http://`,
		},
		{
			name: "build key not a sha256",
			cell: func() record.Cell {
				c := vsphereCell("ubuntu-2204", "22.04")
				c.BuildKey = "abc"
				return c
			},
			want: `buildKey "abc": want a sha256 as 64 hex digits`,
		},
		{
			name: "cell id unsafe as a directory",
			cell: func() record.Cell {
				c := vsphereCell("ubuntu-2204", "22.04")
				c.ID = "../escape"
				return c
			},
			want: `cell id "../escape": want lower-case letters`,
		},
		{
			name: "tkg cell without TKr",
			cell: func() record.Cell {
				c := tkgCell()
				c.Kubernetes.TKr = ""
				return c
			},
			want: "the tkg flavor needs kubernetes.tkr",
		},
		{
			name: "tkg cell without its TKG configuration",
			cell: func() record.Cell {
				c := tkgCell()
				c.TKGConfig = nil
				return c
			},
			want: "the tkg flavor needs tkgConfig",
		},
		{
			name: "TKG configuration changed since matrix",
			cell: func() record.Cell {
				c := tkgCell()
				c.TKGConfig.SHA256 = strings.Repeat("0", 64)
				return c
			},
			want: "tkgConfig testdata/tkg-config/v1.30.2+vmware.1-tkg.1 changed since the cell was made",
		},
		{
			name: "role folder outside the repository",
			cell: func() record.Cell {
				c := vsphereCell("ubuntu-2204", "22.04")
				c.Roles = []record.Folder{{Path: "../../matrices/customisations/roles/hardening", SHA256: strings.Repeat("0", 64)}}
				return c
			},
			want: `roles[0] "../../matrices/customisations/roles/hardening": want a folder relative to the directory matrix ran in`,
		},
		{
			name: "var file naming the roles itself",
			cell: func() record.Cell {
				c := vsphereCell("ubuntu-2204", "22.04")
				c.VarFiles = []record.VarFile{varFile(t, "own-roles.json")}
				return c
			},
			want: "var file testdata/vars/own-roles.json sets custom_role_names (line 3), node_custom_roles_post (line 4), which imagegrid sets",
		},
		{
			name: "TKG configuration without tkg.json",
			cell: func() record.Cell {
				c := tkgCell()
				c.TKGConfig = folder("roles")
				return c
			},
			want: "cell vsphere-ubuntu-2204-amd64-v1.30.2---vmware.1: TKG configuration roles: open testdata/roles/tkg.json: no such file",
		},
		{
			name: "make executor without checkout",
			cell: func() record.Cell { return vsphereCell("ubuntu-2204", "22.04") },
			opts: func(o *Options) { o.ImageBuilderDir = "" },
			want: "the make executor needs --image-builder-dir",
		},
		{
			name: "make executor dir without Makefile",
			cell: func() record.Cell { return vsphereCell("ubuntu-2204", "22.04") },
			opts: func(o *Options) { o.ImageBuilderDir = "testdata/vars" },
			want: "want an images/capi checkout with a Makefile",
		},
		{
			name: "unknown executor",
			cell: func() record.Cell { return vsphereCell("ubuntu-2204", "22.04") },
			opts: func(o *Options) { o.Executor = "podman" },
			want: `executor "podman": want docker or make`,
		},
		{
			name: "docker executor in a container without host work",
			cell: func() record.Cell { return vsphereCell("ubuntu-2204", "22.04") },
			opts: func(o *Options) {
				o.Executor, o.InContainer, o.MountInfo = ExecutorDocker, func() bool { return true }, "testdata/mountinfo/container-job"
			},
			want: "build runs inside a container and cannot tell the host path of --work: ",
		},
		{
			name: "docker executor without image",
			cell: func() record.Cell {
				c := vsphereCell("ubuntu-2204", "22.04")
				c.ImageBuilder.Image = ""
				return c
			},
			opts: func(o *Options) { o.Executor, o.InContainer = ExecutorDocker, func() bool { return false } },
			want: "imageBuilder.image is empty",
		},
		{
			name: "vSphere cell with neither cluster nor host",
			cell: func() record.Cell {
				c := vsphereCell("ubuntu-2204", "22.04")
				c.Publish.VSphere.Cluster = ""
				return c
			},
			want: "a vSphere build needs a cluster or a host for its VM",
		},
		{
			name: "var file makes the AMI public behind the grid's back",
			cell: func() record.Cell {
				c := awsCell()
				c.VarFiles = []record.VarFile{varFileAt("public-ami.json")}
				return c
			},
			want: `var file testdata/vars/public-ami.json sets ami_groups to "all", but imagegrid sets it to "" from the grid`,
		},
		{
			name: "RHEL without its own ISO",
			cell: rhelCell,
			opts: func(o *Options) { o.Environ = append(o.Environ, "RHSM_USER=rh-user", "RHSM_PASS=rh-pass") },
			want: "cell vsphere-rhel-9-amd64-v1.30.2: a rhel image needs iso_url and iso_checksum in its var files or vars",
		},
		{
			name: "RHEL without a subscription",
			cell: func() record.Cell {
				c := rhelCell()
				c.Vars = map[string]string{"iso_url": "https://isos.example.com/rhel-9.4-x86_64-dvd.iso", "iso_checksum": "sha256:" + strings.Repeat("1", 64)}
				return c
			},
			want: "vsphere credentials missing: RHSM_USER, RHSM_PASS not set in the environment; a rhel image needs RHSM_USER and RHSM_PASS",
		},
		{
			name: "malformed env file",
			cell: func() record.Cell { return vsphereCell("ubuntu-2204", "22.04") },
			opts: func(o *Options) { o.EnvFile = "testdata/creds-bad.env" },
			want: "testdata/creds-bad.env:2: want NAME=value",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := makeOptions(t)
			calls := 0
			o.Exec = func(context.Context, Command, io.Writer) error { calls++; return nil }
			if tt.opts != nil {
				tt.opts(&o)
			}
			_, err := Build(context.Background(), tt.cell(), o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v\nwant it to contain %q", err, tt.want)
			}
			if calls != 0 {
				t.Errorf("%d commands ran despite bad input", calls)
			}
			if entries, _ := os.ReadDir(o.WorkDir); len(entries) != 0 {
				t.Errorf("bad input left %v in the work dir", entries)
			}
		})
	}
}

func TestSameCellTwiceIsRefused(t *testing.T) {
	t.Parallel()
	c := vsphereCell("ubuntu-2204", "22.04")
	o := makeOptions(t)
	ws, err := newWorkspace(o.WorkDir, c)
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.open(false); err != nil {
		t.Fatal(err)
	}
	defer ws.close()
	o.Exec = func(context.Context, Command, io.Writer) error { t.Error("a command ran"); return nil }
	_, err = Build(context.Background(), c, o)
	if err == nil || !strings.Contains(err.Error(), "in use by another build of the same cell") {
		t.Fatalf("error = %v", err)
	}
	if _, err := os.Stat(filepath.Join(ws.dir, "vars", "imagegrid.json")); !os.IsNotExist(err) {
		t.Errorf("the second build wrote into the first one's workspace: %v", err)
	}
}

// TestSettingsAreNotSecrets: a region or an endpoint reaches Image Builder like the
// credentials, but is not masked or redacted (that would garble every log line naming it).
func TestSettingsAreNotSecrets(t *testing.T) {
	env := map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIATESTKEYID0000000", "AWS_SECRET_ACCESS_KEY": "s3cret-aws-secret-key",
		"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
	}
	c := ubuntuCellOn(record.InfraAWS, "2204", "ami", record.PublishHints{})
	creds, err := resolveCredentials(c, func(k string) string { return env[k] }, envFile{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_ENDPOINT_URL"} {
		if !slices.Contains(creds.fromEnv, name) {
			t.Errorf("%s is not passed to Image Builder: %v", name, creds.fromEnv)
		}
	}
	if slices.Contains(creds.secrets, "us-east-1") || slices.Contains(creds.secrets, "http://127.0.0.1:5000") {
		t.Errorf("settings counted as secrets: %v", creds.secrets)
	}
	if !slices.Contains(creds.secrets, "s3cret-aws-secret-key") {
		t.Errorf("the secret key is not a secret: %v", creds.secrets)
	}
}

// TestVarFileLinkLeavingTheRootIsRefused names a var file that is a link to a file outside
// the vars root, with the digest of that file: build refuses it all the same.
func TestVarFileLinkLeavingTheRootIsRefused(t *testing.T) {
	t.Parallel()
	outside := filepath.Join(t.TempDir(), "secrets.json")
	data := []byte(`{"ssh_password": "hunter2"}`)
	if err := os.WriteFile(outside, data, 0o600); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(root, "site.json")); err != nil {
		t.Fatal(err)
	}
	c := vsphereCell("ubuntu-2204", "22.04")
	c.VarFiles = []record.VarFile{{Path: "site.json", SHA256: testKeyBytes(data)}}
	o := makeOptions(t)
	o.VarsRoot = root
	o.Exec = func(context.Context, Command, io.Writer) error {
		t.Error("Image Builder ran with a var file from outside the vars root")
		return nil
	}
	_, err := Build(context.Background(), c, o)
	if err == nil || !strings.Contains(err.Error(), "var file: open "+filepath.Join(root, "site.json")+": path escapes from parent") {
		t.Fatalf("error = %v; want the var file named and refused for leaving the root", err)
	}
}

// TestAzureTokenSignInNeedsImageBuilderThatTakesIt: Image Builder's Azure targets take a
// federated token from v0.1.31 (init-sig.sh's AZURE_FEDERATED_TOKEN_FILE); an older release
// with no client secret is refused naming what it needs, and a token sign-in (build's own
// token or the environment's file) makes packer use the az CLI's login. With both a token and
// a secret, the token wins where Image Builder reads it (as init-sig.sh picks it first), the
// secret elsewhere; what is used is said by name, never by value.
func TestAzureTokenSignInNeedsImageBuilderThatTakesIt(t *testing.T) {
	ids := map[string]string{"AZURE_SUBSCRIPTION_ID": "sub", "AZURE_TENANT_ID": "tenant", "AZURE_CLIENT_ID": "client"}
	oidc := map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": "http://127.0.0.1:1/token", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t"}
	tests := []struct {
		name, version string
		env           []map[string]string
		fetch         string
		tokenSignIn   bool
		signIn        string
		err           []string
	}{
		{"TKG's v0.1.14 with the job's token only", "v0.1.14_vmware.2", []map[string]string{ids, oidc}, "", false, "",
			[]string{"the Azure targets of Image Builder v0.1.14_vmware.2 sign in with a client secret only", "set AZURE_CLIENT_SECRET (in images.yml: the secret azure-client-secret) or build with Image Builder v0.1.31 or later"}},
		{"v0.1.30 with a token file", "v0.1.30", []map[string]string{ids, {"AZURE_FEDERATED_TOKEN_FILE": "/run/token"}}, "", false, "",
			[]string{"the Azure targets of Image Builder v0.1.30 sign in with a client secret only"}},
		{"v0.1.14 with the job's token and a client secret", "v0.1.14_vmware.2", []map[string]string{ids, oidc, {"AZURE_CLIENT_SECRET": "s3cret"}}, "", false,
			"AZURE_CLIENT_SECRET (Image Builder v0.1.14_vmware.2 reads no federated token)", nil},
		{"v0.1.14 with a client secret only", "v0.1.14_vmware.2", []map[string]string{ids, {"AZURE_CLIENT_SECRET": "s3cret"}}, "", false, "AZURE_CLIENT_SECRET", nil},
		{"v0.1.31 with the job's token", "v0.1.31", []map[string]string{ids, oidc}, "AZURE_FEDERATED_TOKEN_FILE", true,
			"the job's GitHub OIDC token, in AZURE_FEDERATED_TOKEN_FILE (Image Builder v0.1.31 reads it)", nil},
		{"v0.1.31 with the job's token and a client secret", "v0.1.31", []map[string]string{ids, oidc, {"AZURE_CLIENT_SECRET": "s3cret"}}, "AZURE_FEDERATED_TOKEN_FILE", true,
			"the job's GitHub OIDC token, in AZURE_FEDERATED_TOKEN_FILE (Image Builder v0.1.31 reads it; AZURE_CLIENT_SECRET is set but not used)", nil},
		{"v0.1.55 with a token file and a client secret", "v0.1.55", []map[string]string{ids, {"AZURE_FEDERATED_TOKEN_FILE": "/run/token", "AZURE_CLIENT_SECRET": "s3cret"}}, "", true,
			"the federated token in AZURE_FEDERATED_TOKEN_FILE (Image Builder v0.1.55 reads it; AZURE_CLIENT_SECRET is set but not used)", nil},
		{"v0.1.55 with a client secret only", "v0.1.55", []map[string]string{ids, {"AZURE_CLIENT_SECRET": "s3cret"}}, "", false, "AZURE_CLIENT_SECRET", nil},
		{"v0.1.55 with a token file", "v0.1.55", []map[string]string{ids, {"AZURE_FEDERATED_TOKEN_FILE": "/run/token"}}, "", true,
			"the federated token in AZURE_FEDERATED_TOKEN_FILE (Image Builder v0.1.55 reads it)", nil},
		{"v0.1.55 with nothing", "v0.1.55", []map[string]string{ids}, "", false, "",
			[]string{"AZURE_CLIENT_SECRET or AZURE_FEDERATED_TOKEN_FILE (or run in a GitHub Actions job with permissions id-token: write)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			for _, m := range tt.env {
				maps.Copy(env, m)
			}
			c := azureCell()
			c.ImageBuilder.Version = tt.version
			creds, err := resolveCredentials(c, func(k string) string { return env[k] }, envFile{}, nil)
			if len(tt.err) > 0 {
				if err == nil {
					t.Fatalf("resolveCredentials = %+v, want an error", creds)
				}
				for _, want := range tt.err {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not say %q", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if creds.federated != tt.fetch || creds.tokenSignIn != tt.tokenSignIn || creds.signIn != tt.signIn {
				t.Errorf("fetch %q, token sign-in %v, signs in with %q; want %q, %v, %q", creds.federated, creds.tokenSignIn, creds.signIn, tt.fetch, tt.tokenSignIn, tt.signIn)
			}
			if strings.Contains(creds.signIn, "s3cret") {
				t.Errorf("the sign-in note %q holds the secret", creds.signIn)
			}
		})
	}
}
