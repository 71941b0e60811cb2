package inspect_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imagegrid/imagegrid/internal/inspect"
	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/testutil/nodeimage"
	"github.com/imagegrid/imagegrid/internal/testutil/ovatest"
)

// benchDiskMiB and benchKubeletMiB model a real node image: a 20 GiB disk (sparse: only what
// is written takes room) with a 110 MiB kubelet.
const (
	benchDiskMiB    = 20 << 10
	benchKubeletMiB = 110
)

// BenchmarkInspectOVA measures the inspection of a whole node image OVA against the peer a
// person would use without imagegrid: qemu-img convert the VMDK to a raw disk, then debugfs
// (e2fsprogs) to read the same files. Both run the same cold start each iteration. peak-MiB
// is the Go heap's peak during the inspection (sampled every millisecond).
func BenchmarkInspectOVA(b *testing.B) {
	for _, tool := range []string{"qemu-img", "debugfs", "mkfs.ext4"} {
		if _, err := exec.LookPath(tool); err != nil {
			b.Fatalf("%s is needed (Debian: qemu-utils, e2fsprogs)", tool)
		}
	}
	e := expect(b)
	dir := b.TempDir()
	raw := filepath.Join(dir, "disk.raw")
	if err := nodeimage.Write(raw, nodeimage.Spec{Kubernetes: "v1.30.2", Containerd: "1.7.13", Images: refs(e), SizeMiB: benchDiskMiB, KubeletMiB: benchKubeletMiB}); err != nil {
		b.Fatal(err)
	}
	ova := ovatest.Make(b, dir, ovatest.Spec{Name: "node", RawDisk: raw, Properties: map[string]string{"CONTAINERD_VERSION": "1.7.13"}})
	if err := os.Remove(raw); err != nil {
		b.Fatal(err)
	}

	b.Run("imagegrid", func(b *testing.B) {
		var peak atomic.Uint64
		stop := sampleHeap(&peak)
		defer stop()
		for b.Loop() {
			rep, err := inspect.OVA(ova.Path, func(map[string]string) (inspect.Expect, error) { return e, nil })
			if err != nil || rep.Verdict != record.NodeImagePassed {
				b.Fatalf("%v %s: %s", err, rep.Verdict, rep.Reason)
			}
		}
		b.ReportMetric(float64(peak.Load())/(1<<20), "peak-MiB")
		b.ReportMetric(float64(ova.Size)/(1<<20), "ova-MiB")
	})

	b.Run("qemu-img+debugfs", func(b *testing.B) {
		vmdk := filepath.Join(dir, "node.vmdk")
		if out, err := exec.Command("tar", "-xf", ova.Path, "-C", dir, "node-disk-0.vmdk").CombinedOutput(); err != nil {
			b.Fatalf("tar: %v: %s", err, out)
		}
		if err := os.Rename(filepath.Join(dir, "node-disk-0.vmdk"), vmdk); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			out := filepath.Join(dir, "peer.raw")
			if o, err := exec.Command("qemu-img", "convert", "-O", "raw", vmdk, out).CombinedOutput(); err != nil {
				b.Fatalf("qemu-img convert: %v: %s", err, o)
			}
			// The same reads: the binaries, the metadata database, the cloud-init files.
			cmds := "cat /usr/bin/kubeadm\ncat /usr/bin/kubelet\ncat /usr/bin/kubectl\ncat /usr/local/bin/containerd\n" +
				"cat /var/lib/containerd/io.containerd.metadata.v1.bolt/meta.db\nls -l /var/lib/containerd/io.containerd.content.v1.content/blobs/sha256\n" +
				"cat /usr/lib/python3/dist-packages/cloudinit/version.py\nls -l /etc/systemd/system/cloud-init.target.wants\nstat /etc/cloud/cloud-init.disabled\n"
			cmd := exec.Command("debugfs", "-f", "-", out+"?offset=1048576")
			cmd.Stdin = strings.NewReader(cmds)
			if o, err := cmd.Output(); err != nil || len(o) < benchKubeletMiB<<20 {
				b.Fatalf("debugfs: %v (%d bytes)", err, len(o))
			}
			os.Remove(out)
		}
	})
}

// sampleHeap records the peak of the Go heap until stop is called.
func sampleHeap(peak *atomic.Uint64) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var m runtime.MemStats
		for {
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
		}
	})
	return func() { close(done); wg.Wait() }
}
