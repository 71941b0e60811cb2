package inspect

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/imagegrid/imagegrid/internal/testutil/nodeimage"
)

// BenchmarkELFStrings scans a real Go executable (this test binary, built by the same linker
// as kubelet) for string headers, as the version checks do: the cost of the data sections
// of a real binary, which the test disks' small synthetic binaries do not have.
func BenchmarkELFStrings(b *testing.B) {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(exe)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	b.SetBytes(st.Size())
	var n int
	for b.Loop() {
		strs, err := elfStrings(f)
		if err != nil {
			b.Fatal(err)
		}
		n = len(strs)
	}
	b.ReportMetric(float64(n), "strings")
}

// TestVersionsFromTheGoLinker builds a program with Kubernetes' and containerd's version
// variables set by -X, with -trimpath, as a plain and as a position-independent executable,
// and reads the versions back.
func TestVersionsFromTheGoLinker(t *testing.T) {
	t.Parallel()
	const commit = "39683505b630ff2121012f3c5b16215a1449d5ed"
	dir := t.TempDir()
	for _, tc := range []struct {
		name, flags string
		read        func(io.ReaderAt) (string, error)
		want        string
	}{
		{"kubelet", "-X main.gitMajor=1 -X main.gitMinor=30 -X main.gitVersion=v1.30.2+vmware.1 -X main.gitCommit=" + commit + " -X main.gitTreeState=clean", kubernetesVersion, "v1.30.2+vmware.1"},
		{"containerd", "-X main.Package=github.com/containerd/containerd -X main.Version=v1.7.18 -X main.Revision=" + commit, containerdVersion, "v1.7.18"},
	} {
		for _, mode := range []string{"exe", "pie"} {
			t.Run(tc.name+" "+mode, func(t *testing.T) {
				out := filepath.Join(dir, tc.name+"-"+mode)
				cmd := exec.Command("go", "build", "-trimpath", "-buildmode="+mode, "-ldflags", tc.flags, "-o", out, "./testdata/stamped")
				cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
				if b, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("go build: %v: %s", err, b)
				}
				f, err := os.Open(out)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				if got, err := tc.read(f); err != nil || got != tc.want {
					t.Fatalf("version %q, %v; want %q", got, err, tc.want)
				}
			})
		}
	}
}

// FuzzELFStrings: a corrupt binary is an error, never a panic or a hang.
func FuzzELFStrings(f *testing.F) {
	exe, err := os.Executable()
	if err != nil {
		f.Fatal(err)
	}
	data, err := os.ReadFile(exe)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data[:4096])
	f.Add([]byte("\x7fELF\x02\x01\x01"))
	f.Add(nodeimage.KubeBinary("amd64", false, "v1.30.2"))
	f.Add(nodeimage.KubeBinary("arm64", true, "v1.30.2"))
	f.Fuzz(func(t *testing.T, b []byte) {
		elfStrings(bytes.NewReader(b))
	})
}

// TestVersionsFromTheStandInsBinaries: both architectures' relocations are followed.
func TestVersionsFromTheStandInsBinaries(t *testing.T) {
	t.Parallel()
	for _, arch := range []string{"amd64", "arm64"} {
		for _, pie := range []bool{false, true} {
			got, err := kubernetesVersion(bytes.NewReader(nodeimage.KubeBinary(arch, pie, "v1.31.1+vmware.2")))
			if err != nil || got != "v1.31.1+vmware.2" {
				t.Errorf("%s pie=%v: %q, %v", arch, pie, got, err)
			}
		}
	}
}
