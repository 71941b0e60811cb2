package imagebuilder

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/record"
)

func cell(infra, build, validate, ibVersion string) record.Cell {
	return record.Cell{
		ID:           "c1",
		Infra:        infra,
		Target:       record.Target{Build: build, Validate: validate},
		ImageBuilder: record.ImageBuilder{Version: ibVersion, Flavor: record.FlavorUpstream},
	}
}

func tkgCell(infra, build, ibVersion string) record.Cell {
	c := cell(infra, build, "", ibVersion)
	c.ImageBuilder.Flavor = record.FlavorTKG
	return c
}

func TestTarget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		cell     record.Cell
		validate bool
		want     string
		err      string
	}{
		{name: "recent vsphere", cell: cell("vsphere", "build-node-ova-vsphere-ubuntu-2204", "", "v0.1.55"), want: "build-node-ova-vsphere-ubuntu-2204"},
		{name: "validate", cell: cell("aws", "", "validate-ami-amazon-2023", "v0.1.55"), validate: true, want: "validate-ami-amazon-2023"},
		{name: "tkg vendor version", cell: cell("vsphere", "build-node-ova-vsphere-ubuntu-2004", "", "v0.1.13_vmware.2"), want: "build-node-ova-vsphere-ubuntu-2004"},
		{name: "tkg flavor follows the grid's targets", cell: tkgCell("vsphere", "build-node-ova-vsphere-ubuntu-2204", "v0.1.14_vmware.2"), want: "build-node-ova-vsphere-ubuntu-2204"},
		{name: "tkg flavor still checks the shape", cell: tkgCell("aws", "build-node-ova-vsphere-ubuntu-2204", "v0.1.14_vmware.2"), err: `a aws target starts with "build-ami-"`},
		{name: "vsphere validate", cell: cell("vsphere", "", "validate-node-ova-local-photon-5", "v0.1.55"), validate: true, want: "validate-node-ova-local-photon-5"},
		{name: "vsphere efi", cell: cell("vsphere", "build-node-ova-vsphere-ubuntu-2204-efi", "", "v0.1.55"), want: "build-node-ova-vsphere-ubuntu-2204-efi"},
		{name: "azure gen2", cell: cell("azure", "build-azure-sig-ubuntu-2204-gen2", "", "v0.1.55"), want: "build-azure-sig-ubuntu-2204-gen2"},
		{
			name: "os too new for release",
			cell: cell("vsphere", "build-node-ova-vsphere-ubuntu-2404", "", "v0.1.13_vmware.2"),
			err:  "cell c1: Image Builder v0.1.13_vmware.2 has no target build-node-ova-vsphere-ubuntu-2404: its vsphere targets end in centos-7, flatcar, photon-3",
		},
		{
			name: "os dropped by release",
			cell: cell("aws", "build-ami-centos-7", "", "v0.1.55"),
			err:  "has no target build-ami-centos-7",
		},
		{
			name: "wrong prefix for infra",
			cell: cell("aws", "build-node-ova-vsphere-ubuntu-2204", "", "v0.1.55"),
			err:  `cell c1: target.build "build-node-ova-vsphere-ubuntu-2204": a aws target starts with "build-ami-"`,
		},
		// Boundaries of upstream's Makefiles (releases.go).
		{name: "ubuntu-2204 and photon-4 OVAs on v0.1.14", cell: cell("vsphere", "build-node-ova-vsphere-photon-4", "", "v0.1.14"), want: "build-node-ova-vsphere-photon-4"},
		{name: "no ubuntu-2204 OVA before v0.1.14", cell: cell("vsphere", "build-node-ova-vsphere-ubuntu-2204", "", "v0.1.13"), err: "has no target build-node-ova-vsphere-ubuntu-2204"},
		{name: "no photon-5 before v0.1.18", cell: cell("vsphere", "build-node-ova-vsphere-photon-5", "", "v0.1.17"), err: "has no target build-node-ova-vsphere-photon-5"},
		{name: "photon-5 from v0.1.18", cell: cell("vsphere", "build-node-ova-vsphere-photon-5", "", "v0.1.18"), want: "build-node-ova-vsphere-photon-5"},
		{name: "photon-3 up to v0.1.44", cell: cell("vsphere", "build-node-ova-vsphere-photon-3", "", "v0.1.44"), want: "build-node-ova-vsphere-photon-3"},
		{name: "no photon-3 after v0.1.44", cell: cell("vsphere", "build-node-ova-vsphere-photon-3", "", "v0.1.45"), err: "has no target build-node-ova-vsphere-photon-3"},
		{name: "no rhel-8 OVA after v0.1.49", cell: cell("vsphere", "build-node-ova-vsphere-rhel-8", "", "v0.1.55"), err: "has no target build-node-ova-vsphere-rhel-8"},
		{name: "arm64 AMIs from v0.1.53", cell: cell("aws", "build-ami-ubuntu-2204-arm64", "", "v0.1.53"), want: "build-ami-ubuntu-2204-arm64"},
		{name: "no arm64 ubuntu AMI before v0.1.53", cell: cell("aws", "build-ami-ubuntu-2204-arm64", "", "v0.1.52"), err: "has no target build-ami-ubuntu-2204-arm64"},
		{name: "no ubuntu-2204 efi OVA on v0.1.14", cell: cell("vsphere", "build-node-ova-vsphere-ubuntu-2204-efi", "", "v0.1.14"), err: "has no target"},
		{name: "newer than the table uses its newest release", cell: cell("aws", "build-ami-ubuntu-2404", "", "v0.1.60"), want: "build-ami-ubuntu-2404"},
		{name: "older than the table", cell: cell("aws", "build-ami-ubuntu-2004", "", "v0.1.9"), err: "imagegrid knows the targets of v0.1.13 and later"},
		{name: "unknown infra", cell: cell("gcp", "build-gce-ubuntu-2204", "", "v0.1.55"), err: `infrastructure "gcp"`},
		{name: "bad version", cell: cell("aws", "build-ami-ubuntu-2204", "", "latest"), err: `image builder version "latest"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Target(tt.cell, tt.validate)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Target = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestTKGValues(t *testing.T) {
	t.Parallel()
	c := record.Cell{
		ID:           "vsphere-ubuntu-2204-amd64-v1.30.2---vmware.1",
		OS:           record.OS{Name: "ubuntu", Version: "22.04", Arch: "amd64"},
		ImageBuilder: record.ImageBuilder{Flavor: record.FlavorTKG},
		Kubernetes: record.Kubernetes{
			Semver: "v1.30.2+vmware.1", TKr: "v1.30.2+vmware.1-tkg.1",
			ResourceBundle: "projects.registry.vmware.com/tkg/linux-resource-bundle:v1.30.2_vmware.1-tkg.1",
		},
		BuildKey:  strings.Repeat("0123456789ab", 5) + "cdef",
		TKGConfig: &record.Folder{Path: "matrices/tkg-config/v1.30.2+vmware.1-tkg.1", SHA256: strings.Repeat("0", 64)},
	}
	if got := OVAVersion(c); got != "v1.30.2+vmware.1-tkg.1-0123456789ab" {
		t.Errorf("OVAVersion = %q", got)
	}
	wantProps := map[string]string{
		"KUBERNETES_SEMVER": "v1.30.2+vmware.1", "DISTRO_NAME": "ubuntu", "DISTRO_VERSION": "22.04",
		"DISTRO_ARCH": "amd64", "VERSION": "v1.30.2+vmware.1-tkg.1-0123456789ab",
	}
	if got := ExpectedProperties(c); !reflect.DeepEqual(got, wantProps) {
		t.Errorf("ExpectedProperties = %v, want %v", got, wantProps)
	}
	if err := CheckTKG(c); err != nil {
		t.Errorf("CheckTKG: %v", err)
	}
	c.Kubernetes.TKr, c.Kubernetes.ResourceBundle, c.TKGConfig = "", "", nil
	if err := CheckTKG(c); err == nil || !strings.Contains(err.Error(), "kubernetes.tkr and kubernetes.resourceBundle and tkgConfig") {
		t.Errorf("CheckTKG without TKr = %v", err)
	}
	c.ImageBuilder.Flavor = record.FlavorUpstream
	if _, ok := ExpectedProperties(c)["VERSION"]; ok {
		t.Error("upstream cells must not expect a VERSION property")
	}
}

func TestEnvList(t *testing.T) {
	t.Parallel()
	e := Env{VarFiles: []string{"/w/a.json", "/w/b.json"}, CacheDir: "/w/cache", OVFCustomProperties: "/w/metadata.json", OVFTool: true}
	want := []string{"PACKER_VAR_FILES=/w/a.json /w/b.json", "PACKER_CACHE_DIR=/w/cache", "OVF_CUSTOM_PROPERTIES=/w/metadata.json", "IB_OVFTOOL=1"}
	if got := e.List(); !reflect.DeepEqual(got, want) {
		t.Errorf("List = %q, want %q", got, want)
	}
}

func TestManifestThisRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file   string
		wantArtifact string
		err          string
	}{
		{name: "appended runs", file: "two-runs.json", wantArtifact: "new"},
		{name: "last run has no build", file: "dangling-run.json", err: "no build with packer_run_uuid 33333333"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			m, err := ReadManifest(path)
			if err != nil {
				t.Fatal(err)
			}
			b, err := m.ThisRun(path)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), path) {
					t.Fatalf("error = %v, want it to name %s and contain %q", err, path, tt.err)
				}
				return
			}
			if err != nil || b.ArtifactID != tt.wantArtifact {
				t.Fatalf("ThisRun = %+v, %v; want artifact %q", b, err, tt.wantArtifact)
			}
		})
	}
}

func TestAMIs(t *testing.T) {
	t.Parallel()
	got, err := AMIs("us-east-1:ami-0a1b2c3d4e5f67890,eu-central-1:ami-9f8e7d6c")
	want := []record.AMIArtifact{{Region: "us-east-1", ID: "ami-0a1b2c3d4e5f67890"}, {Region: "eu-central-1", ID: "ami-9f8e7d6c"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("AMIs = %v, %v; want %v", got, err, want)
	}
	for _, bad := range []string{"", "Null", "us-east-1:ami-XYZ", "us-east-1:ami-0a1b2c3d,us-east-1:ami-0a1b2c3e", "ami-0a1b2c3d"} {
		if _, err := AMIs(bad); err == nil {
			t.Errorf("AMIs(%q) succeeded", bad)
		}
	}
}

func TestAzureImages(t *testing.T) {
	t.Parallel()
	gallery := "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/capi-ubuntu-2204/versions/0.3.1795748472"
	managed := "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/images/capi-ubuntu-2204-1795748472"
	got, err := AzureImages(managed + "," + gallery)
	want := []record.AzureArtifact{{ID: managed, Kind: AzureManagedImage}, {ID: gallery, Kind: AzureGalleryImageVersion}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("AzureImages = %v, %v; want %v", got, err, want)
	}
	if _, err := AzureImages("/subscriptions/s/resourceGroups/rg"); err == nil {
		t.Error("AzureImages accepted a resource group id")
	}
}

// TestCheckKubernetes reads the Kubernetes version from the custom_data key upstream's
// template of each infrastructure writes, and refuses a manifest of another version or one
// that does not say.
func TestCheckKubernetes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, infra string
		data        map[string]string
		err         string
	}{
		{"AMI of the cell's version", record.InfraAWS, map[string]string{"kubernetes_version": "v1.30.2"}, ""},
		{"AMI of another version", record.InfraAWS, map[string]string{"kubernetes_version": "v1.29.6"}, `this run built kubernetes_version "v1.29.6", the cell wants "v1.30.2"`},
		{"AMI that does not say", record.InfraAWS, map[string]string{"kubernetes_semver": "v1.30.2"}, "its custom_data has no kubernetes_version, which Image Builder's aws template writes"},
		{"OVA of the cell's version", record.InfraVSphere, map[string]string{"kubernetes_semver": "v1.30.2"}, ""},
		{"OVA of another version", record.InfraVSphere, map[string]string{"kubernetes_semver": "v1.31.0"}, `built kubernetes_semver "v1.31.0"`},
		{"Azure of another version", record.InfraAzure, map[string]string{"kubernetes_semver": "v1.29.6"}, `built kubernetes_semver "v1.29.6"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cell(tt.infra, "", "", "v0.1.55")
			c.Kubernetes.Semver = "v1.30.2"
			err := ManifestBuild{CustomData: tt.data}.CheckKubernetes(c)
			if (tt.err == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("CheckKubernetes = %v, want %q", err, tt.err)
			}
		})
	}
}

// TestOwnedVars lists the variables build owns: every one Vars sets, and those it composes
// from the grid's roles and the release's tkgConfig.
func TestOwnedVars(t *testing.T) {
	t.Parallel()
	want := []string{"build_version", "custom_role", "custom_role_names", "goss_entry_file", "goss_format", "goss_tests_dir",
		"kubernetes_deb_version", "kubernetes_rpm_version", "kubernetes_semver", "kubernetes_series", "manifest_output",
		"node_custom_roles_post", "node_custom_roles_pre", "output_dir"}
	for _, c := range []record.Cell{cell(record.InfraVSphere, "", "", "v0.1.55"), tkgCell(record.InfraVSphere, "", "v0.1.55")} {
		if got := OwnedVars(c); !reflect.DeepEqual(got, want) {
			t.Errorf("OwnedVars(%s) = %v, want %v", c.ID, got, want)
		}
	}
	if err := CheckVars(cell(record.InfraAWS, "", "", ""), map[string]int{"disk_size": 1, "ami_regions": 2}, "vars", nil); err != nil {
		t.Errorf("CheckVars refused variables build does not own: %v", err)
	}
}

func TestCheckoutTarget(t *testing.T) {
	t.Parallel()
	// No release table entry for v0.1.9 and none with ubuntu-2404 for v0.1.13: the checkout decides.
	for _, c := range []record.Cell{cell("aws", "build-ami-ubuntu-2204", "", "v0.1.9"), cell("vsphere", "build-node-ova-vsphere-ubuntu-2404", "", "v0.1.13")} {
		if target, err := CheckoutTarget(c, false); err != nil || target != c.Target.Build {
			t.Errorf("CheckoutTarget(%s) = %q, %v", c.Target.Build, target, err)
		}
	}
	if _, err := CheckoutTarget(cell("aws", "build-node-ova-vsphere-ubuntu-2204", "", "v0.1.55"), false); err == nil || !strings.Contains(err.Error(), `a aws target starts with "build-ami-"`) {
		t.Errorf("CheckoutTarget of another infrastructure's target: %v", err)
	}
}

func TestPlacementVars(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cell    record.Cell
		want    map[string]string
		env     []string
		sharing []string
	}{
		{
			name:    "private AMI built in the grid's first region, no copies",
			cell:    record.Cell{Infra: record.InfraAWS, Publish: record.PublishHints{AWS: &record.AWSHints{AWSTarget: record.AWSTarget{Regions: []string{"eu-west-1", "us-east-1"}}}}},
			want:    map[string]string{"ami_groups": "", "snapshot_groups": "", "ami_regions": "", "aws_region": "eu-west-1"},
			sharing: []string{"ami_groups", "snapshot_groups"},
		},
		{
			name:    "public only when the grid says so",
			cell:    record.Cell{Infra: record.InfraAWS, Publish: record.PublishHints{AWS: &record.AWSHints{Public: true}}},
			want:    map[string]string{"ami_groups": "all", "snapshot_groups": "all", "ami_regions": ""},
			sharing: []string{"ami_groups", "snapshot_groups"},
		},
		{
			name: "vsphere placement, folder relative to the VM folder",
			cell: record.Cell{Infra: record.InfraVSphere, Publish: record.PublishHints{VSphere: &record.VSphereHints{
				VSphereTarget: record.VSphereTarget{Datacenter: "DC", ResourcePool: "builds", Datastore: "ds", Folder: "/DC/vm/a/b/", Network: "VM Network"},
				Host:          "esx-1.example.com", InsecureConnection: true,
			}}},
			want: map[string]string{"datacenter": "DC", "host": "esx-1.example.com", "resource_pool": "builds", "datastore": "ds", "folder": "a/b", "network": "VM Network", "insecure_connection": "true"},
		},
		{
			name: "vsphere folder already relative",
			cell: record.Cell{Infra: record.InfraVSphere, Publish: record.PublishHints{VSphere: &record.VSphereHints{VSphereTarget: record.VSphereTarget{Datacenter: "DC", Cluster: "C", Folder: "templates/tkg"}}}},
			want: map[string]string{"datacenter": "DC", "cluster": "C", "folder": "templates/tkg", "insecure_connection": "false"},
		},
		{
			name: "azure through the environment",
			cell: record.Cell{Infra: record.InfraAzure, Publish: record.PublishHints{Azure: &record.AzureHints{ResourceGroup: "rg", Gallery: "g", Regions: []string{"westeurope"}}}},
			want: map[string]string{},
			env:  []string{"RESOURCE_GROUP_NAME=rg", "AZURE_LOCATION=westeurope", "GALLERY_NAME=g"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PlacementVars(tt.cell); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("PlacementVars = %v, want %v", got, tt.want)
			}
			if got := AzureEnv(tt.cell); !reflect.DeepEqual(got, tt.env) {
				t.Errorf("AzureEnv = %q, want %q", got, tt.env)
			}
			if got := SharingVars(tt.cell.Infra); !reflect.DeepEqual(got, tt.sharing) {
				t.Errorf("SharingVars = %q, want %q", got, tt.sharing)
			}
		})
	}
	if got := (Env{VarFiles: []string{"a"}, CacheDir: "c", Force: true, Placement: []string{"GALLERY_NAME=g"}}).List(); !reflect.DeepEqual(got, []string{"PACKER_VAR_FILES=a", "PACKER_CACHE_DIR=c", "PACKER_FLAGS=-force", "GALLERY_NAME=g"}) {
		t.Errorf("Env.List = %q", got)
	}
}

func TestReleasesWith(t *testing.T) {
	tests := []struct {
		infra, target, want string
	}{
		{record.InfraVSphere, "windows-2022", "v0.1.13 … v0.1.55"},
		{record.InfraVSphere, "windows-2004", "v0.1.13 … v0.1.18"},
		{record.InfraAzure, "windows-2019", "v0.1.13 … v0.1.21"},
		{record.InfraVSphere, "rhel-7", "v0.1.13 … v0.1.45"},
		{record.InfraVSphere, "ubuntu-2604", "v0.1.53 … v0.1.55"},
		{record.InfraAWS, "windows-2022", ""},
	}
	for _, tt := range tests {
		if got := strings.Join(ReleasesWith(tt.infra, tt.target), ", "); got != tt.want {
			t.Errorf("ReleasesWith(%s, %s) = %q, want %q", tt.infra, tt.target, got, tt.want)
		}
	}
}
