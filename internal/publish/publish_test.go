package publish

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/testutil/golden"
)

// fakePublisher records its calls and answers from a table keyed by cell id.
type fakePublisher struct {
	calls   []string
	answers map[string]record.PublishRecord
	errs    map[string]error
}

func (f *fakePublisher) Publish(_ context.Context, rec record.BuildRecord, dir string) (record.PublishRecord, error) {
	f.calls = append(f.calls, rec.Cell.ID+" "+filepath.Base(dir))
	return f.answers[rec.Cell.ID], f.errs[rec.Cell.ID]
}

func (f *fakePublisher) Close() error { return nil }

func TestFindRecords(t *testing.T) {
	jobs, err := FindRecords("testdata/records")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, j := range jobs {
		got = append(got, j.Record.Cell.ID+" in "+filepath.Base(j.Dir))
	}
	want := []string{
		"aws-ubuntu-2204-amd64-v1.30.2---vmware.1 in aws-ubuntu-2204-amd64-v1.30.2---vmware.1",
		"aws-ubuntu-2404-amd64-v1.30.2---vmware.1 in aws-ubuntu-2404-amd64-v1.30.2---vmware.1",
		"vsphere-photon-5-amd64-v1.30.2---vmware.1 in vsphere-photon-5-amd64-v1.30.2---vmware.1",
		"vsphere-ubuntu-2204-amd64-v1.30.2---vmware.1 in vsphere-ubuntu-2204-amd64-v1.30.2---vmware.1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("records:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	_, err = FindRecords("testdata/bad")
	if err == nil || !strings.Contains(err.Error(), filepath.Join("testdata", "bad", "x", "build-record.json")) || !strings.Contains(err.Error(), `unknown field "color"`) {
		t.Errorf("bad record error = %v; want the file and the unknown field named", err)
	}
}

func TestRunner(t *testing.T) {
	jobs, err := FindRecords("testdata/records")
	if err != nil {
		t.Fatal(err)
	}
	aws := &fakePublisher{
		answers: map[string]record.PublishRecord{"aws-ubuntu-2204-amd64-v1.30.2---vmware.1": {AMIs: []record.AMIPlacement{
			{Region: "us-west-2", ID: "ami-0123456789abcdef0", Status: record.PublishSucceeded, Source: "us-east-1:ami-0a1b2c3d4e5f60718"},
			{Region: "eu-west-1", Status: record.PublishFailed, Error: "copy: RequestLimitExceeded"},
		}}},
		errs: map[string]error{"aws-ubuntu-2204-amd64-v1.30.2---vmware.1": errors.New("1 of 2 regions failed")},
	}
	clock := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	out := t.TempDir()
	var log bytes.Buffer
	r := &Runner{
		Publishers: map[string]Interface{record.InfraAWS: aws}, // no vsphere target
		Record:     func(pr record.PublishRecord) error { _, err := Recorder{Dir: out}.Write(pr); return err },
		Log:        &log,
		// A stopped clock: the records run at once, so a moving one would give durations
		// that depend on the timing.
		Now: func() time.Time { return clock },
	}
	records, err := r.Run(context.Background(), jobs)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"aws-ubuntu-2204-amd64-v1.30.2---vmware.1 aws-ubuntu-2204-amd64-v1.30.2---vmware.1"}; strings.Join(aws.calls, ",") != strings.Join(want, ",") {
		t.Errorf("publisher calls = %q; want only the succeeded AWS build: %q", aws.calls, want)
	}
	built := map[string]time.Time{}
	for _, j := range jobs {
		built[j.Record.Cell.ID] = j.Record.Finished
	}
	statuses := map[string]string{}
	for _, pr := range records {
		statuses[pr.Cell.ID] = pr.Status + ": " + pr.Error
		back, err := record.ReadFile[record.PublishRecord](filepath.Join(out, pr.Cell.ID+".json"), record.KindPublishRecord)
		if err != nil {
			t.Fatalf("publish record not written: %v", err)
		}
		if back.BuildKey != pr.BuildKey || back.Status != pr.Status || back.Error != pr.Error || !back.BuiltAt.Equal(built[pr.Cell.ID]) {
			t.Errorf("written record %+v differs from %+v", back, pr)
		}
	}
	want := map[string]string{
		"aws-ubuntu-2204-amd64-v1.30.2---vmware.1":     "failed: 1 of 2 regions failed",
		"aws-ubuntu-2404-amd64-v1.30.2---vmware.1":     "skipped: build failed (permanent): goss: kubelet version mismatch",
		"vsphere-ubuntu-2204-amd64-v1.30.2---vmware.1": "failed: no vsphere target in the publish config",
		"vsphere-photon-5-amd64-v1.30.2---vmware.1":    `failed: refused: not a verified node image: goss report is failed: goss did not confirm kubeadm (nothing); failed checks: kubeadm (expected "1.30.2+vmware.1", found "" at goss/goss.yaml: Command kubeadm version: stdout)`,
	}
	for id, w := range want {
		if statuses[id] != w {
			t.Errorf("%s: %q; want %q", id, statuses[id], w)
		}
	}
	golden.Check(t, filepath.Join("testdata", "summary.md"), Summary(records))
}

func TestOverall(t *testing.T) {
	ok := record.AMIPlacement{Status: record.PublishSucceeded}
	reused := record.AMIPlacement{Status: record.PublishReused}
	failed := record.AMIPlacement{Status: record.PublishFailed}
	for _, tc := range []struct {
		name string
		pr   record.PublishRecord
		want string
	}{
		{"nothing", record.PublishRecord{}, record.PublishSkipped},
		{"all reused", record.PublishRecord{AMIs: []record.AMIPlacement{reused, reused}}, record.PublishReused},
		{"some new", record.PublishRecord{AMIs: []record.AMIPlacement{reused, ok}}, record.PublishSucceeded},
		{"one failed", record.PublishRecord{AMIs: []record.AMIPlacement{ok, failed}}, record.PublishFailed},
		{"vsphere", record.PublishRecord{VSphere: &record.VSpherePlacement{Status: record.PublishSucceeded}}, record.PublishSucceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := overall(tc.pr); got != tc.want {
				t.Errorf("overall = %s; want %s", got, tc.want)
			}
		})
	}
}

func TestDryRun(t *testing.T) {
	jobs, err := FindRecords("testdata/records")
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	d := DryRun{Log: &log, Steps: func(rec record.BuildRecord) ([]string, error) {
		return []string{"copy " + rec.Artifacts.AMI[0].ID + " to us-west-2"}, nil
	}}
	r := &Runner{Publishers: map[string]Interface{record.InfraAWS: d}, Log: &log}
	records, err := r.Run(context.Background(), jobs[:1])
	if err != nil {
		t.Fatal(err)
	}
	if records[0].Status != record.PublishSkipped || !strings.Contains(records[0].Error, "dry run: would copy ami-0a1b2c3d4e5f60718 to us-west-2") {
		t.Errorf("record = %s: %s", records[0].Status, records[0].Error)
	}
	if !strings.Contains(log.String(), "would copy ami-0a1b2c3d4e5f60718") {
		t.Errorf("dry-run steps not logged: %q", log.String())
	}
}

func TestCheckNodeImage(t *testing.T) {
	t.Parallel()
	tkg := record.Cell{OS: record.OS{Type: "linux"}, ImageBuilder: record.ImageBuilder{Flavor: record.FlavorTKG}, Kubernetes: record.Kubernetes{Semver: "v1.30.2+vmware.1"}}
	passed := func(source string) record.NodeImageReport {
		return record.NodeImageReport{Source: source, Verdict: record.NodeImagePassed, Checks: []record.NodeImageCheck{{Name: "kubeadm", OK: true}}}
	}
	tests := []struct {
		name string
		cell record.Cell
		reps []record.NodeImageReport
		want string // "" for no error
	}{
		{name: "TKG Linux with a passed goss report", cell: tkg, reps: []record.NodeImageReport{passed("goss")}},
		{name: "TKG Linux without a goss report", cell: tkg, reps: []record.NodeImageReport{passed("inspection")}, want: "the record has no goss report"},
		{name: "failed goss check", cell: tkg, reps: []record.NodeImageReport{{Source: "goss", Verdict: record.NodeImageFailed, Reason: "goss did not confirm kubeadm (nothing)",
			Checks: []record.NodeImageCheck{{Name: "kubeadm", Expected: "1.30.2+vmware.1", Where: "goss/goss.yaml: Command kubeadm version: stdout"}}}},
			want: `goss report is failed: goss did not confirm kubeadm (nothing); failed checks: kubeadm (expected "1.30.2+vmware.1", found "" at goss/goss.yaml: Command kubeadm version: stdout)`},
		{name: "an inspection that could not check is no pass", cell: tkg, reps: []record.NodeImageReport{passed("goss"), {Source: "inspection", Verdict: record.NodeImageNotChecked, Reason: "no qemu-img"}},
			want: "inspection report is not-checked: no qemu-img"},
		{name: "upstream build without reports", cell: record.Cell{OS: record.OS{Type: "linux"}, ImageBuilder: record.ImageBuilder{Flavor: record.FlavorUpstream}}},
		{name: "TKG Windows without goss", cell: record.Cell{OS: record.OS{Type: "windows"}, ImageBuilder: record.ImageBuilder{Flavor: record.FlavorTKG}}, want: "the record has no goss report"},
		{name: "Windows disk the inspection cannot read", cell: record.Cell{OS: record.OS{Type: "windows"}, ImageBuilder: record.ImageBuilder{Flavor: record.FlavorTKG}},
			reps: []record.NodeImageReport{passed("goss"), {Source: "inspection", Verdict: record.NodeImageNotChecked, Reason: "not inspected: MBR partition 1: NTFS partition (a Windows image)"}}},
		{name: "a failed inspection of a Windows image", cell: record.Cell{OS: record.OS{Type: "windows"}, ImageBuilder: record.ImageBuilder{Flavor: record.FlavorTKG}},
			reps: []record.NodeImageReport{{Source: "inspection", Verdict: record.NodeImageFailed, Reason: "no OVF VERSION"}}, want: "inspection report is failed: no OVF VERSION"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := CheckNodeImage(record.BuildRecord{Cell: tt.cell, NodeImage: tt.reps})
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("CheckNodeImage = %v, want no error", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("CheckNodeImage = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestSummaryAzure: the summary names each region of a gallery image version, and its
// failed regions are the publisher's error.
func TestSummaryAzure(t *testing.T) {
	id := "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/galleries/y/images/capi-ubuntu-2204/versions/0.3.1732"
	pr := record.PublishRecord{Cell: record.Cell{ID: "azure-ubuntu-2204-amd64-v1.30.2---vmware.1", Infra: record.InfraAzure}, Status: record.PublishFailed,
		Azure: []record.AzurePlacement{{ID: id, Region: "eastus", Status: record.PublishSucceeded}, {ID: id, Region: "westeurope", Status: record.PublishFailed, Error: "replication failed"}}}
	if got := Summary([]record.PublishRecord{pr}); !strings.Contains(got, "eastus `0.3.1732`<br>westeurope `failed`") {
		t.Errorf("summary lacks the regions:\n%s", got)
	}
	if got := FailedRegions(pr); strings.Join(got, ";") != "westeurope: replication failed" {
		t.Errorf("FailedRegions = %q", got)
	}
}
