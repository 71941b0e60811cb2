package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/testutil/ovatest"
	"github.com/imagegrid/imagegrid/internal/testutil/peers"
	"github.com/imagegrid/imagegrid/internal/testutil/vcsim"
)

// BenchmarkImportOVA imports a 1 GiB OVA (a streamOptimized VMDK of random data, which does
// not compress, made by qemu-img) into the simulator as whole processes: the publish command
// (open the OVA, check it through its build record's manifest digest — the manifest here,
// the disk by the SHA-256 vCenter computes of what it receives — import it, snapshot, mark
// as template, write the publish record) against govmomi's own govc import.ova from the
// govmomi version this module pins. Both are built before the timer starts, run in
// alternating order into the same simulator (vSphere API 8.0.3, in this process, over TLS,
// both skipping verification; it computes one digest of each upload, SHA-1 for govc's,
// SHA-256 for publish's, which asks for it), and the VM each made is removed between rounds,
// outside the timing. It reports each side's time, CPU time and peak resident set, and the
// CPU the simulator (this process) spent while each ran. Each round then publishes the same OVA
// for another cell from a record without manifestSha256 (as older records are: the whole file
// hashed too), reported as imagegrid-whole-file-*, and into a second simulator that speaks
// API 6.5, which cannot compute SHA-256 (the disk hashed by publish as it streams), reported
// as imagegrid-api65-*. Run it with:
//
//	go test ./cmd/publish -run '^$' -bench ImportOVA -benchtime 1x -count 5
func BenchmarkImportOVA(b *testing.B) {
	publishBin := peers.Command(b, "github.com/imagegrid/imagegrid/cmd/publish")
	govc := peers.Govc(b)
	vc := vcsim.Start(b)
	makeFolder(b, vc, "/DC0/vm", "tkg-templates")
	api65 := vcsim.Start(b, vcsim.APIVersion("6.5"))
	makeFolder(b, api65, "/DC0/vm", "tkg-templates")
	recDir := b.TempDir()
	ova := importOVA(b)
	if err := os.Link(ova.Path, filepath.Join(recDir, filepath.Base(ova.Path))); err != nil {
		b.Fatal(err)
	}
	key := strings.Repeat("1", 64)
	rec := buildRecord(cell(record.InfraVSphere, "ubuntu-2204", key), record.BuildSucceeded)
	rec.Artifacts.OVA = &record.OVAArtifact{Path: filepath.Base(ova.Path), Size: ova.Size, SHA256: ova.SHA256, ManifestSHA256: ova.ManifestSHA256, Version: "v1.30.2+vmware.1-bench"}
	if err := record.WriteFile(filepath.Join(recDir, "build-record.json"), rec); err != nil {
		b.Fatal(err)
	}
	oldDir := b.TempDir()
	if err := os.Link(ova.Path, filepath.Join(oldDir, filepath.Base(ova.Path))); err != nil {
		b.Fatal(err)
	}
	oldKey := strings.Repeat("2", 64)
	old := buildRecord(cell(record.InfraVSphere, "ubuntu-2204", oldKey), record.BuildSucceeded)
	old.Artifacts.OVA = &record.OVAArtifact{Path: filepath.Base(ova.Path), Size: ova.Size, SHA256: ova.SHA256, Version: "v1.30.2+vmware.1-bench"}
	if err := record.WriteFile(filepath.Join(oldDir, "build-record.json"), old); err != nil {
		b.Fatal(err)
	}
	config := publishConfig(b, vc)
	api65Config := publishConfig(b, api65)
	env := append(os.Environ(), "GITHUB_ACTIONS=", "GOVC_USERNAME=user", "GOVC_PASSWORD=pass", "HOME="+b.TempDir())
	vcURL, api65URL := "https://user:pass@"+vc.Host+"/sdk", "https://user:pass@"+api65.Host+"/sdk"
	template := "/DC0/vm/tkg-templates/ubuntu-2204-kube-v1.30.2+vmware.1-" + key[:12]
	oldTemplate := "/DC0/vm/tkg-templates/ubuntu-2204-kube-v1.30.2+vmware.1-" + oldKey[:12]
	govcVM := "/DC0/vm/tkg-templates/govc-import"
	out, oldOut, api65Out := b.TempDir(), b.TempDir(), b.TempDir()

	// run runs a command, storing its usage in use and the CPU the simulators (this process)
	// spent meanwhile in simulator.
	run := func(what string, use *peers.Usage, simulator *time.Duration, args ...string) {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Env = env
		var log strings.Builder
		cmd.Stdout, cmd.Stderr = &log, &log
		before := processCPU(b)
		u, err := peers.Run(cmd)
		if err != nil {
			b.Fatalf("%s: %v\n%s", what, err, log.String())
		}
		*use, *simulator = u, processCPU(b)-before
	}
	var ours, theirs, wholeFile, hashedHere peers.Usage
	var simOurs, simTheirs, ignoredSim time.Duration
	publish := func() {
		run("publish", &ours, &simOurs, publishBin, "--records", recDir, "--config", config, "--out", out)
	}
	publishOld := func() {
		run("publish (record without manifestSha256)", &wholeFile, &ignoredSim, publishBin, "--records", oldDir, "--config", config, "--out", oldOut)
	}
	publishAPI65 := func() {
		run("publish (vCenter API 6.5)", &hashedHere, &ignoredSim, publishBin, "--records", recDir, "--config", api65Config, "--out", api65Out)
	}
	govcImport := func() {
		run("govc import.ova", &theirs, &simTheirs, govc, "import.ova", "-k", "-persist-session=false", "-u", vcURL,
			"-dc", "DC0", "-ds", "LocalDS_0", "-pool", "/DC0/host/DC0_C0/Resources", "-folder", "/DC0/vm/tkg-templates", "-name", "govc-import", ova.Path)
	}
	remove := func() {
		var ignored peers.Usage
		for _, vm := range []struct{ url, path string }{{vcURL, template}, {vcURL, govcVM}, {vcURL, oldTemplate}, {api65URL, template}} {
			run("govc object.destroy", &ignored, &ignoredSim, govc, "object.destroy", "-k", "-persist-session=false", "-u", vm.url, vm.path)
		}
	}
	b.ResetTimer()
	for range b.N {
		rounds++
		ti, tg := peers.Interleave(rounds, publish, govcImport)
		start := time.Now()
		publishOld()
		tw := time.Since(start)
		start = time.Now()
		publishAPI65()
		th := time.Since(start)
		b.StopTimer()
		remove()
		b.StartTimer()
		b.ReportMetric(ti.Seconds(), "imagegrid-s")
		b.ReportMetric(tg.Seconds(), "govc-s")
		b.ReportMetric(ti.Seconds()/tg.Seconds(), "imagegrid/govc")
		b.ReportMetric(ours.PeakMiB, "imagegrid-peak-RSS-MiB")
		b.ReportMetric(theirs.PeakMiB, "govc-peak-RSS-MiB")
		b.ReportMetric(ours.PeakMiB/theirs.PeakMiB, "rss-imagegrid/govc")
		b.ReportMetric(ours.CPU.Seconds(), "imagegrid-cpu-s")
		b.ReportMetric(theirs.CPU.Seconds(), "govc-cpu-s")
		b.ReportMetric(tw.Seconds(), "imagegrid-whole-file-s")
		b.ReportMetric(tw.Seconds()/tg.Seconds(), "imagegrid-whole-file/govc")
		b.ReportMetric(wholeFile.CPU.Seconds(), "imagegrid-whole-file-cpu-s")
		b.ReportMetric(th.Seconds(), "imagegrid-api65-s")
		b.ReportMetric(th.Seconds()/tg.Seconds(), "imagegrid-api65/govc")
		b.ReportMetric(hashedHere.CPU.Seconds(), "imagegrid-api65-cpu-s")
		b.ReportMetric(hashedHere.CPU.Seconds()/theirs.CPU.Seconds(), "cpu-imagegrid-api65/govc")
		b.ReportMetric(ours.CPU.Seconds()/theirs.CPU.Seconds(), "cpu-imagegrid/govc")
		b.ReportMetric(simOurs.Seconds(), "simulator-cpu-imagegrid-s")
		b.ReportMetric(simTheirs.Seconds(), "simulator-cpu-govc-s")
		b.ReportMetric(simOurs.Seconds()/simTheirs.Seconds(), "simulator-cpu-imagegrid/govc")
		b.ReportMetric(wholeFile.CPU.Seconds()/theirs.CPU.Seconds(), "cpu-imagegrid-whole-file/govc")
	}
}

// publishConfig writes a publish config for the simulator vc's DC0 and returns its path.
func publishConfig(b *testing.B, vc *vcsim.VCenter) string {
	config := filepath.Join(b.TempDir(), "publish.yaml")
	doc := fmt.Sprintf(`apiVersion: imagegrid.io/v1alpha1
kind: PublishConfig
vsphere: {server: %q, insecure: true, datacenter: DC0, cluster: DC0_C0, datastore: LocalDS_0, folder: tkg-templates, diskProvisioning: thin}
`, vc.Host)
	if err := os.WriteFile(config, []byte(doc), 0o644); err != nil {
		b.Fatal(err)
	}
	return config
}

// benchOVA is the 1 GiB OVA of BenchmarkImportOVA, made once per process (qemu-img takes a
// minute to convert 1 GiB of random data) and removed when the benchmarks are done.
var benchOVA *ovatest.OVA

func importOVA(b *testing.B) ovatest.OVA {
	b.Helper()
	if benchOVA != nil {
		return *benchOVA
	}
	dir, err := os.MkdirTemp("", "import-bench-")
	if err != nil {
		b.Fatal(err)
	}
	cleanups = append(cleanups, func() { os.RemoveAll(dir) })
	ova := ovatest.Make(b, dir, ovatest.Spec{Name: "bench", DiskBytes: 1 << 30, RandomData: true,
		Properties: map[string]string{"VERSION": "v1.30.2+vmware.1-bench"}})
	benchOVA = &ova
	return ova
}
