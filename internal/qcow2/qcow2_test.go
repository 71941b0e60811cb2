package qcow2

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/imagegrid/imagegrid/internal/testutil/diskfuzz"
	"github.com/imagegrid/imagegrid/internal/testutil/qemuimg"
)

func testDisk(size int) []byte {
	raw := make([]byte, size)
	rng := rand.New(rand.NewPCG(5, 6))
	for _, off := range []int{0, 70000, size / 3, size - 3000} {
		for i := range 2500 {
			raw[off+i] = byte(rng.UintN(256))
		}
	}
	copy(raw[size/2:], bytes.Repeat([]byte("compressible "), 20000))
	return raw
}

func TestReadsWhatQemuImgWrites(t *testing.T) {
	t.Parallel()
	raw := testDisk(3<<20 + 4096)
	for _, tc := range []struct {
		name string
		opts []string
	}{
		{"version 3", nil},
		{"version 2", []string{"-o", "compat=0.10"}},
		{"compressed", []string{"-c"}},
		{"small clusters", []string{"-o", "cluster_size=4096"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := qemuimg.Convert(t, raw, "qcow2", tc.opts...)
			d, err := Open(bytes.NewReader(img), int64(len(img)))
			if err != nil {
				t.Fatal(err)
			}
			got := make([]byte, d.Size())
			if n, err := d.ReadAt(got, 0); err != nil || n != len(raw) {
				t.Fatalf("read %d, %v", n, err)
			}
			if !bytes.Equal(got, raw) {
				t.Fatal("the disk differs from the raw image")
			}
			part := make([]byte, 100000)
			if _, err := d.ReadAt(part, 65000); err != nil || !bytes.Equal(part, raw[65000:165000]) {
				t.Fatalf("read across clusters: %v", err)
			}
		})
	}
}

// FuzzOpen: a corrupt qcow2 image is an error, never a panic, a hang or a huge allocation.
func FuzzOpen(f *testing.F) {
	raw := testDisk(256 << 10)
	f.Add(qemuimg.Convert(f, raw, "qcow2"))
	f.Add(qemuimg.Convert(f, raw, "qcow2", "-c"))
	diskfuzz.Open(f, Open)
}
