package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/syncbuf"
	"github.com/imagegrid/imagegrid/internal/tree"
)

// standIn is the Image Builder stand-in's images/capi directory.
var standIn = func() string {
	dir, err := filepath.Abs(filepath.Join("..", "..", "testdata", "imagebuilder", "images", "capi"))
	if err != nil {
		panic(err)
	}
	return dir
}()

// requireStandInTools fails the test when a tool the stand-in runs is missing.
func requireStandInTools(t *testing.T) {
	t.Helper()
	for tool, install := range map[string]string{
		"make":     "apt-get install make",
		"packer":   "apt-get install packer (Debian's packer 1.6.6)",
		"qemu-img": "apt-get install qemu-utils",
		"python3":  "apt-get install python3",
		// The stand-in's OVA disk is a real ext4 filesystem (hack/node-disk.sh).
		"mkfs.ext4": "apt-get install e2fsprogs",
		"go":        "install Go (the stand-in builds its node disk with go run)",
	} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing; the Image Builder stand-in needs it: %s", tool, install)
		}
	}
}

// testKey is a build key: 64 hex digits.
func testKey(seed string) string { return testKeyBytes([]byte(seed)) }

// testKeyBytes is the hex sha256 of data.
func testKeyBytes(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func vsphereCell(osID, osVersion string) record.Cell {
	return record.Cell{
		APIVersion: record.APIVersion, Kind: record.KindCell,
		ID:    "vsphere-" + osID + "-amd64-v1.30.2",
		Name:  "vsphere " + osID + " amd64 v1.30.2",
		Grid:  "test",
		Infra: record.InfraVSphere,
		OS:    record.OS{ID: osID, Name: "ubuntu", Version: osVersion, Arch: "amd64", Type: "linux"},
		Target: record.Target{
			Build:    "build-node-ova-vsphere-" + osID,
			Validate: "validate-node-ova-local-" + osID,
		},
		Kubernetes: record.Kubernetes{Semver: "v1.30.2", Series: "v1.30", DebVersion: "1.30.2-1.1", RPMVersion: "1.30.2"},
		ImageBuilder: record.ImageBuilder{
			Image:   "registry.k8s.io/scl-image-builder/cluster-node-image-builder-amd64:v0.1.55",
			Version: "v0.1.55", Flavor: record.FlavorUpstream,
		},
		BuildKey: testKey(osID),
		Publish: record.PublishHints{VSphere: &record.VSphereHints{
			VSphereTarget: record.VSphereTarget{
				Datacenter: "Datacenter", Cluster: "Cluster", Datastore: "vsanDatastore",
				Folder: "/Datacenter/vm/imagegrid", Network: "VM Network",
			},
		}},
		Sources: []string{"matrices/test.yaml"},
	}
}

func tkgCell() record.Cell {
	c := vsphereCell("ubuntu-2204", "22.04")
	c.ID = "vsphere-ubuntu-2204-amd64-v1.30.2---vmware.1"
	c.Kubernetes.Semver = "v1.30.2+vmware.1"
	c.Kubernetes.TKr = "v1.30.2+vmware.1-tkg.1"
	c.Kubernetes.ResourceBundle = "projects.registry.vmware.com/tkg/linux-resource-bundle:v1.30.2_vmware.1-tkg.1"
	c.ImageBuilder = record.ImageBuilder{Image: "projects.registry.vmware.com/tkg/image-builder:v0.1.55_vmware.1", Version: "v0.1.55_vmware.1", Flavor: record.FlavorTKG}
	c.TKGConfig = folder("tkg-config/v1.30.2+vmware.1-tkg.1")
	return c
}

// folder is the cell entry of the folder testdata/<rel>, with its current digest.
func folder(rel string) *record.Folder {
	sum, err := tree.Digest(filepath.Join("testdata", filepath.FromSlash(rel)))
	if err != nil {
		panic(err)
	}
	return &record.Folder{Path: rel, SHA256: sum}
}

// standInDocker runs the docker stand-in, which serves the TKG resource bundle on 127.0.0.1,
// with its state in a fresh folder.
func standInDocker(t *testing.T, o *Options) {
	o.Docker = filepath.Join(standIn, "..", "..", "bin", "docker")
	o.BundleHost = "127.0.0.1"
	o.Environ = append(o.Environ, "STANDIN_DOCKER_STATE="+t.TempDir())
}

// rhelCell is a RHEL 9 vSphere cell without the ISO Image Builder cannot supply.
func rhelCell() record.Cell {
	c := vsphereCell("rhel-9", "9")
	c.OS.Name = "rhel"
	return c
}

func awsCell() record.Cell {
	return ubuntuCellOn(record.InfraAWS, "22.04", "ami", record.PublishHints{AWS: &record.AWSHints{AWSTarget: record.AWSTarget{Regions: []string{"us-west-2", "eu-central-1"}}}})
}

func azureCell() record.Cell {
	return ubuntuCellOn(record.InfraAzure, "2204", "azure-sig", record.PublishHints{Azure: &record.AzureHints{ResourceGroup: "tkg-images", Gallery: "tkg_gallery", Regions: []string{"westeurope", "eastus"}}})
}

// ubuntuCellOn is an Ubuntu 22.04 cell of infra, whose make targets are
// build-<kind>-ubuntu-2204 and validate-<kind>-ubuntu-2204.
func ubuntuCellOn(infra, osVersion, kind string, hints record.PublishHints) record.Cell {
	c := vsphereCell("ubuntu-2204", osVersion)
	c.ID = infra + "-ubuntu-2204-amd64-v1.30.2"
	c.Infra = infra
	c.Target = record.Target{Build: "build-" + kind + "-ubuntu-2204", Validate: "validate-" + kind + "-ubuntu-2204"}
	c.Publish = hints
	return c
}

// testCreds are fake credentials of every infrastructure.
var testCreds = []string{
	"VSPHERE_SERVER=vcenter.example.com", "VSPHERE_USERNAME=builder@vsphere.local", "VSPHERE_PASSWORD=s3cret-vsphere-pw",
	"AWS_ACCESS_KEY_ID=AKIATESTKEYID0000000", "AWS_SECRET_ACCESS_KEY=s3cret-aws-secret-key",
}

// makeOptions runs the stand-in with the make executor in a fresh work dir; extra are added
// to the environment (stand-in controls).
func makeOptions(t *testing.T, extra ...string) Options {
	env := append(os.Environ(), testCreds...)
	return Options{
		WorkDir: t.TempDir(), VarsRoot: "testdata",
		Executor: ExecutorMake, ImageBuilderDir: standIn,
		Environ: append(env, extra...),
		Timeout: 2 * time.Minute, Grace: time.Second, Retries: 2, Backoff: 10 * time.Millisecond,
		Console: &syncbuf.Buffer{},
	}
}

// fakeDocker is an Exec that records every command and hands non-docker ones to the real
// ProcessExec; docker commands succeed after writing what docker would print, or do what
// onDocker says.
type fakeDocker struct {
	mu       sync.Mutex
	commands []Command
	real     Exec
	// onDocker, when set, handles `docker run` of the Image Builder image.
	onDocker func(ctx context.Context, cmd Command, out io.Writer) error
	image    string
}

func newFakeDocker(image string) *fakeDocker {
	return &fakeDocker{real: ProcessExec(time.Second), image: image}
}

func (f *fakeDocker) exec(ctx context.Context, cmd Command, out io.Writer) error {
	f.mu.Lock()
	f.commands = append(f.commands, cmd)
	f.mu.Unlock()
	if cmd.Path != "docker" {
		return f.real(ctx, cmd, out)
	}
	if f.onDocker != nil && len(cmd.Args) > 0 && cmd.Args[len(cmd.Args)-2] == f.image {
		return f.onDocker(ctx, cmd, out)
	}
	io.WriteString(out, "0123456789abcdef\n")
	return nil
}

// dockerLines are the recorded docker commands as shell lines.
func (f *fakeDocker) dockerLines() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var lines []string
	for _, c := range f.commands {
		if c.Path == "docker" {
			lines = append(lines, c.String())
		}
	}
	return lines
}

// readRecord reads a written record back strictly, as publish would.
func readRecord(t *testing.T, path string) record.BuildRecord {
	t.Helper()
	rec, err := record.ReadFile[record.BuildRecord](path, record.KindBuildRecord)
	if err != nil {
		t.Fatalf("read record: %v", err)
	}
	return rec
}

func mustContain(t *testing.T, what, text, want string) {
	t.Helper()
	if !strings.Contains(text, want) {
		t.Errorf("%s does not contain %q:\n%s", what, want, text)
	}
}

// nodeImageReport is the record's one node image report from source; the test fails without
// exactly one.
func nodeImageReport(t *testing.T, rec record.BuildRecord, source string) record.NodeImageReport {
	t.Helper()
	var found []record.NodeImageReport
	for _, rep := range rec.NodeImage {
		if rep.Source == source {
			found = append(found, rep)
		}
	}
	if len(found) != 1 {
		t.Fatalf("node image reports = %+v, want one from %s", rec.NodeImage, source)
	}
	return found[0]
}
