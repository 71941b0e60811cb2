package vsphere

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"

	"github.com/imagegrid/imagegrid/internal/publishconfig"
	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/syncbuf"
	"github.com/imagegrid/imagegrid/internal/testutil/ovatest"
	"github.com/imagegrid/imagegrid/internal/testutil/vcsim"
)

// simTarget is an in-process vCenter with a target configured on it.
type simTarget struct {
	*vcsim.VCenter
	cfg *publishconfig.VSphere
}

func newVCSim(t *testing.T, options ...func(*simulator.Model)) *simTarget {
	t.Helper()
	vc := vcsim.Start(t, options...)
	return &simTarget{VCenter: vc, cfg: &publishconfig.VSphere{
		Server: vc.Host, Thumbprint: vc.Thumbprint,
		VSphereTarget:    record.VSphereTarget{Datacenter: "DC0", Cluster: "DC0_C0", Datastore: "LocalDS_0", Network: "VM Network"},
		DiskProvisioning: "thin",
	}}
}

// client is an independent API client, for assertions.
func (s *simTarget) client(t *testing.T) *vim25.Client {
	t.Helper()
	ctx := context.Background()
	conn, err := connect(ctx, s.cfg.Server, false, s.cfg.Thumbprint, testCreds, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.close(ctx) })
	return conn.client
}

func (s *simTarget) fault(method, objectType string, times int) {
	s.Model.Service.AddFaultRule(&simulator.FaultInjectionRule{
		MethodName: method, ObjectType: objectType, ObjectName: "*", Probability: 1,
		FaultType: simulator.FaultTypeInvalidState, Message: "injected " + method + " fault",
		MaxCount: times, Enabled: true,
	})
}

var testCreds = Credentials{Username: "user", Password: "pass"}

const testKey = "8f2a0c4be7d1935a6e0f4c2b8d7a1e3f5c6b9d0a2e4f6a8c0b1d3e5f7a9c2b4d"

// testRecord makes a genuine OVA with qemu-img and its build record in a fresh directory.
func testRecord(t *testing.T, diskBytes int64) (record.BuildRecord, string) {
	t.Helper()
	dir := t.TempDir()
	version := "v1.30.2+vmware.1-tkg.1-" + testKey[:16]
	ova := ovatest.Make(t, dir, ovatest.Spec{
		Name:      "ubuntu-2204-kube-v1.30.2+vmware.1",
		DiskBytes: diskBytes,
		Properties: map[string]string{
			"VERSION": version, "DISTRO_NAME": "ubuntu", "DISTRO_VERSION": "22.04", "DISTRO_ARCH": "amd64",
			"KUBERNETES_SEMVER": "v1.30.2+vmware.1", "IMAGE_BUILDER_VERSION": "v0.1.55",
			"BUILD_TIMESTAMP": "1720000000", "CONTAINERD_VERSION": "v1.7.18",
		},
	})
	return ovaRecord(ubuntuCell, dir, ova, version), dir
}

// ubuntuCell is the cell of testRecord.
var ubuntuCell = record.Cell{
	APIVersion: record.APIVersion, Kind: record.KindCell,
	ID:         "vsphere-ubuntu-2204-amd64-v1.30.2---vmware.1",
	Name:       "vsphere ubuntu-2204 amd64 v1.30.2+vmware.1",
	Infra:      record.InfraVSphere,
	OS:         record.OS{ID: "ubuntu-2204", Name: "ubuntu", Version: "22.04", Arch: "amd64", Type: "linux"},
	Kubernetes: record.Kubernetes{Semver: "v1.30.2+vmware.1", Series: "v1.30", TKr: "v1.30.2+vmware.1-tkg.1"},
	BuildKey:   testKey,
}

// ovaRecord is the succeeded build record of cell whose artifact is the OVA in dir, of
// VERSION version.
func ovaRecord(cell record.Cell, dir string, ova ovatest.OVA, version string) record.BuildRecord {
	now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	return record.BuildRecord{
		APIVersion: record.APIVersion, Kind: record.KindBuildRecord,
		Cell:     cell,
		BuildKey: cell.BuildKey, Status: record.BuildSucceeded, Started: now, Finished: now.Add(time.Hour),
		ImageBuilderVersion: "v0.1.55", Attempts: 1,
		Artifacts: record.Artifacts{OVA: &record.OVAArtifact{
			Path: strings.TrimPrefix(ova.Path, dir+"/"), Size: ova.Size, SHA256: ova.SHA256, ManifestSHA256: ova.ManifestSHA256, Version: version,
		}},
	}
}

// publish publishes rec from dir with a new publisher, failing the test on an error, and
// returns the publish record and the publisher's log.
func (s *simTarget) publish(t *testing.T, rec record.BuildRecord, dir string) (record.PublishRecord, string) {
	t.Helper()
	log := &syncbuf.Buffer{}
	p := New(s.cfg, testCreds, Options{Log: log})
	defer p.Close()
	got, err := p.Publish(context.Background(), rec, dir)
	if err != nil {
		t.Fatalf("publish: %v\n%s", err, log)
	}
	return got, log.String()
}

// template is what the vSphere API says about a VM.
type template struct {
	name       string
	isTemplate bool
	snapshots  []string
	props      map[string]string
}

// vmsNamed lists VMs and templates by name through the API.
func vmsNamed(t *testing.T, c *vim25.Client, name string) []template {
	t.Helper()
	ctx := context.Background()
	vms, err := find.NewFinder(c).VirtualMachineList(ctx, "/DC0/vm/...")
	if err != nil {
		t.Fatal(err)
	}
	var out []template
	for _, vm := range vms {
		if vm.Name() != name {
			continue
		}
		out = append(out, describeVM(t, vm))
	}
	return out
}

func describeVM(t *testing.T, vm *object.VirtualMachine) template {
	t.Helper()
	var o mo.VirtualMachine
	if err := vm.Properties(context.Background(), vm.Reference(), []string{"name", "config", "snapshot"}, &o); err != nil {
		t.Fatal(err)
	}
	tm := template{name: o.Name, isTemplate: o.Config.Template, props: map[string]string{}}
	if o.Snapshot != nil {
		for _, s := range o.Snapshot.RootSnapshotList {
			tm.snapshots = append(tm.snapshots, s.Name)
		}
	}
	if o.Config.VAppConfig != nil {
		for _, p := range o.Config.VAppConfig.GetVmConfigInfo().Property {
			tm.props[p.Id] = p.DefaultValue
		}
	}
	return tm
}
