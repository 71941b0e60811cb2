package ova

import (
	"archive/tar"
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

var benchDir = flag.String("benchdir", "", "directory for the benchmark's 1 GiB OVA (default: a temporary directory)")

// benchDiskSize is the size of the benchmark OVA's disk member.
const benchDiskSize = 1 << 30

// BenchmarkVerify1GiB verifies a 1 GiB OVA (hash, tar walk, OVF parse, property checks) and,
// in the same iterations, runs sha256sum over the same file as the peer. It reports both
// speeds, their ratio (x-sha256sum, target ≥ 0.8) and the process's peak RSS.
func BenchmarkVerify1GiB(b *testing.B) {
	sha256sum, err := exec.LookPath("sha256sum")
	if err != nil {
		b.Fatal("sha256sum is missing: install GNU coreutils (apt-get install coreutils)")
	}
	dir := *benchDir
	if dir == "" {
		dir = b.TempDir()
	}
	path := filepath.Join(dir, "bench.ova")
	if err := writeBenchOVA(path, readFixtureB(b, "capi.ovf")); err != nil {
		b.Fatal(err)
	}
	defer os.Remove(path)
	defer os.Remove(path + ".sha256")
	want := map[string]string{"KUBERNETES_SEMVER": "v1.30.2+vmware.1", "DISTRO_NAME": "ubuntu", "DISTRO_VERSION": "22.04", "DISTRO_ARCH": "amd64"}

	var ours, peer time.Duration
	var size int64
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		img, err := Verify(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := CheckProperties(img.Properties, want); err != nil {
			b.Fatal(err)
		}
		ours += time.Since(start)
		size = img.Size

		start = time.Now()
		out, err := exec.Command(sha256sum, path).Output()
		if err != nil {
			b.Fatalf("sha256sum: %v", err)
		}
		peer += time.Since(start)
		if !strings.HasPrefix(string(out), img.SHA256) {
			b.Fatalf("sha256sum says %s, Verify says %s", out, img.SHA256)
		}
	}
	b.StopTimer()
	mb := float64(size) * float64(b.N) / 1e6
	b.ReportMetric(mb/ours.Seconds(), "MB/s-imagegrid")
	b.ReportMetric(mb/peer.Seconds(), "MB/s-sha256sum")
	b.ReportMetric(peer.Seconds()/ours.Seconds(), "x-sha256sum")
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MiB")
	}
}

func readFixtureB(b *testing.B, name string) []byte {
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// writeBenchOVA writes an OVA with the fixture OVF and a 1 GiB pseudo-random disk, and its
// .sha256, in 1 MiB chunks so that writing it does not raise the process's peak memory.
func writeBenchOVA(path string, ovf []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	bw := bufio.NewWriterSize(f, 1<<20)
	tw := tar.NewWriter(io.MultiWriter(bw, h))
	if err := tw.WriteHeader(&tar.Header{Name: "node.ovf", Mode: 0o644, Size: int64(len(ovf)), Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	if _, err := tw.Write(ovf); err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: "node-disk-0.vmdk", Mode: 0o644, Size: benchDiskSize, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	rng := rand.NewChaCha8([32]byte{1})
	chunk := make([]byte, 1<<20)
	for written := 0; written < benchDiskSize; written += len(chunk) {
		rng.Read(chunk)
		if _, err := tw.Write(chunk); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.WriteFile(path+".sha256", []byte(hex.EncodeToString(h.Sum(nil))+"\n"), 0o644)
}
