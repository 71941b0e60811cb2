package localpipeline

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/record"
)

// windowsCell is the shipped grid's Windows cell the local pipeline test builds beside the
// default cells.
const windowsCell = "vsphere-windows-2019-amd64-v1.30.2---vmware.1"

// TestLocalPipeline runs the README's first command end to end: real packer, qemu-img,
// moto_server and git, the vCenter simulator, and the three commands as the workflows run them,
// for the default cells and the shipped grid's Windows cell.
func TestLocalPipeline(t *testing.T) {
	work := t.TempDir()
	var out strings.Builder
	only := append(slices.Clone(DefaultCells), "id="+windowsCell)
	if err := Run(context.Background(), Options{Root: "../..", Work: work, Only: only, Out: &out}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}

	vs := publishRecord(t, work, "vsphere-ubuntu-2204-amd64-v1.30.2---vmware.1")
	if vs.Status != record.PublishSucceeded || vs.VSphere == nil || !strings.HasPrefix(vs.VSphere.Template, "/Datacenter/vm/tkg-templates/ubuntu-2204-kube-v1.30.2+vmware.1-") {
		t.Errorf("vSphere record: %s %+v", vs.Status, vs.VSphere)
	}
	if want := "v1.30.2+vmware.1-tkg.1-" + vs.Cell.ShortKey(); vs.VSphere.Version != want {
		t.Errorf("template VERSION %q, want %q", vs.VSphere.Version, want)
	}
	aws := publishRecord(t, work, "aws-ubuntu-2204-amd64-v1.30.2---vmware.1")
	regions := map[string]bool{}
	for _, a := range aws.AMIs {
		if a.Status == record.PublishSucceeded && strings.HasPrefix(a.ID, "ami-") {
			regions[a.Region] = true
		}
	}
	if aws.Status != record.PublishSucceeded || len(regions) != 3 {
		t.Errorf("AWS record: %s %+v", aws.Status, aws.AMIs)
	}
	// The Windows cell: a snapshotted template whose VERSION is its own, an OSImage TKG's
	// Windows selector (image-type=ova,os-name=windows) resolves, and no default replaced.
	win := publishRecord(t, work, windowsCell)
	if win.Status != record.PublishSucceeded || win.VSphere == nil || !strings.HasPrefix(win.VSphere.Template, "/Datacenter/vm/tkg-templates/windows-2019-kube-v1.30.2+vmware.1-") {
		t.Errorf("Windows vSphere record: %s %+v", win.Status, win.VSphere)
	} else if want := "v1.30.2+vmware.1-tkg.1-" + win.Cell.ShortKey(); win.VSphere.Version != want {
		t.Errorf("Windows template VERSION %q, want %q", win.VSphere.Version, want)
	}
	osImage, err := os.ReadFile(filepath.Join(work, "catalog", "v1.30.2---vmware.1-tkg.1", "config", "OSImage-v1.30.2---vmware.1-tkg.1-windows-2019-amd64-ova-imagegrid.yml"))
	if err != nil {
		t.Fatalf("the Windows OSImage: %v", err)
	}
	for _, want := range []string{"image-type: ova", "os-name: windows", "os-type: windows", "os-version: \"2019\"", "type: windows\n    name: windows\n    version: \"2019\"\n    arch: amd64", "type: ova\n    ref:\n      version: v1.30.2+vmware.1-tkg.1-" + win.Cell.ShortKey()} {
		if !strings.Contains(string(osImage), want) {
			t.Errorf("the Windows OSImage lacks %q:\n%s", want, osImage)
		}
	}
	az := publishRecord(t, work, "azure-ubuntu-2204-amd64-v1.30.2---vmware.1")
	var azRegions []string
	for _, a := range az.Azure {
		if a.Status == record.PublishSucceeded && strings.Contains(a.ID, "/providers/Microsoft.Compute/galleries/tkg_gallery/images/") && a.ReplicaCount == 2 {
			azRegions = append(azRegions, a.Region)
		}
	}
	if az.Status != record.PublishSucceeded || strings.Join(azRegions, ",") != "eastus,westeurope" {
		t.Errorf("Azure record: %s %+v", az.Status, az.Azure)
	}
	for _, pr := range []record.PublishRecord{vs, aws, az, win} {
		if len(pr.Catalog) == 0 {
			t.Errorf("%s: no catalog change recorded", pr.Cell.ID)
		}
	}

	log, err := exec.Command("git", "-C", filepath.Join(work, "catalog"), "diff", "--name-only", "main", "imagegrid/catalog-tkg").CombinedOutput()
	if err != nil {
		t.Fatalf("the catalog branch: %v\n%s", err, log)
	}
	if !strings.Contains(string(log), "OSImage-v1.30.2---vmware.1-tkg.1-ubuntu-2204-amd64-ova-imagegrid.yml") || !strings.Contains(string(log), "OSImage-v1.30.2---vmware.1-tkg.1-ubuntu-2204-amd64-azure-imagegrid.yml") || !strings.Contains(string(log), "images.json") {
		t.Errorf("the catalog commit changes:\n%s", log)
	}
	for _, want := range []string{"CELL", "BUILD KEY", "NODE IMAGE", vs.Cell.ShortKey() + "  inspection passed", "replacing OSImage/v1.30.2---vmware.1-tkg.1-ubuntu-2204-amd64-ova", "published: westeurope version", "catalog: commit", "every cell is already published"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the final report lacks %q:\n%s", want, out.String())
		}
	}
}

func publishRecord(t *testing.T, work, id string) record.PublishRecord {
	t.Helper()
	pr, err := record.ReadFile[record.PublishRecord](filepath.Join(work, "publish", id+".json"), record.KindPublishRecord)
	if err != nil {
		t.Fatal(err)
	}
	return pr
}

func TestFolderElems(t *testing.T) {
	tests := map[string][]string{
		"/Datacenter/vm/tkg-templates": {"tkg-templates"},
		"/Datacenter/vm/a/b/":          {"a", "b"},
		"templates/tkg":                {"templates", "tkg"},
		"":                             nil,
	}
	for folder, want := range tests {
		if got := folderElems("Datacenter", folder); strings.Join(got, "/") != strings.Join(want, "/") {
			t.Errorf("folderElems(%q) = %v, want %v", folder, got, want)
		}
	}
}

func TestMissingToolsAreNamed(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	err := Run(context.Background(), Options{Root: "../..", Work: t.TempDir(), Out: &strings.Builder{}})
	if err == nil {
		t.Fatal("want an error")
	}
	// Without even bash, .ci/install cannot run: the error says so and names every tool.
	for _, want := range []string{"bash .ci/install: exec: \"bash\"", "bash .ci/install installs them as root on Debian", "packer: apt-get install packer", "qemu-img: apt-get install qemu-utils", "moto_server: bash .ci/install"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestWorkFolderIsOnlyEverItsOwn(t *testing.T) {
	work := t.TempDir()
	if err := os.WriteFile(filepath.Join(work, "precious.txt"), []byte("not the pipeline's"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := emptyWork(work); err == nil || !strings.Contains(err.Error(), "refusing to empty") {
		t.Fatalf("emptyWork on a folder of someone else's files: %v", err)
	}
	if _, err := os.Stat(filepath.Join(work, "precious.txt")); err != nil {
		t.Fatalf("the file is gone: %v", err)
	}

	ours := filepath.Join(t.TempDir(), "run")
	if err := emptyWork(ours); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ours, "old-output"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := emptyWork(ours); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(ours, "old-output")); !os.IsNotExist(err) {
		t.Errorf("a previous run's output survived: %v", err)
	}
}
