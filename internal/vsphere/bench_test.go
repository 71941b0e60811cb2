package vsphere

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/find"

	"github.com/imagegrid/imagegrid/internal/publishconfig"
	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/testutil/ovatest"
	"github.com/imagegrid/imagegrid/internal/testutil/peers"
	"github.com/imagegrid/imagegrid/internal/testutil/vcsim"
)

// BenchmarkImportOVA imports a 1 GiB OVA (random data: it does not compress) into the
// simulator, with imagegrid and with govmomi's own govc import.ova built from the same
// govmomi version (before the timers start), on the same file in the same run. Both skip
// TLS verification, so only the import is compared. Run it with:
//
//	go test ./internal/vsphere -run '^$' -bench ImportOVA -benchtime 3x
func BenchmarkImportOVA(b *testing.B) {
	dir := b.TempDir()
	ova := ovatest.Make(b, dir, ovatest.Spec{
		Name: "bench-node", DiskBytes: 1 << 30, RandomData: true,
		Properties: map[string]string{"VERSION": "v1.30.2+vmware.1-bench", "DISTRO_NAME": "ubuntu"},
	})
	vc := vcsim.Start(b)
	cfg := &publishconfig.VSphere{Server: vc.Host, Insecure: true, VSphereTarget: record.VSphereTarget{Datacenter: "DC0", Cluster: "DC0_C0", Datastore: "LocalDS_0"}, DiskProvisioning: "thin"}
	ctx := context.Background()
	govc := peers.Govc(b) // built before any timer runs

	b.Run("imagegrid", func(b *testing.B) {
		b.SetBytes(ova.Size)
		resetPeakRSS(b)
		for i := range b.N {
			rec := benchRecord(ova, fmt.Sprintf("%064x", i+1))
			p := New(cfg, testCreds, Options{Attempts: 1})
			out, err := p.Publish(ctx, rec, dir)
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			removeTemplate(b, p, out.VSphere.Template)
			p.Close()
			b.StartTimer()
		}
		b.ReportMetric(peakRSS(b), "peak-RSS-MiB")
	})

	b.Run("govc-import.ova", func(b *testing.B) {
		b.SetBytes(ova.Size)
		var peak float64
		for i := range b.N {
			name := fmt.Sprintf("govc-%d", i)
			cmd := exec.Command(govc, "import.ova", "-k", "-persist-session=false", "-u", "https://user:pass@"+vc.Host+"/sdk",
				"-dc", "DC0", "-ds", "LocalDS_0", "-pool", "/DC0/host/DC0_C0/Resources", "-folder", "/DC0/vm", "-name", name, ova.Path)
			cmd.Env = append(os.Environ(), "HOME="+b.TempDir())
			var out strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			sampled := samplePeakRSS(b, cmd.Process.Pid)
			if err := cmd.Wait(); err != nil {
				b.Fatalf("govc import.ova: %v: %s", err, out.String())
			}
			peak = max(peak, <-sampled)
			b.StopTimer()
			p := New(cfg, testCreds, Options{})
			removeTemplate(b, p, "/DC0/vm/"+name)
			p.Close()
			b.StartTimer()
		}
		b.ReportMetric(peak, "peak-RSS-MiB")
	})
}

func benchRecord(ova ovatest.OVA, key string) record.BuildRecord {
	return record.BuildRecord{
		APIVersion: record.APIVersion, Kind: record.KindBuildRecord, BuildKey: key, Status: record.BuildSucceeded,
		Cell: record.Cell{ID: "vsphere-bench", Infra: record.InfraVSphere, BuildKey: key,
			OS: record.OS{ID: "ubuntu-2204"}, Kubernetes: record.Kubernetes{Semver: "v1.30.2+vmware.1"}},
		Artifacts: record.Artifacts{OVA: &record.OVAArtifact{Path: filepath.Base(ova.Path), Size: ova.Size, SHA256: ova.SHA256, Version: "v1.30.2+vmware.1-bench"}},
	}
}

func removeTemplate(b *testing.B, p *Publisher, path string) {
	b.Helper()
	ctx := context.Background()
	conn, err := p.connection(ctx)
	if err != nil {
		b.Fatal(err)
	}
	vm, err := find.NewFinder(conn.client).VirtualMachine(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	if err := destroy(ctx, vm); err != nil {
		b.Fatal(err)
	}
}

// samplePeakRSS follows the peak resident set (VmHWM) of another process every 20ms until it
// exits and sends the last value seen, in MiB. (The rusage of a child is no use here: it
// counts the parent's resident set at fork.)
func samplePeakRSS(b *testing.B, pid int) <-chan float64 {
	ch := make(chan float64, 1)
	go func() {
		var last float64
		for {
			v, err := readVmHWM(fmt.Sprintf("/proc/%d/status", pid))
			if err != nil {
				ch <- last
				return
			}
			last = max(last, v)
			time.Sleep(20 * time.Millisecond)
		}
	}()
	return ch
}

// resetPeakRSS restarts the kernel's peak-RSS count of this process (VmHWM).
func resetPeakRSS(b *testing.B) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Fatalf("reset peak RSS: %v", err)
	}
}

// peakRSS is this process's peak resident set since resetPeakRSS, in MiB: the publisher
// and the in-process simulator it uploads to.
func peakRSS(b *testing.B) float64 {
	v, err := readVmHWM("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	return v
}

// readVmHWM reads the peak resident set from a /proc status file, in MiB. A zombie has none.
func readVmHWM(path string) (float64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024, err
		}
	}
	return 0, fmt.Errorf("%s: no VmHWM", path)
}
