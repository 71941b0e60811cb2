package vmdk

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
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

// qemuLayout converts raw with qemu-img, the way Image Builder's stand-in (and qemu-based
// Image Builder targets) write OVA disks.
func qemuLayout(t testing.TB, raw []byte) []byte {
	t.Helper()
	if _, err := exec.LookPath("qemu-img"); err != nil {
		t.Fatalf("qemu-img is needed (Debian: apt-get install qemu-utils): %v", err)
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "disk.raw"), filepath.Join(dir, "disk.vmdk")
	if err := os.WriteFile(in, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("qemu-img", "convert", "-q", "-O", "vmdk", "-o", "subformat=streamOptimized", in, out).CombinedOutput(); err != nil {
		t.Fatalf("qemu-img convert: %v: %s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// vmwareLayout writes raw as VMware's exporters do (Virtual Disk Format 5.0, "Stream-
// Optimized Compressed Sparse Extents"): header with gdOffset = GD_AT_END, grains with
// markers, then each grain table and the directory behind a metadata marker, then a footer
// (a copy of the header holding the directory's real offset) and the end-of-stream marker.
func vmwareLayout(t testing.TB, raw []byte) []byte {
	t.Helper()
	const grainSectors, perGT = 128, 512
	grain := grainSectors * sector
	capacity := uint64((len(raw) + sector - 1) / sector)
	grains := (len(raw) + grain - 1) / grain
	h := header{Magic: magic, Version: 3, Flags: 1 | flagCompressed | flagMarkers, Capacity: capacity,
		GrainSize: grainSectors, DescriptorOffset: 1, DescriptorSize: 1, NumGTEsPerGT: perGT,
		GDOffset: gdAtEnd, Overhead: 128, SingleEndLine: '\n', NonEndLine: ' ', DoubleEndLine1: '\r', DoubleEndLine2: '\n',
		CompressAlgo: compressDeflate}
	var out bytes.Buffer
	pad := func() { out.Write(make([]byte, (sector-out.Len()%sector)%sector)) }
	writeHeader := func(h header) {
		binary.Write(&out, binary.LittleEndian, h)
		pad()
	}
	marker := func(val uint64, size, typ uint32) {
		binary.Write(&out, binary.LittleEndian, val)
		binary.Write(&out, binary.LittleEndian, size)
		binary.Write(&out, binary.LittleEndian, typ)
		pad()
	}
	writeHeader(h)
	out.WriteString("# Disk DescriptorFile\nversion=1\ncreateType=\"streamOptimized\"\n")
	pad()
	out.Write(make([]byte, 128*sector-out.Len()))
	gt := make([]uint32, (grains+perGT-1)/perGT*perGT)
	for g := range grains {
		chunk := raw[g*grain : min((g+1)*grain, len(raw))]
		if bytes.Count(chunk, []byte{0}) == len(chunk) {
			continue
		}
		gt[g] = uint32(out.Len() / sector)
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		zw.Write(chunk)
		zw.Close()
		binary.Write(&out, binary.LittleEndian, uint64(g*grainSectors))
		binary.Write(&out, binary.LittleEndian, uint32(z.Len()))
		out.Write(z.Bytes())
		pad()
	}
	gd := make([]uint32, len(gt)/perGT)
	for i := range gd {
		marker(perGT*4/sector, 0, 1)
		gd[i] = uint32(out.Len() / sector)
		binary.Write(&out, binary.LittleEndian, gt[i*perGT:(i+1)*perGT])
		pad()
	}
	marker(uint64((len(gd)*4+sector-1)/sector), 0, 2)
	h.GDOffset = uint64(out.Len() / sector)
	binary.Write(&out, binary.LittleEndian, gd)
	pad()
	marker(1, 0, 3)
	writeHeader(h)
	marker(0, 0, 0)
	return out.Bytes()
}

func TestReadsBothLayouts(t *testing.T) {
	t.Parallel()
	raw := testDisk(t, 3<<20+5*sector)
	for _, tc := range []struct {
		name string
		vmdk []byte
	}{
		{"qemu-img", qemuLayout(t, raw)},
		{"vmware footer", vmwareLayout(t, raw)},
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
	good := vmwareLayout(t, raw)
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
	f.Add(qemuLayout(f, raw))
	f.Add(vmwareLayout(f, raw))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Open(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		buf := make([]byte, 1<<20)
		for _, off := range []int64{0, d.Size() / 2, d.Size() - 100} {
			d.ReadAt(buf, off)
		}
	})
}
