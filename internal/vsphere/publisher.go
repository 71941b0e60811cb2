// Package vsphere publishes OVAs to vCenter as VM templates: the OVA is streamed through an
// NFC lease into the configured placement, its OVF properties kept as vApp properties, then
// the VM is snapshotted (for linked clones) and marked as a template. A template carrying the
// same build key is reused; a failed import leaves nothing behind.
package vsphere

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vapi/library"
	"github.com/vmware/govmomi/vapi/rest"

	"github.com/imagegrid/imagegrid/internal/publish"
	"github.com/imagegrid/imagegrid/internal/publishconfig"
	"github.com/imagegrid/imagegrid/internal/record"
)

var _ publish.Interface = (*Publisher)(nil)

// Options tune a Publisher. The zero value is usable.
type Options struct {
	// Log receives progress lines when the context of a Publish carries no log of its own
	// (publish.WithLog); nil discards them.
	Log io.Writer
	// Attempts is how many times a publish that failed for a transient reason (vCenter, the
	// network) is tried before it fails (default 3). A permanent failure (the OVA missing or
	// not what its record says) is not tried again.
	Attempts int
	// RetryDelay is the pause before the second attempt (default 10s); it doubles after each.
	RetryDelay time.Duration
	// WrapTransport, when set, wraps the HTTP transport of the vCenter connection (a proxy,
	// or a transport that injects faults).
	WrapTransport func(http.RoundTripper) http.RoundTripper
}

// Publisher publishes OVA build records to one vCenter. It connects on first use.
type Publisher struct {
	cfg   *publishconfig.VSphere
	creds Credentials
	opts  Options

	mu   sync.Mutex
	conn *connection
}

// New returns a Publisher for the configured vCenter.
func New(cfg *publishconfig.VSphere, creds Credentials, opts Options) *Publisher {
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if opts.Attempts <= 0 {
		opts.Attempts = 3
	}
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = 10 * time.Second
	}
	return &Publisher{cfg: cfg, creds: creds, opts: opts}
}

// Publish makes the OVA of rec a template (reusing one with the same build key) and returns
// the record's vSphere placement.
func (p *Publisher) Publish(ctx context.Context, rec record.BuildRecord, dir string) (record.PublishRecord, error) {
	logf := p.logger(ctx, rec.Cell.ID)
	place := PlacementFor(p.cfg, rec.Cell)
	out := record.PublishRecord{VSphere: &record.VSpherePlacement{
		Status: record.PublishFailed, Datacenter: place.Datacenter,
	}}
	fail := func(err error) (record.PublishRecord, error) {
		out.VSphere.Error = err.Error()
		return out, err
	}
	if rec.Artifacts.OVA == nil {
		return fail(fmt.Errorf("build record of %s has no OVA artifact", rec.Cell.ID))
	}
	ovaPath := filepath.Join(dir, filepath.FromSlash(rec.Artifacts.OVA.Path))
	if _, err := os.Stat(ovaPath); err != nil {
		return fail(fmt.Errorf("OVA of %s: %w", rec.Cell.ID, err))
	}
	conn, err := p.connection(ctx)
	if err != nil {
		return fail(err)
	}
	out.VSphere.VCenter = conn.host
	finder := find.NewFinder(conn.client, false)
	inv, err := place.resolve(ctx, finder, object.NewSearchIndex(conn.client))
	if err != nil {
		return fail(fmt.Errorf("vcenter %s: %w", conn.host, err))
	}
	j := job{conn: conn, finder: finder, inv: inv, rec: rec, ovaPath: ovaPath, name: TemplateName(rec.Cell), logf: logf}
	reused := true
	if lib := p.cfg.ContentLibrary; lib == nil || !lib.Only {
		if reused, err = p.template(ctx, j, out.VSphere); err != nil {
			return fail(fmt.Errorf("vcenter %s: template %s: %w", conn.host, j.name, err))
		}
	} else {
		out.VSphere.Version = rec.Artifacts.OVA.Version
	}
	if place.ContentLibrary != "" {
		item, itemReused, err := p.libraryItem(ctx, j, place.ContentLibrary)
		if err != nil {
			return fail(fmt.Errorf("vcenter %s: %w", conn.host, err))
		}
		out.VSphere.ContentLibrary = item
		reused = reused && itemReused
	}
	out.VSphere.Status = record.PublishSucceeded
	if reused {
		out.VSphere.Status = record.PublishReused
	}
	if out.VSphere.Template != "" {
		logf("template %s (%s) %s", out.VSphere.Template, out.VSphere.MoRef, out.VSphere.Status)
	}
	if cl := out.VSphere.ContentLibrary; cl != nil {
		logf("content library %s item %s (%s) %s", cl.Library, cl.Item, cl.ItemID, out.VSphere.Status)
	}
	return out, nil
}

// job is one record's publish to one vCenter: what its steps share, made once by Publish.
type job struct {
	conn   *connection
	finder *find.Finder
	inv    *inventory
	rec    record.BuildRecord
	// ovaPath is the OVA on disk; name is the template's and the library item's
	// (TemplateName).
	ovaPath, name string
	logf          func(string, ...any)
}

// template makes or reuses the VM template, retrying failed attempts, and fills the
// placement from it. On failure nothing half made is left.
func (p *Publisher) template(ctx context.Context, j job, pl *record.VSpherePlacement) (bool, error) {
	var vm *object.VirtualMachine
	var reused bool
	var err error
	delay := p.opts.RetryDelay
	for attempt := 1; ; attempt++ {
		vm, reused, err = p.converge(ctx, j)
		if err == nil || attempt == p.opts.Attempts || ctx.Err() != nil || isPermanent(err) {
			break
		}
		j.logf("attempt %d of %d failed: %v; retrying in %s", attempt, p.opts.Attempts, err, delay)
		select {
		case <-time.After(delay):
		case <-ctx.Done():
		}
		delay *= 2
	}
	if err != nil {
		j.removeUnfinished(ctx)
		return false, err
	}
	return reused, j.describe(ctx, vm, pl)
}

// libraryItem uploads the OVA to the content library (or reuses the item there).
func (p *Publisher) libraryItem(ctx context.Context, j job, lib string) (*record.ContentLibraryItem, bool, error) {
	rc, err := p.restClient(ctx, j.conn)
	if err != nil {
		return nil, false, err
	}
	u := libraryUpload{m: library.NewManager(rc), inv: j.inv, library: lib, logf: j.logf}
	if c := p.cfg.ContentLibrary; c != nil {
		u.create, u.datastore = c.Create, c.Datastore
	}
	return u.run(ctx, j.rec, j.ovaPath, j.name)
}

// converge brings the VM carrying the record's build key to a finished template: it removes
// what an interrupted import left, imports when no VM has finished importing, and completes
// the remaining steps (power off, snapshot, mark as template). reused says nothing had to be
// done.
func (p *Publisher) converge(ctx context.Context, j job) (*object.VirtualMachine, bool, error) {
	found, err := j.machinesWithKey(ctx)
	if err != nil {
		return nil, false, err
	}
	var done *machine
	for i, m := range found {
		switch {
		case m.state != stateImported:
			j.logf("removing %s (%s), left by an interrupted import", m.name, m.vm.Reference().Value)
			if err := destroy(ctx, m.vm); err != nil {
				return nil, false, fmt.Errorf("remove interrupted import %s: %w", m.name, err)
			}
		case done == nil || (m.finished() && !done.finished()):
			done = &found[i]
		}
	}
	if done != nil && done.finished() {
		j.logf("template %s already carries build key %s", done.name, j.rec.Cell.ShortKey())
		return done.vm, true, nil
	}
	if done == nil {
		j.logf("importing %s into %s", filepath.Base(j.ovaPath), j.inv.folder.InventoryPath)
		im := importer{client: j.conn.client, inv: j.inv, provisioning: p.cfg.DiskProvisioning, logf: j.logf}
		vm, err := im.run(ctx, j.rec, j.ovaPath, j.name)
		if err != nil {
			return nil, false, err
		}
		done = &machine{vm: vm, name: j.name, state: stateImported, poweredOff: true}
	}
	return done.vm, false, finish(ctx, *done)
}

// finish does what is left to make an imported VM a template.
func finish(ctx context.Context, m machine) error {
	if !m.poweredOff {
		task, err := m.vm.PowerOff(ctx)
		if err == nil {
			err = task.Wait(ctx)
		}
		if err != nil {
			return fmt.Errorf("power off: %w", err)
		}
	}
	if !m.snapshot {
		task, err := m.vm.CreateSnapshot(ctx, snapshotName, "Base of linked clones, taken by imagegrid", false, false)
		if err == nil {
			err = task.Wait(ctx)
		}
		if err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
	}
	if !m.template {
		if err := m.vm.MarkAsTemplate(ctx); err != nil {
			return fmt.Errorf("mark as template: %w", err)
		}
	}
	return nil
}

// removeUnfinished destroys the VMs carrying the build key (the named one, else any in the
// datacenter) that are not finished templates, so a failed publish leaves nothing half made.
// It runs even when ctx is cancelled.
func (j job) removeUnfinished(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	found, err := j.machinesWithKey(ctx)
	if err != nil {
		j.logf("clean up: %v", err)
		return
	}
	for _, m := range found {
		if m.finished() {
			continue
		}
		j.logf("removing unfinished %s (%s)", m.name, m.vm.Reference().Value)
		if err := destroy(ctx, m.vm); err != nil {
			j.logf("clean up %s: %v", m.name, err)
		}
	}
}

// describe fills the placement from the template: inventory path, moref and VERSION, which
// must be the OVA's (TKG finds templates by it).
func (j job) describe(ctx context.Context, vm *object.VirtualMachine, pl *record.VSpherePlacement) error {
	ref, err := j.finder.ObjectReference(ctx, vm.Reference())
	if err != nil {
		return fmt.Errorf("find inventory path: %w", err)
	}
	props, err := vappProperties(ctx, vm)
	if err != nil {
		return err
	}
	version := props["VERSION"]
	if want := j.rec.Artifacts.OVA.Version; want != "" && version != want {
		return fmt.Errorf("vApp property VERSION is %q; the OVA's is %q", version, want)
	}
	pl.Template = ref.(*object.VirtualMachine).InventoryPath
	pl.MoRef = vm.Reference().Value
	pl.Version = version
	return nil
}

func (p *Publisher) restClient(ctx context.Context, conn *connection) (*rest.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if conn.rest != nil {
		return conn.rest, nil
	}
	rc := rest.NewClient(conn.client)
	if err := rc.Login(ctx, url.UserPassword(p.creds.Username, p.creds.Password)); err != nil {
		return nil, fmt.Errorf("log in to the vcenter %s API as %s: %w", conn.host, p.creds.Username, err)
	}
	conn.rest = rc
	return rc, nil
}

func (p *Publisher) connection(ctx context.Context) (*connection, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn != nil {
		return p.conn, nil
	}
	conn, err := connect(ctx, p.cfg.Server, p.cfg.Insecure, p.cfg.Thumbprint, p.creds, p.opts.WrapTransport)
	if err != nil {
		return nil, err
	}
	p.conn = conn
	return conn, nil
}

// Close logs out of vCenter.
func (p *Publisher) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn == nil {
		return nil
	}
	err := p.conn.close(context.Background())
	p.conn = nil
	return err
}

// DryRunSteps says what Publish would do for rec, without connecting.
func DryRunSteps(cfg *publishconfig.VSphere, rec record.BuildRecord) ([]string, error) {
	if rec.Artifacts.OVA == nil {
		return nil, errors.New("build record has no OVA artifact")
	}
	place := PlacementFor(cfg, rec.Cell)
	pool := "cluster " + place.Cluster
	if place.ResourcePool != "" {
		pool = "resource pool " + place.ResourcePool
	}
	var lines []string
	if lib := cfg.ContentLibrary; lib == nil || !lib.Only {
		lines = append(lines, fmt.Sprintf("import %s (%s) as template %s into vcenter %s, datacenter %s, %s, datastore %s, folder %s",
			path.Base(rec.Artifacts.OVA.Path), mib(rec.Artifacts.OVA.Size), TemplateName(rec.Cell), cfg.Server,
			place.Datacenter, pool, place.Datastore, folderPath("/"+strings.TrimPrefix(place.Datacenter, "/"), place.Folder)))
	}
	if place.ContentLibrary != "" {
		lines = append(lines, fmt.Sprintf("upload %s to content library %s of vcenter %s as item %s", path.Base(rec.Artifacts.OVA.Path), place.ContentLibrary, cfg.Server, TemplateName(rec.Cell)))
	}
	return lines, nil
}

// logger writes lines prefixed by the cell to the run's log for this record (see
// publish.WithLog), else to Options.Log.
func (p *Publisher) logger(ctx context.Context, cell string) func(string, ...any) {
	w := publish.Log(ctx, p.opts.Log)
	return func(format string, args ...any) {
		fmt.Fprintf(w, "vsphere: %s: %s\n", cell, fmt.Sprintf(format, args...))
	}
}
