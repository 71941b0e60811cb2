// Package qemuimg converts raw disk images with the real qemu-img for tests: the formats
// Image Builder's OVAs (streamOptimized VMDK) and qemu targets (qcow2) ship.
package qemuimg

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Convert returns raw converted by `qemu-img convert -O format opts...`. It fails the test
// when qemu-img is missing (Debian: apt-get install qemu-utils).
func Convert(tb testing.TB, raw []byte, format string, opts ...string) []byte {
	tb.Helper()
	if _, err := exec.LookPath("qemu-img"); err != nil {
		tb.Fatalf("qemu-img is needed (Debian: apt-get install qemu-utils): %v", err)
	}
	dir := tb.TempDir()
	in, out := filepath.Join(dir, "disk.raw"), filepath.Join(dir, "disk."+format)
	if err := os.WriteFile(in, raw, 0o644); err != nil {
		tb.Fatal(err)
	}
	args := append(append([]string{"convert", "-q", "-O", format}, opts...), in, out)
	if b, err := exec.Command("qemu-img", args...).CombinedOutput(); err != nil {
		tb.Fatalf("qemu-img %v: %v: %s", args, err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}
