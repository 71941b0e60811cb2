package ova

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// TestReaderRefusesUnsafeMembers streams OVAs the way the vSphere import does (descriptor,
// then the disk it uploads): unsafe or misplaced members fail before the disk is handed out.
func TestReaderRefusesUnsafeMembers(t *testing.T) {
	t.Parallel()
	ovf := readFixture(t, "capi.ovf")
	tests := []struct {
		name    string
		members []member
		want    string
	}{
		{"dot-dot disk", []member{{name: "node.ovf", body: ovf}, {name: "../node-disk-0.vmdk", body: []byte("x")}}, `contains ".."`},
		{"absolute descriptor", []member{{name: "/etc/node.ovf", body: ovf}}, "absolute path"},
		{"descriptor not first", []member{{name: "node.mf", body: []byte("x")}, {name: "node.ovf", body: ovf}}, "first tar member is"},
		{"empty", nil, "holds no member"},
		{"disk missing", []member{{name: "node.ovf", body: ovf}}, `member "node-disk-0.vmdk" not found`},
		{"descriptor not an envelope", []member{{name: "node.ovf", body: []byte("<Project><VirtualSystem/></Project>")}}, "root element is <Project>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := writeOVA(t, tt.members)
			r, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			_, err = r.Descriptor()
			if err == nil {
				_, _, err = r.Member("node-disk-0.vmdk")
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %v, want it to name %s and contain %q", err, path, tt.want)
			}
		})
	}
}

// TestReaderStreamsWhatVerifyReads reads an OVA as the import does — the disk handed out in
// small reads, the rest read by Finish — and gets the same image as Verify.
func TestReaderStreamsWhatVerifyReads(t *testing.T) {
	t.Parallel()
	path := writeOVA(t, goodMembers(t))
	want, err := Verify(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	desc, err := r.Descriptor()
	if err != nil {
		t.Fatal(err)
	}
	if desc.Name != "node.ovf" || desc.Envelope == nil || desc.Envelope.VirtualSystem == nil {
		t.Fatalf("descriptor %s: envelope %+v", desc.Name, desc.Envelope)
	}
	disk, size, err := r.Member("node-disk-0.vmdk")
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(io.LimitReader(disk, 1<<30))
	if err != nil || int64(len(data)) != size {
		t.Fatalf("read %d bytes of %d: %v", len(data), size, err)
	}
	got, err := r.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if got.SHA256 != want.SHA256 || got.Size != want.Size || strings.Join(got.Members, ",") != "node.ovf,node.mf,node-disk-0.vmdk" {
		t.Errorf("Finish = %s %d %v, Verify = %s %d %v", got.SHA256, got.Size, got.Members, want.SHA256, want.Size, want.Members)
	}
}

// TestReaderChecksAMemberReadInPart fails a member the caller did not read to its end: its
// digest cannot have been checked.
func TestReaderChecksAMemberReadInPart(t *testing.T) {
	t.Parallel()
	r, err := Open(writeOVA(t, goodMembers(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Descriptor(); err != nil {
		t.Fatal(err)
	}
	disk, _, err := r.Member("node-disk-0.vmdk")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := disk.Read(make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Finish(); err == nil || !strings.Contains(err.Error(), `tar member "node-disk-0.vmdk" has SHA256`) {
		t.Errorf("Finish error = %v, want the disk's digest refused", err)
	}
}

// TestHashedFile reads files of sizes around the chunk size in reads of several sizes and
// compares size and digest with sha256 over the whole file.
func TestHashedFile(t *testing.T) {
	t.Parallel()
	rng := rand.NewChaCha8([32]byte{7})
	for _, size := range []int{0, 1, fileChunk - 1, fileChunk, fileChunk + 1, fileChunks*fileChunk + 7} {
		data := make([]byte, size)
		rng.Read(data)
		want := sha256.Sum256(data)
		for _, step := range []int{1 << 12, 3 << 19, 2 * fileChunk} {
			if size > fileChunk && step == 1<<12 && testing.Short() {
				continue
			}
			f := newHashedFile(bytes.NewReader(data), sha256.New())
			got, err := io.ReadAll(readInSteps{f, step})
			n, sum := f.sum()
			if err != nil || !bytes.Equal(got, data) || n != int64(size) || hex.EncodeToString(sum) != hex.EncodeToString(want[:]) {
				t.Errorf("size %d, reads of %d: %d bytes (%v), sum %x; want %d bytes, sum %x", size, step, n, err, sum, size, want)
			}
		}
	}
}

// readInSteps reads at most step bytes at a time.
type readInSteps struct {
	r    io.Reader
	step int
}

func (s readInSteps) Read(p []byte) (int, error) { return s.r.Read(p[:min(len(p), s.step)]) }

// TestHashedFileReportsReadErrors passes a failing read through, after the bytes before it.
func TestHashedFileReportsReadErrors(t *testing.T) {
	t.Parallel()
	f := newHashedFile(io.MultiReader(strings.NewReader("abc"), errReader{}), sha256.New())
	defer f.stop()
	got, err := io.ReadAll(f)
	if string(got) != "abc" || err != os.ErrPermission {
		t.Errorf("read %q, %v; want \"abc\", %v", got, err, os.ErrPermission)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, os.ErrPermission }
