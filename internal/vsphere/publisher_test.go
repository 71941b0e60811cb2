package vsphere

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/imagegrid/imagegrid/internal/publishconfig"
	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/syncbuf"
)

func TestPublishMakesTemplate(t *testing.T) {
	sim := newVCSim(t)
	rec, dir := testRecord(t, 4<<20)
	log := &syncbuf.Buffer{}
	p := New(sim.cfg, testCreds, Options{Log: log})
	defer p.Close()

	got, err := p.Publish(context.Background(), rec, dir)
	if err != nil {
		t.Fatalf("publish: %v\n%s", err, log)
	}
	name := "ubuntu-2204-kube-v1.30.2+vmware.1-8f2a0c4be7d1"
	pl := got.VSphere
	if pl.Status != record.PublishSucceeded || pl.Template != "/DC0/vm/"+name || pl.MoRef == "" || pl.Version != rec.Artifacts.OVA.Version {
		t.Errorf("placement = %+v", pl)
	}
	vms := vmsNamed(t, sim.client(t), name)
	if len(vms) != 1 {
		t.Fatalf("%d VMs named %s; want 1", len(vms), name)
	}
	tm := vms[0]
	if !tm.isTemplate {
		t.Error("VM is not marked as a template")
	}
	if len(tm.snapshots) != 1 || tm.snapshots[0] != snapshotName {
		t.Errorf("snapshots = %v; want [%s]", tm.snapshots, snapshotName)
	}
	for k, v := range map[string]string{"VERSION": rec.Artifacts.OVA.Version, "DISTRO_NAME": "ubuntu", "DISTRO_VERSION": "22.04", "KUBERNETES_SEMVER": "v1.30.2+vmware.1"} {
		if tm.props[k] != v {
			t.Errorf("vApp property %s = %q; want %q", k, tm.props[k], v)
		}
	}
	if !strings.Contains(log.String(), "100% of") || !strings.Contains(log.String(), "MB/s") {
		t.Errorf("log has no upload progress:\n%s", log)
	}
}

func TestPublishTwiceReuses(t *testing.T) {
	sim := newVCSim(t)
	rec, dir := testRecord(t, 1<<20)
	ctx := context.Background()
	first := New(sim.cfg, testCreds, Options{})
	a, err := first.Publish(ctx, rec, dir)
	if err != nil {
		t.Fatal(err)
	}
	first.Close()

	second := New(sim.cfg, testCreds, Options{})
	defer second.Close()
	b, err := second.Publish(ctx, rec, dir)
	if err != nil {
		t.Fatal(err)
	}
	if b.VSphere.Status != record.PublishReused || b.VSphere.MoRef != a.VSphere.MoRef || b.VSphere.Template != a.VSphere.Template {
		t.Errorf("second publish = %+v; want the first's template %+v reused", b.VSphere, a.VSphere)
	}
	if n := len(vmsNamed(t, sim.client(t), TemplateName(rec.Cell))); n != 1 {
		t.Errorf("%d templates after two publishes; want 1", n)
	}
}

func TestDryRunSteps(t *testing.T) {
	rec := record.BuildRecord{Cell: record.Cell{OS: record.OS{ID: "ubuntu-2204"}, Kubernetes: record.Kubernetes{Semver: "v1.30.2"}, BuildKey: testKey},
		Artifacts: record.Artifacts{OVA: &record.OVAArtifact{Path: "out/node.ova", Size: 3 << 20}}}
	base := publishconfig.VSphere{Server: "vc.example.com", VSphereTarget: record.VSphereTarget{Datacenter: "DC0", Cluster: "C0", Datastore: "ds1", Folder: "tkg"}}
	for _, tc := range []struct {
		name string
		lib  *publishconfig.ContentLibrary
		hint *record.VSphereHints
		want []string
	}{
		{name: "template", want: []string{"import node.ova (3.0 MiB) as template ubuntu-2204-kube-v1.30.2-8f2a0c4be7d1 into vcenter vc.example.com, datacenter DC0, cluster C0, datastore ds1, folder /DC0/vm/tkg"}},
		{name: "hints win", hint: &record.VSphereHints{VSphereTarget: record.VSphereTarget{ResourcePool: "/DC0/host/C1/Resources/p", Folder: "/DC0/vm/other"}},
			want: []string{"import node.ova (3.0 MiB) as template ubuntu-2204-kube-v1.30.2-8f2a0c4be7d1 into vcenter vc.example.com, datacenter DC0, resource pool /DC0/host/C1/Resources/p, datastore ds1, folder /DC0/vm/other"}},
		{name: "library only", lib: &publishconfig.ContentLibrary{Name: "lib", Only: true},
			want: []string{"upload node.ova to content library lib of vcenter vc.example.com as item ubuntu-2204-kube-v1.30.2-8f2a0c4be7d1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			cfg.ContentLibrary = tc.lib
			r := rec
			r.Cell.Publish.VSphere = tc.hint
			got, err := DryRunSteps(&cfg, r)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestReuseFindsTemplateByName(t *testing.T) {
	sim := newVCSim(t)
	rec, dir := testRecord(t, 1<<20)
	ctx := context.Background()
	const scanned = "searching every VM of the datacenter"
	publish := func() (record.PublishRecord, string) { return sim.publish(t, rec, dir) }
	first, log := publish()
	if !strings.Contains(log, scanned) {
		t.Errorf("first publish found no template by name, yet did not say it searched:\n%s", log)
	}

	again, log := publish()
	if again.VSphere.Status != record.PublishReused || again.VSphere.MoRef != first.VSphere.MoRef {
		t.Fatalf("re-run = %+v; want %s reused", again.VSphere, first.VSphere.MoRef)
	}
	if strings.Contains(log, scanned) {
		t.Errorf("re-run searched the datacenter although the template has its name:\n%s", log)
	}

	// Renamed by hand: the name no longer finds it, the build key still does.
	c := sim.client(t)
	vm := object.NewVirtualMachine(c, types.ManagedObjectReference{Type: "VirtualMachine", Value: first.VSphere.MoRef})
	task, err := vm.Rename(ctx, "renamed-by-hand")
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
	moved, log := publish()
	if moved.VSphere.Status != record.PublishReused || moved.VSphere.MoRef != first.VSphere.MoRef || moved.VSphere.Template != "/DC0/vm/renamed-by-hand" {
		t.Errorf("after a rename = %+v; want %s reused under its new name", moved.VSphere, first.VSphere.MoRef)
	}
	if !strings.Contains(log, scanned) {
		t.Errorf("the template was found without its name, yet the log does not say it searched:\n%s", log)
	}
}

func TestPublishNamesAMissingFolder(t *testing.T) {
	sim := newVCSim(t)
	rec, dir := testRecord(t, 1<<20)
	cfg := *sim.cfg
	cfg.Folder = "no-such-folder"
	p := New(&cfg, testCreds, Options{Attempts: 1})
	defer p.Close()
	_, err := p.Publish(context.Background(), rec, dir)
	if err == nil || !strings.Contains(err.Error(), `folder "/DC0/vm/no-such-folder": nothing is there; want the inventory path of a VM folder`) {
		t.Errorf("error = %v; want the missing folder named", err)
	}
}

func TestPublishConcurrentRecords(t *testing.T) {
	sim := newVCSim(t)
	base, dir := testRecord(t, 1<<20)
	log := &syncbuf.Buffer{}
	p := New(sim.cfg, testCreds, Options{Log: log})
	defer p.Close()
	var wg sync.WaitGroup
	got := make([]record.PublishRecord, 3)
	errs := make([]error, 3)
	for i := range got {
		rec := base
		rec.BuildKey = fmt.Sprintf("%d%s", i, testKey[1:])
		rec.Cell.BuildKey = rec.BuildKey
		rec.Cell.ID = fmt.Sprintf("%s-%d", base.Cell.ID, i)
		wg.Go(func() { got[i], errs[i] = p.Publish(context.Background(), rec, dir) })
	}
	wg.Wait()
	c := sim.client(t)
	for i, pr := range got {
		if errs[i] != nil {
			t.Fatalf("record %d: %v\n%s", i, errs[i], log)
		}
		name := pr.VSphere.Template[strings.LastIndexByte(pr.VSphere.Template, '/')+1:]
		if pr.VSphere.Status != record.PublishSucceeded || len(vmsNamed(t, c, name)) != 1 {
			t.Errorf("record %d: %+v; want its own template, published", i, pr.VSphere)
		}
	}
}
