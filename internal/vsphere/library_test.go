package vsphere

import (
	"context"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/vapi/library"
	"github.com/vmware/govmomi/vapi/rest"

	"github.com/imagegrid/imagegrid/internal/publishconfig"
	"github.com/imagegrid/imagegrid/internal/record"
)

// libraryFiles lists the files of the named item of the named library through the vAPI.
func libraryFiles(t *testing.T, s *simTarget, lib, item string) (string, []string) {
	t.Helper()
	ctx := context.Background()
	rc := rest.NewClient(s.client(t))
	if err := rc.Login(ctx, url.UserPassword(testCreds.Username, testCreds.Password)); err != nil {
		t.Fatal(err)
	}
	m := library.NewManager(rc)
	l, err := m.GetLibraryByName(ctx, lib)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := m.FindLibraryItems(ctx, library.FindItem{LibraryID: l.ID, Name: item})
	if err != nil || len(ids) != 1 {
		t.Fatalf("items named %s: %v, %v", item, ids, err)
	}
	files, err := m.ListLibraryItemFiles(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
	}
	sort.Strings(names)
	return ids[0], names
}

func TestPublishContentLibrary(t *testing.T) {
	sim := newVCSim(t)
	rec, dir := testRecord(t, 1<<20)
	sim.cfg.ContentLibrary = &publishconfig.ContentLibrary{Name: "tkg-images", Create: true}
	ctx := context.Background()

	first := New(sim.cfg, testCreds, Options{})
	got, err := first.Publish(ctx, rec, dir)
	first.Close()
	if err != nil {
		t.Fatal(err)
	}
	name := TemplateName(rec.Cell)
	cl := got.VSphere.ContentLibrary
	if got.VSphere.Status != record.PublishSucceeded || got.VSphere.Template == "" || cl == nil || cl.Library != "tkg-images" || cl.Item != name || cl.ItemID == "" {
		t.Fatalf("placement = %+v, item %+v", got.VSphere, cl)
	}
	id, files := libraryFiles(t, sim, "tkg-images", name)
	if id != cl.ItemID || strings.Join(files, ",") != "ubuntu-2204-kube-v1.30.2+vmware.1-disk-0.vmdk,ubuntu-2204-kube-v1.30.2+vmware.1.ovf" {
		t.Errorf("item %s files = %v", id, files)
	}

	second := New(sim.cfg, testCreds, Options{})
	defer second.Close()
	again, err := second.Publish(ctx, rec, dir)
	if err != nil {
		t.Fatal(err)
	}
	if again.VSphere.Status != record.PublishReused || again.VSphere.ContentLibrary.ItemID != cl.ItemID {
		t.Errorf("second publish = %+v, item %+v; want the first's reused", again.VSphere, again.VSphere.ContentLibrary)
	}
}

func TestPublishContentLibraryOnly(t *testing.T) {
	sim := newVCSim(t)
	rec, dir := testRecord(t, 1<<20)
	sim.cfg.ContentLibrary = &publishconfig.ContentLibrary{Name: "tkg-images", Create: true, Only: true}
	p := New(sim.cfg, testCreds, Options{})
	defer p.Close()
	got, err := p.Publish(context.Background(), rec, dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.VSphere.Template != "" || got.VSphere.ContentLibrary == nil || got.VSphere.Version != rec.Artifacts.OVA.Version {
		t.Errorf("placement = %+v", got.VSphere)
	}
	if vms := vmsNamed(t, sim.client(t), TemplateName(rec.Cell)); len(vms) != 0 {
		t.Errorf("library-only publish made %d VMs", len(vms))
	}
}

func TestPublishContentLibraryMissing(t *testing.T) {
	sim := newVCSim(t)
	rec, dir := testRecord(t, 1<<20)
	sim.cfg.ContentLibrary = &publishconfig.ContentLibrary{Name: "absent"}
	p := New(sim.cfg, testCreds, Options{})
	defer p.Close()
	got, err := p.Publish(context.Background(), rec, dir)
	if err == nil || !strings.Contains(err.Error(), "content library absent: not found") {
		t.Fatalf("error = %v; want the missing library named", err)
	}
	if got.VSphere.Status != record.PublishFailed {
		t.Errorf("placement = %+v", got.VSphere)
	}
}

func TestPublishContentLibraryReplacesInterruptedItem(t *testing.T) {
	sim := newVCSim(t)
	rec, dir := testRecord(t, 1<<20)
	sim.cfg.ContentLibrary = &publishconfig.ContentLibrary{Name: "tkg-images", Create: true, Only: true}
	ctx := context.Background()

	// What an upload killed midway leaves: an item with the build key and no descriptor.
	rc := rest.NewClient(sim.client(t))
	if err := rc.Login(ctx, url.UserPassword(testCreds.Username, testCreds.Password)); err != nil {
		t.Fatal(err)
	}
	m := library.NewManager(rc)
	ds, err := find.NewFinder(sim.client(t)).Datastore(ctx, "/DC0/datastore/LocalDS_0")
	if err != nil {
		t.Fatal(err)
	}
	libID, err := m.CreateLibrary(ctx, library.Library{Name: "tkg-images", Type: "LOCAL",
		Storage: []library.StorageBacking{{DatastoreID: ds.Reference().Value, Type: "DATASTORE"}}})
	if err != nil {
		t.Fatal(err)
	}
	desc := buildKeyLine(rec.BuildKey)
	stale, err := m.CreateLibraryItem(ctx, library.Item{Name: TemplateName(rec.Cell), Type: library.ItemTypeOVF, LibraryID: libID, Description: &desc})
	if err != nil {
		t.Fatal(err)
	}

	p := New(sim.cfg, testCreds, Options{})
	defer p.Close()
	got, err := p.Publish(ctx, rec, dir)
	if err != nil {
		t.Fatal(err)
	}
	id, files := libraryFiles(t, sim, "tkg-images", TemplateName(rec.Cell))
	if id == stale || got.VSphere.ContentLibrary.ItemID != id || len(files) != 2 {
		t.Errorf("item %s with files %v (stale %s, recorded %s); want a fresh, complete item", id, files, stale, got.VSphere.ContentLibrary.ItemID)
	}
}
