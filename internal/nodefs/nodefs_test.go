package nodefs_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/imagegrid/imagegrid/internal/nodefs"
	"github.com/imagegrid/imagegrid/internal/testutil/nodeimage"
)

func makeDisk(t testing.TB, table string) *os.File {
	t.Helper()
	return makeDiskFS(t, table, "ext4")
}

func makeDiskFS(t testing.TB, table, fsType string) *os.File {
	t.Helper()
	path := filepath.Join(t.TempDir(), "disk.raw")
	size := 0
	if fsType == "xfs" {
		size = 320 // mkfs.xfs wants at least 300 MiB
	}
	spec := nodeimage.Spec{Kubernetes: "v1.30.2", Containerd: "1.7.13", Table: table, FS: fsType, SizeMiB: size,
		Extra: map[string][]byte{"var/tmp/sparse": nil, "usr/share/big": bytes.Repeat([]byte("0123456789abcdef"), 300000)}}
	if err := nodeimage.Write(path, spec); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func openFS(t testing.TB, f *os.File) *nodefs.FS {
	t.Helper()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	root, err := nodefs.Open(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func TestReadsTheRootFilesystem(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ table, fs string }{{"gpt", "ext4"}, {"mbr", "ext4"}, {"gpt", "xfs"}} {
		t.Run(tc.table+" "+tc.fs, func(t *testing.T) {
			t.Parallel()
			root := openFS(t, makeDiskFS(t, tc.table, tc.fs))
			if root.Type != tc.fs || root.Partition == "" {
				t.Fatalf("type %q partition %q", root.Type, root.Partition)
			}
			// /lib is a link to usr/lib; the unit is reached through it.
			info, err := root.Stat("/lib/systemd/system/cloud-init.service")
			if err != nil || !info.Mode.IsRegular() {
				t.Fatalf("stat through /lib: %v %v", info, err)
			}
			if r, err := root.Resolve("/etc/systemd/system/cloud-init.target.wants/cloud-init.service"); err != nil || r != "/usr/lib/systemd/system/cloud-init.service" {
				t.Fatalf("resolve the wants link: %q, %v", r, err)
			}
			if target, err := root.Readlink("/lib"); err != nil || target != "usr/lib" {
				t.Fatalf("readlink /lib: %q, %v", target, err)
			}
			if l, err := root.Lstat("/lib"); err != nil || l.Mode&fs.ModeSymlink == 0 {
				t.Fatalf("lstat /lib: %v, %v", l, err)
			}
			big, err := root.ReadFile("/usr/share/big", 10<<20)
			if err != nil || !bytes.Equal(big, bytes.Repeat([]byte("0123456789abcdef"), 300000)) {
				t.Fatalf("read a multi-block file: %d bytes, %v", len(big), err)
			}
			sparse, err := root.Open("/var/tmp/sparse")
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				off  int64
				want []byte
			}{
				{0, make([]byte, 1<<20)},
				{1 << 20, nodeimage.SparseData(1 << 20)},
				{2 << 20, make([]byte, 1<<20)},
				{3 << 20, nodeimage.SparseData(3 << 20)},
			} {
				got := make([]byte, 1<<20)
				if _, err := sparse.ReadAt(got, tc.off); err != nil && !errors.Is(err, io.EOF) {
					t.Fatal(err)
				}
				if !bytes.Equal(got, tc.want) {
					t.Fatalf("sparse file at %d differs", tc.off)
				}
			}
			if _, err := root.Stat("/usr/bin/nothing"); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("missing file: %v, want fs.ErrNotExist", err)
			}
			entries, err := root.ReadDir("/bin") // a link to a directory
			if err != nil || len(entries) < 3 {
				t.Fatalf("read /bin: %v, %v", entries, err)
			}
		})
	}
}
