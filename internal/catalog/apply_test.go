package catalog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imagegrid/imagegrid/internal/changeset"
	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/testutil/golden"
)

const (
	tkr130 = "v1.30.2+vmware.1-tkg.1"
	tkr129 = "v1.29.6+vmware.1-tkg.2"
	bom121 = "v1.21.2+vmware.1-tkg.1"
)

func TestRoundTrip(t *testing.T) {
	c, err := Load(os.DirFS("testdata/catalog"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Check(); err != nil {
		t.Fatal(err)
	}
	changes, err := c.Changes()
	if err != nil || len(changes) != 0 {
		t.Fatalf("unedited catalog has changes %v, %v", changes, err)
	}
	// Write every file back, edited or not: the bytes must not move.
	dir := t.TempDir()
	var all []changeset.Change
	for _, f := range c.files {
		all = append(all, changeset.Change{Path: f.Path, Data: f.Bytes(), Mode: f.Mode})
	}
	if err := changeset.WriteDir(dir, all); err != nil {
		t.Fatal(err)
	}
	want, got := files(t, "testdata/catalog"), files(t, dir)
	if len(got) != len(want) {
		t.Fatalf("wrote %d files, want %d", len(got), len(want))
	}
	for p, w := range want {
		if got[p] != w {
			t.Errorf("%s changed in a round trip", p)
		}
	}
}

func TestApplyGolden(t *testing.T) {
	rebuilt := published("vsphere", "ubuntu-2204", tkr129, true, "2")
	rebuilt.Cell.BuildKey = strings.Repeat("3", 64)
	rebuilt.BuildKey = rebuilt.Cell.BuildKey
	rebuilt.VSphere.Version = tkr129 + "-333333333333"
	cases := []struct {
		name    string
		before  []record.PublishRecord
		records []record.PublishRecord
		opts    ApplyOptions
	}{
		{"ova-rebuild-updates-in-place", []record.PublishRecord{published("vsphere", "ubuntu-2204", tkr129, true, "2")}, []record.PublishRecord{rebuilt}, ApplyOptions{}},
		{"ova-replaces-default", nil, []record.PublishRecord{published("vsphere", "ubuntu-2204", tkr130, true, "a")}, ApplyOptions{}},
		{"ova-replaces-default-prune", nil, []record.PublishRecord{published("vsphere", "ubuntu-2204", tkr130, true, "a")}, ApplyOptions{Prune: true}},
		{"ova-new-combination", nil, []record.PublishRecord{published("vsphere", "rhel-8", tkr130, false, "b")}, ApplyOptions{}},
		{"ami-regions", nil, []record.PublishRecord{published("aws", "ubuntu-2204", tkr130, true, "c", "us-east-1", "eu-west-1")}, ApplyOptions{}},
		{"flow-multidoc", nil, []record.PublishRecord{published("vsphere", "rhel-8", tkr129, true, "d")}, ApplyOptions{Prune: true}},
		{"azure-tkr", nil, []record.PublishRecord{published("azure", "ubuntu-2204", tkr129, false, "e", "eastus", "westeurope")}, ApplyOptions{}},
		// ubuntu 24.04 beside TKG's ubuntu 22.04: on vSphere and AWS one selector matches both
		// (os-name, not os-version), so the new image replaces the default; Azure's selector
		// has os-version, so the two stay side by side.
		{"ova-2404-replaces-2204-default", nil, []record.PublishRecord{published("vsphere", "ubuntu-2404", tkr130, true, "4")}, ApplyOptions{}},
		{"ami-2404-replaces-2204-default", nil, []record.PublishRecord{published("aws", "ubuntu-2404", tkr130, true, "5", "us-west-2")}, ApplyOptions{}},
		{"azure-2404-beside-2204-default", nil, []record.PublishRecord{published("azure", "ubuntu-2404", tkr130, false, "6")}, ApplyOptions{}},
		// Windows 2022 where the Image Builder release has it: os.version "2022", no default.
		{"ova-windows-2022", nil, []record.PublishRecord{published("vsphere", "windows-2022", tkr130, false, "7")}, ApplyOptions{}},
		{"legacy-bom", nil, []record.PublishRecord{
			published("vsphere", "ubuntu-2004", bom121, true, "f"),
			published("aws", "ubuntu-2004", bom121, true, "f", "us-east-1", "ap-south-1"),
			published("azure", "ubuntu-2004", bom121, true, "f"),
			published("vsphere", "rhel-8", bom121, false, "9"),
		}, ApplyOptions{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := copyCatalog(t)
			git(t, dir, "init", "-q")
			git(t, dir, "add", "-A")
			git(t, dir, "commit", "-q", "-m", "catalog")
			if tc.before != nil {
				applyAndWrite(t, dir, nil, tc.before, tc.opts)
				git(t, dir, "add", "-A")
				git(t, dir, "commit", "-q", "-m", "before")
			}
			changes := applyAndWrite(t, dir, nil, tc.records, tc.opts)
			if len(changes) == 0 {
				t.Fatal("no change")
			}
			git(t, dir, "add", "-A")
			golden.Check(t, filepath.Join("testdata", "golden", tc.name+".diff"), git(t, dir, "diff", "--cached", "--no-color", "--no-ext-diff"))

			// The same records again change nothing, nor does a later publish that reused the
			// same images: they date from their first publication.
			if again := applyAndWrite(t, dir, nil, tc.records, tc.opts); len(again) != 0 {
				t.Errorf("second apply changed %v", again)
			}
			var rerun []record.PublishRecord
			for _, r := range tc.records {
				r.Started, r.Finished = r.Started.Add(24*time.Hour), r.Finished.Add(24*time.Hour)
				rerun = append(rerun, r)
			}
			if again := applyAndWrite(t, dir, nil, rerun, tc.opts); len(again) != 0 {
				t.Errorf("a later publish of the same images changed %v", again)
			}
		})
	}
}

// applyAndWrite loads the catalog in dir with selectors (nil: the defaults), applies
// records, writes the result and returns the files changed.
func applyAndWrite(t *testing.T, dir string, selectors Selectors, records []record.PublishRecord, opts ApplyOptions) []changeset.Change {
	t.Helper()
	c, err := Load(os.DirFS(dir), selectors)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Apply(records, opts); err != nil {
		t.Fatal(err)
	}
	changes, err := c.Changes()
	if err != nil {
		t.Fatal(err)
	}
	if err := changeset.WriteDir(dir, changes); err != nil {
		t.Fatal(err)
	}
	return changes
}

func TestApplyErrors(t *testing.T) {
	noVersion := published("vsphere", "ubuntu-2204", tkr130, true, "a")
	noVersion.VSphere.Version = ""
	badAzure := published("azure", "ubuntu-2204", tkr130, true, "a")
	badAzure.Azure[0].ID = "/subscriptions/0000/images/x"
	wrongKube := published("vsphere", "ubuntu-2204", tkr130, true, "a")
	wrongKube.Cell.Kubernetes.Semver = "v1.30.3"
	cases := []struct {
		name   string
		record record.PublishRecord
		want   []string
	}{
		{"unknown TKr", published("vsphere", "ubuntu-2204", "v1.31.0+vmware.1-tkg.1", true, "a"), []string{"no TanzuKubernetesRelease or BOM with version v1.31.0+vmware.1-tkg.1"}},
		{"default without replacesDefault", published("vsphere", "ubuntu-2204", tkr130, false, "a"), []string{"OSImage/v1.30.2---vmware.1-tkg.1-ubuntu-2204-amd64-ova", "replacesDefault", "TanzuKubernetesRelease.yml:3"}},
		{"BOM entry without replacesDefault", published("aws", "ubuntu-2004", bom121, false, "a", "us-east-1"), []string{"BOM v1.21.2+vmware.1-tkg.1", "line 20", "replacesDefault"}},
		{"no OVA version", noVersion, []string{"no OVA VERSION", "/DC0/vm/ubuntu-2204"}},
		{"bad azure id", badAzure, []string{"not a Compute Gallery image version id"}},
		{"kubernetes mismatch", wrongKube, []string{"builds Kubernetes v1.30.3", "is Kubernetes v1.30.2+vmware.1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(os.DirFS("testdata/catalog"), nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Apply([]record.PublishRecord{tc.record}, ApplyOptions{})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range append(tc.want, tc.record.Cell.ID) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestApplySkips(t *testing.T) {
	failed := published("vsphere", "ubuntu-2204", tkr130, true, "a")
	failed.Status, failed.VSphere.Status = record.PublishFailed, record.PublishFailed
	upstream := published("vsphere", "ubuntu-2204", "", true, "b")
	c, err := Load(os.DirFS("testdata/catalog"), nil)
	if err != nil {
		t.Fatal(err)
	}
	applied, err := c.Apply([]record.PublishRecord{failed, upstream}, ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if applied[0].Skipped == "" || applied[1].Skipped == "" {
		t.Errorf("want both skipped, got %+v", applied)
	}
	changes, err := c.Changes()
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 1 || changes[0].Path != LedgerFile {
		t.Errorf("want only the ledger to change (the upstream image), got %v", changes)
	}
}

// TestApplyPartlyFailedAMIs: the regions an AMI reached are catalogued; the region that failed
// keeps its default until a re-run publishes it there.
func TestApplyPartlyFailedAMIs(t *testing.T) {
	r := published("aws", "ubuntu-2204", tkr130, true, "c", "us-east-1", "us-west-2")
	r.Status = record.PublishFailed
	r.AMIs[1].Status, r.AMIs[1].ID, r.AMIs[1].Error = record.PublishFailed, "", "RequestLimitExceeded"
	c, err := Load(os.DirFS("testdata/catalog"), nil)
	if err != nil {
		t.Fatal(err)
	}
	applied, err := c.Apply([]record.PublishRecord{r}, ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(applied[0].Images) != 1 || applied[0].Images[0].Key.Region != "us-east-1" {
		t.Fatalf("want only the us-east-1 image applied, got %+v", applied[0])
	}
	var replaced []string
	for _, ch := range applied[0].Changes {
		if ch.Replaces != "" {
			replaced = append(replaced, ch.Replaces)
		}
	}
	if len(replaced) != 1 || !strings.HasSuffix(replaced[0], "-us-east-1") {
		t.Errorf("replaced %v, want only the us-east-1 default", replaced)
	}
	if err := c.Check(); err != nil {
		t.Errorf("the catalog breaks an invariant: %v", err)
	}
}

// TestApplyAzurePartialReplication: a gallery image version that did not replicate to every
// region of its cell is not catalogued (an Azure OSImage names no region), so the default
// stays; once every region made it, the version is catalogued once.
func TestApplyAzurePartialReplication(t *testing.T) {
	partial := published("azure", "ubuntu-2204", tkr130, true, "a", "eastus", "westeurope")
	partial.Status = record.PublishFailed
	partial.Azure[1].Status, partial.Azure[1].Error = record.PublishFailed, "replication failed"
	dir := copyCatalog(t)
	if changes := applyAndWrite(t, dir, nil, []record.PublishRecord{partial}, ApplyOptions{}); len(changes) != 0 {
		t.Fatalf("a partly replicated version changed %v; want the default kept", changes)
	}
	complete := published("azure", "ubuntu-2204", tkr130, true, "a", "eastus", "westeurope")
	c, err := Load(os.DirFS(dir), nil)
	if err != nil {
		t.Fatal(err)
	}
	applied, err := c.Apply([]record.PublishRecord{complete}, ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var created []string
	for _, a := range applied {
		for _, ch := range a.Changes {
			if ch.Action == ActionCreated && strings.HasPrefix(ch.Object, "OSImage/") {
				created = append(created, ch.Object)
			}
		}
	}
	if len(created) != 1 {
		t.Errorf("created %v; want one OSImage for the version, whatever its regions", created)
	}
}

// TestApplyBOMAzureKeepsItsPlace: a gallery entry of a legacy BOM replaced by a newer version
// stays where it is (tanzu-framework's legacy templates take the first azure entry).
func TestApplyBOMAzureKeepsItsPlace(t *testing.T) {
	dir := copyCatalog(t)
	applyAndWrite(t, dir, nil, []record.PublishRecord{published("azure", "ubuntu-2004", bom121, true, "f")}, ApplyOptions{})
	applyAndWrite(t, dir, nil, []record.PublishRecord{published("azure", "ubuntu-1804", bom121, true, "d")}, ApplyOptions{})
	firstOS := func() string {
		c, err := Load(os.DirFS(dir), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range c.boms[bom121] {
			for _, e := range b.obj.Entries {
				if e.Key.ImageType == ImageAzure && e.Path[1] == 0 {
					return e.Key.OSVersion + " " + e.Ref["version"]
				}
			}
		}
		return ""
	}
	if got := firstOS(); got != "2004 0.3.ffffff" {
		t.Fatalf("first azure entry %q; want ubuntu 20.04's", got)
	}
	applyAndWrite(t, dir, nil, []record.PublishRecord{published("azure", "ubuntu-2004", bom121, true, "e")}, ApplyOptions{})
	if got := firstOS(); got != "2004 0.3.eeeeee" {
		t.Errorf("first azure entry after the new 20.04 version %q; want it in the same place", got)
	}
}
