package vsphere

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/syncbuf"
)

// breakUploads is an http.RoundTripper that cuts the first n NFC uploads off half way.
type breakUploads struct {
	next http.RoundTripper
	left atomic.Int32
	cuts atomic.Int32
}

func (b *breakUploads) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasPrefix(req.URL.Path, "/nfc/") && req.Body != nil && req.ContentLength > 1 && b.left.Add(-1) >= 0 {
		b.cuts.Add(1)
		req.Body = &cutReader{ReadCloser: req.Body, left: req.ContentLength / 2}
	}
	return b.next.RoundTrip(req)
}

type cutReader struct {
	io.ReadCloser
	left int64
}

var errCut = errors.New("connection cut mid-upload")

func (c *cutReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, errCut
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.ReadCloser.Read(p)
	c.left -= int64(n)
	return n, err
}

func TestPublishFaults(t *testing.T) {
	for _, tc := range []struct {
		name           string
		method, object string // simulator fault rule
		uploadCuts     int32  // NFC uploads cut off mid-stream
		times          int    // how often the fault happens; 0 = always
		wantErr        string
	}{
		{name: "ImportVApp once", method: "ImportVApp", object: "ResourcePool", times: 1},
		{name: "HttpNfcLeaseComplete once", method: "HttpNfcLeaseComplete", object: "HttpNfcLease", times: 1},
		{name: "CreateSnapshot once", method: "CreateSnapshot_Task", object: "VirtualMachine", times: 1},
		{name: "MarkAsTemplate once", method: "MarkAsTemplate", object: "VirtualMachine", times: 1},
		{name: "upload cut once", uploadCuts: 1},
		{name: "ImportVApp always", method: "ImportVApp", object: "ResourcePool", wantErr: "injected ImportVApp fault"},
		{name: "HttpNfcLeaseComplete always", method: "HttpNfcLeaseComplete", object: "HttpNfcLease", wantErr: "complete NFC lease"},
		{name: "CreateSnapshot always", method: "CreateSnapshot_Task", object: "VirtualMachine", wantErr: "snapshot"},
		{name: "MarkAsTemplate always", method: "MarkAsTemplate", object: "VirtualMachine", wantErr: "mark as template"},
		{name: "upload cut always", uploadCuts: 1000, wantErr: errCut.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim := newVCSim(t)
			rec, dir := testRecord(t, 1<<20)
			if tc.method != "" {
				sim.fault(tc.method, tc.object, tc.times)
			}
			cut := &breakUploads{}
			cut.left.Store(tc.uploadCuts)
			log := &syncbuf.Buffer{}
			p := New(sim.cfg, testCreds, Options{Log: log, RetryDelay: time.Millisecond, WrapTransport: func(rt http.RoundTripper) http.RoundTripper {
				cut.next = rt
				return cut
			}})
			defer p.Close()

			got, err := p.Publish(context.Background(), rec, dir)
			c := sim.client(t)
			vms := vmsNamed(t, c, TemplateName(rec.Cell))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("publish error = %v; want one containing %q", err, tc.wantErr)
				}
				if got.VSphere.Status != record.PublishFailed || got.VSphere.Error == "" {
					t.Errorf("placement = %+v; want failed with the error", got.VSphere)
				}
				if len(vms) != 0 {
					t.Errorf("%d VMs left after a failed publish; want none\n%s", len(vms), log)
				}
				return
			}
			if err != nil {
				t.Fatalf("publish: %v\n%s", err, log)
			}
			if !strings.Contains(log.String(), "retrying") {
				t.Errorf("the fault was not hit:\n%s", log)
			}
			if len(vms) != 1 || !vms[0].isTemplate || len(vms[0].snapshots) != 1 {
				t.Errorf("VMs = %+v; want one snapshotted template", vms)
			}
		})
	}
}

func TestPublishRemovesInterruptedImport(t *testing.T) {
	sim := newVCSim(t)
	rec, dir := testRecord(t, 1<<20)
	ctx := context.Background()
	c := sim.client(t)

	// What a publish killed during its upload leaves: a VM marked as importing.
	finder := find.NewFinder(c)
	folder, err := finder.Folder(ctx, "/DC0/vm")
	if err != nil {
		t.Fatal(err)
	}
	pool, err := finder.ResourcePool(ctx, "/DC0/host/DC0_C0/Resources")
	if err != nil {
		t.Fatal(err)
	}
	task, err := folder.CreateVM(ctx, types.VirtualMachineConfigSpec{
		Name: TemplateName(rec.Cell), GuestId: "otherGuest",
		Files:       &types.VirtualMachineFileInfo{VmPathName: "[LocalDS_0]"},
		ExtraConfig: marks(rec, stateImporting),
	}, pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	info, err := task.WaitForResult(ctx)
	if err != nil {
		t.Fatal(err)
	}
	leftover := info.Result.(types.ManagedObjectReference)

	p := New(sim.cfg, testCreds, Options{})
	defer p.Close()
	got, err := p.Publish(ctx, rec, dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.VSphere.Status != record.PublishSucceeded || got.VSphere.MoRef == leftover.Value {
		t.Errorf("placement = %+v; want a fresh import, not the leftover %s", got.VSphere, leftover.Value)
	}
	if _, err := finder.ObjectReference(ctx, leftover); err == nil {
		t.Errorf("the interrupted import %s is still there", leftover.Value)
	}
	vms := vmsNamed(t, c, TemplateName(rec.Cell))
	if len(vms) != 1 || !vms[0].isTemplate {
		t.Errorf("VMs = %+v; want one template", vms)
	}
}

// cancelMidUpload is an http.RoundTripper that cancels the publish (as SIGINT would) once
// half of the first NFC upload has gone through.
type cancelMidUpload struct {
	next   http.RoundTripper
	cancel context.CancelFunc
}

func (c *cancelMidUpload) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasPrefix(req.URL.Path, "/nfc/") && req.ContentLength > 1 {
		req.Body = &cancelReader{ReadCloser: req.Body, left: req.ContentLength / 2, cancel: c.cancel}
	}
	return c.next.RoundTrip(req)
}

type cancelReader struct {
	io.ReadCloser
	left   int64
	cancel context.CancelFunc
}

func (c *cancelReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		c.cancel()
		time.Sleep(50 * time.Millisecond) // let the cancellation reach the request
	}
	if int64(len(p)) > c.left && c.left > 0 {
		p = p[:c.left]
	}
	n, err := c.ReadCloser.Read(p)
	c.left -= int64(n)
	return n, err
}

func TestPublishInterruptedLeavesNothing(t *testing.T) {
	sim := newVCSim(t)
	rec, dir := testRecord(t, 1<<20)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := New(sim.cfg, testCreds, Options{RetryDelay: time.Millisecond, WrapTransport: func(rt http.RoundTripper) http.RoundTripper {
		return &cancelMidUpload{next: rt, cancel: cancel}
	}})
	defer p.Close()
	_, err := p.Publish(ctx, rec, dir)
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("publish error = %v; want the cancellation", err)
	}
	if vms := vmsNamed(t, sim.client(t), TemplateName(rec.Cell)); len(vms) != 0 {
		t.Errorf("%d VMs left by an interrupted publish", len(vms))
	}
}
