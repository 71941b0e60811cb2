package vmdk

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/imagegrid/imagegrid/internal/testutil/diskfuzz"
	"github.com/imagegrid/imagegrid/internal/testutil/qemuimg"
	"github.com/imagegrid/imagegrid/internal/testutil/vmdktest"
)

// testDisk is a raw disk image with data in a few grains, zero elsewhere, and a last
// partial grain, so both allocated and unallocated grains are read.
func testDisk(t testing.TB, size int) []byte {
	t.Helper()
	raw := make([]byte, size)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, off := range []int{0, 70000, size / 3, size - 3000} {
		for i := range 2500 {
			raw[off+i] = byte(rng.UintN(256))
		}
	}
	return raw
}

func TestReadsBothLayouts(t *testing.T) {
	t.Parallel()
	raw := testDisk(t, 3<<20+5*sector)
	for _, tc := range []struct {
		name string
		vmdk []byte
	}{
		{"qemu-img", qemuimg.Convert(t, raw, "vmdk", "-o", "subformat=streamOptimized")},
		{"vmware footer", vmdktest.VMwareLayout(raw)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Open(bytes.NewReader(tc.vmdk), int64(len(tc.vmdk)))
			if err != nil {
				t.Fatal(err)
			}
			if d.Size() != int64(len(raw)) {
				t.Fatalf("size %d, want %d", d.Size(), len(raw))
			}
			all := make([]byte, len(raw))
			if n, err := d.ReadAt(all, 0); err != nil || n != len(raw) {
				t.Fatalf("read whole disk: %d bytes, %v", n, err)
			}
			if !bytes.Equal(all, raw) {
				t.Fatal("whole disk differs from the raw image")
			}
			rng := rand.New(rand.NewPCG(3, 4))
			for range 200 {
				off := rng.IntN(len(raw))
				n := rng.IntN(200000)
				buf := make([]byte, n)
				got, err := d.ReadAt(buf, int64(off))
				want := min(n, len(raw)-off)
				if got != want || (err != nil && got == n) {
					t.Fatalf("ReadAt(%d bytes at %d) = %d, %v; want %d", n, off, got, err, want)
				}
				if !bytes.Equal(buf[:got], raw[off:off+got]) {
					t.Fatalf("ReadAt(%d bytes at %d) differs from the raw image", n, off)
				}
			}
		})
	}
}

func TestRefusesWhatIsNotStreamOptimized(t *testing.T) {
	t.Parallel()
	raw := testDisk(t, 3<<20+5*sector)
	good := vmdktest.VMwareLayout(raw)
	for _, tc := range []struct {
		name string
		edit func([]byte) []byte
		want string
	}{
		{"not a vmdk", func([]byte) []byte { return make([]byte, 4096) }, "not KDMV"},
		{"uncompressed", func(b []byte) []byte { binary.LittleEndian.PutUint32(b[len(b)-1024+8:], 3); return b }, "not streamOptimized"},
		{"footer lost", func(b []byte) []byte { return b[:len(b)-1024] }, "footer"},
		{"truncated before the tables", func(b []byte) []byte { return append(b[:128*sector:128*sector], b[len(b)-1536:]...) }, "grain"},
		{"grain size not a power of two", func(b []byte) []byte {
			binary.LittleEndian.PutUint64(b[len(b)-1024+20:], 100)
			return b
		}, "grain size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.edit(bytes.Clone(good))
			d, err := Open(bytes.NewReader(b), int64(len(b)))
			if err == nil {
				_, err = d.ReadAt(make([]byte, len(raw)), 0)
			}
			if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

// FuzzOpen: a corrupt VMDK is an error, never a panic, a hang or a huge allocation.
func FuzzOpen(f *testing.F) {
	raw := testDisk(f, 200<<10) // small, so the fuzzer mutates it quickly
	f.Add(qemuimg.Convert(f, raw, "vmdk", "-o", "subformat=streamOptimized"))
	f.Add(vmdktest.VMwareLayout(raw))
	diskfuzz.Open(f, Open)
}
