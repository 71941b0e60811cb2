package ova

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
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

// TestHashedFileTap walks a file as archive/tar does (read a head, tap the member after it,
// skip the member with Seek or read part of it, then read on) and compares the member's
// digest with sha256 over its bytes, the file's with sha256 over the whole file, and the
// positions Seek returns.
func TestHashedFileTap(t *testing.T) {
	t.Parallel()
	rng := rand.NewChaCha8([32]byte{9})
	data := make([]byte, fileChunks*fileChunk+fileChunk/2+3)
	rng.Read(data)
	whole := sha256.Sum256(data)
	tests := []struct {
		name       string
		head, size int // bytes read before the member; the member's size
		read       int // of the member, read before Seek skips the rest
	}{
		{name: "empty member", head: 512, size: 0},
		{name: "inside the first chunk", head: 512, size: 1000},
		{name: "from the first chunk to the last", head: 1536, size: len(data) - 1536 - 1024},
		{name: "at a chunk's start", head: fileChunk, size: 2*fileChunk + 1},
		{name: "part read, then skipped", head: 512, size: 3*fileChunk + 5, read: fileChunk + 17},
		{name: "all read", head: 100, size: fileChunk, read: fileChunk},
		{name: "to the end of the file", head: 7, size: len(data) - 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newHashedFile(bytes.NewReader(data), sha256.New())
			defer f.stop()
			if _, err := io.ReadFull(f, make([]byte, tt.head)); err != nil {
				t.Fatal(err)
			}
			h := sha256.New()
			f.tap(h, int64(tt.size))
			if _, err := io.ReadFull(f, make([]byte, tt.read)); err != nil {
				t.Fatal(err)
			}
			end := int64(tt.head + tt.size)
			if got, err := f.Seek(int64(tt.size-tt.read), io.SeekCurrent); got != end || err != nil {
				t.Fatalf("Seek = %d, %v; want %d", got, err, end)
			}
			f.tapSum()
			if want := sha256.Sum256(data[tt.head:end]); !bytes.Equal(h.Sum(nil), want[:]) {
				t.Errorf("member digest %x, want %x", h.Sum(nil), want)
			}
			rest, err := io.ReadAll(f)
			if err != nil || !bytes.Equal(rest, data[end:]) {
				t.Errorf("after the member: %d bytes (%v), want %d", len(rest), err, len(data)-int(end))
			}
			if n, sum := f.sum(); n != int64(len(data)) || !bytes.Equal(sum, whole[:]) {
				t.Errorf("file: %d bytes, digest %x; want %d, %x", n, sum, len(data), whole)
			}
		})
	}
}

// TestHashedFileSeeksOnlyForward refuses to seek backwards or from anywhere but the current
// position, and stops at the end of the file.
func TestHashedFileSeeksOnlyForward(t *testing.T) {
	t.Parallel()
	f := newHashedFile(strings.NewReader("abcdef"), sha256.New())
	defer f.stop()
	for _, c := range []struct {
		offset int64
		whence int
		want   int64
		err    bool
	}{
		{offset: 2, whence: io.SeekCurrent, want: 2},
		{offset: -1, whence: io.SeekCurrent, want: 2, err: true},
		{offset: 0, whence: io.SeekStart, want: 2, err: true},
		{offset: 10, whence: io.SeekCurrent, want: 6},
	} {
		if got, err := f.Seek(c.offset, c.whence); got != c.want || (err != nil) != c.err {
			t.Errorf("Seek(%d, %d) = %d, %v; want %d, error %t", c.offset, c.whence, got, err, c.want, c.err)
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

// importLike reads the OVA at path as the vSphere import does with a record that gives the
// manifest's digest: the descriptor, the disk in full, then the rest.
func importLike(path, manifestSHA256 string) (Image, error) {
	r, err := OpenTrusted(path, manifestSHA256)
	if err != nil {
		return Image{}, err
	}
	defer r.Close()
	if _, err := r.Descriptor(); err != nil {
		return Image{}, err
	}
	disk, _, err := r.Member("node-disk-0.vmdk")
	if err != nil {
		return Image{}, err
	}
	if _, err := io.Copy(io.Discard, disk); err != nil {
		return Image{}, err
	}
	return r.Finish()
}

// TestOpenTrustedChecksTheChain reads OVAs through the chain of trust a build record anchors
// on the manifest's digest: record → manifest bytes → each member, without hashing the file
// whole. A manifest that is not the recorded one, missing or with SHA-1 digests, and a member
// that is not what the trusted manifest says, are refused and named.
func TestOpenTrustedChecksTheChain(t *testing.T) {
	t.Parallel()
	ovf := member{name: "node.ovf", body: readFixture(t, "capi.ovf")}
	disk := member{name: "node-disk-0.vmdk", body: []byte(strings.Repeat("disk", 40000))}
	mf := manifestOf("node.mf", "SHA256", ovf, disk)
	other := member{name: "node-disk-0.vmdk", body: []byte("another disk")}
	tests := []struct {
		name    string
		members []member
		// trusted is the manifest whose digest the record gives.
		trusted member
		want    string
	}{
		{name: "manifest first", members: []member{ovf, mf, disk}, trusted: mf},
		{name: "manifest last", members: []member{ovf, disk, mf}, trusted: mf},
		{name: "SHA512 manifest", members: []member{ovf, manifestOf("node.mf", "SHA512", ovf, disk), disk}, trusted: manifestOf("node.mf", "SHA512", ovf, disk)},
		{
			name:    "manifest not the recorded one",
			members: []member{ovf, manifestOf("node.mf", "SHA256", ovf, other), other}, trusted: mf,
			want: "manifest node.mf has SHA256 " + sha256Hex(manifestOf("node.mf", "SHA256", ovf, other).body) + "; the build record says " + sha256Hex(mf.body),
		},
		{
			name:    "disk differs from the recorded manifest",
			members: []member{ovf, mf, other}, trusted: mf,
			want: `tar member "node-disk-0.vmdk" has SHA256 ` + sha256Hex(other.body) + "; the manifest node.mf says " + sha256Hex(disk.body),
		},
		{
			name:    "disk differs from a recorded manifest that comes last",
			members: []member{ovf, other, mf}, trusted: mf,
			want: `tar member "node-disk-0.vmdk" has SHA256 ` + sha256Hex(other.body),
		},
		{
			name:    "member not in the recorded manifest",
			members: []member{ovf, manifestOf("node.mf", "SHA256", ovf), disk}, trusted: manifestOf("node.mf", "SHA256", ovf),
			want: `tar member "node-disk-0.vmdk" is not listed in the manifest node.mf`,
		},
		{
			name:    "no manifest",
			members: []member{ovf, disk}, trusted: mf,
			want: "the OVA has no manifest (.mf); its build record gives the manifest's SHA256 " + sha256Hex(mf.body),
		},
		{
			name:    "SHA1 manifest",
			members: []member{ovf, manifestOf("node.mf", "SHA1", ovf, disk), disk}, trusted: manifestOf("node.mf", "SHA1", ovf, disk),
			want: "node.mf:1: node.ovf is listed with SHA1, which cannot carry the build record's trust",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := writeOVA(t, tt.members)
			img, err := importLike(path, sha256Hex(tt.trusted.body))
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
					t.Fatalf("error = %v\nwant it to name %s and contain %q", err, path, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if img.SHA256 != "" || img.Size != st.Size() || img.ManifestSHA256 != sha256Hex(tt.trusted.body) {
				t.Errorf("Image: SHA256 %q, Size %d, ManifestSHA256 %s; want no whole-file digest, %d, %s", img.SHA256, img.Size, img.ManifestSHA256, st.Size(), sha256Hex(tt.trusted.body))
			}
		})
	}
}

// TestDescriptorIsCheckedBeforeItIsHandedOut reads OVAs in Image Builder's order (descriptor,
// manifest, disk): Descriptor reads the manifest too, so a descriptor that is not what the
// manifest says, or a manifest that is not the one the record trusts, is refused before the
// descriptor reaches vCenter's import spec.
func TestDescriptorIsCheckedBeforeItIsHandedOut(t *testing.T) {
	t.Parallel()
	ovf := member{name: "node.ovf", body: readFixture(t, "capi.ovf")}
	edited := member{name: "node.ovf", body: bytes.Replace(ovf.body, []byte("</Envelope>"), []byte("<!-- edited --></Envelope>"), 1)}
	disk := member{name: "node-disk-0.vmdk", body: []byte("disk")}
	mf := manifestOf("node.mf", "SHA256", ovf, disk)
	tests := []struct {
		name    string
		members []member
		trusted string // the manifest digest the record gives; "" opens with Open
		want    string
	}{
		{name: "descriptor edited", members: []member{edited, mf, disk}, want: `tar member "node.ovf" has SHA256 ` + sha256Hex(edited.body)},
		{name: "descriptor edited, trusted", members: []member{edited, mf, disk}, trusted: sha256Hex(mf.body), want: `tar member "node.ovf" has SHA256 ` + sha256Hex(edited.body)},
		{name: "manifest not the recorded one", members: []member{ovf, mf, disk}, trusted: strings.Repeat("0", 64), want: "; the build record says " + strings.Repeat("0", 64)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := writeOVA(t, tt.members)
			open := Open
			if tt.trusted != "" {
				open = func(path string) (*Reader, error) { return OpenTrusted(path, tt.trusted) }
			}
			r, err := open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if _, err := r.Descriptor(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Descriptor error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestMemberHandedOff reads the disk as an import whose receiver hashes what it receives (vCenter
// asked for SHA-256): the disk's bytes are handed out unhashed, and the receiver's digest,
// given to Confirm, decides; a wrong, absent or differently computed digest fails Finish or
// Confirm and names the member.
func TestMemberHandedOff(t *testing.T) {
	t.Parallel()
	ovf := member{name: "node.ovf", body: readFixture(t, "capi.ovf")}
	disk := member{name: "node-disk-0.vmdk", body: []byte(strings.Repeat("disk", 40000))}
	mf := manifestOf("node.mf", "SHA256", ovf, disk)
	tests := []struct {
		name    string
		members []member
		// received is the digest the receiver reports; nil when none is confirmed.
		received *Digest
		want     string
	}{
		{name: "receiver agrees", members: []member{ovf, mf, disk}, received: &Digest{"sha256", strings.ToUpper(sha256Hex(disk.body))}},
		{
			name: "receiver got other bytes", members: []member{ovf, mf, disk}, received: &Digest{"sha256", sha256Hex([]byte("other"))},
			want: `tar member "node-disk-0.vmdk" has SHA256 ` + sha256Hex([]byte("other")) + "; the manifest node.mf says " + sha256Hex(disk.body),
		},
		{
			name: "receiver computed SHA-1", members: []member{ovf, mf, disk}, received: &Digest{"sha1", strings.Repeat("ab", 20)},
			want: `the receiver of tar member "node-disk-0.vmdk" computed its SHA1; the manifest node.mf lists its SHA256`,
		},
		{
			name: "receiver's digest never confirmed", members: []member{ovf, mf, disk},
			want: `tar member "node-disk-0.vmdk" was handed off to its receiver to be hashed, and the digest it computed was never confirmed`,
		},
		{
			name: "manifest after the disk", members: []member{ovf, disk, mf},
			want: `tar member "node-disk-0.vmdk" cannot be checked by its receiver: no manifest listing it precedes it`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := writeOVA(t, tt.members)
			r, err := OpenTrusted(path, sha256Hex(mf.body))
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			err = handOffDisk(r, tt.received)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("error = %v\nwant it to name %s and contain %q", err, path, tt.want)
			}
		})
	}
}

// handOffDisk reads the descriptor, hands the disk off after checking that the manifest lists
// it, reads it whole, confirms received when given, and finishes.
func handOffDisk(r *Reader, received *Digest) error {
	if _, err := r.Descriptor(); err != nil {
		return err
	}
	if d, ok := r.ManifestDigest("node-disk-0.vmdk"); ok && d.Algorithm != "SHA256" {
		return fmt.Errorf("manifest digest %+v; want SHA256", d)
	}
	disk, _, err := r.MemberHandedOff("node-disk-0.vmdk")
	if err != nil {
		return err
	}
	if _, err := io.Copy(io.Discard, disk); err != nil {
		return err
	}
	if received != nil {
		if err := r.Confirm("node-disk-0.vmdk", *received); err != nil {
			return err
		}
	}
	_, err = r.Finish()
	return err
}
