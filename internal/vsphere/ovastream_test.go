package vsphere

import (
	"archive/tar"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTar writes members (name → content) in order into a tar file.
func writeTar(t *testing.T, members [][2]string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "x.ova")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	for _, m := range members {
		if err := tw.WriteHeader(&tar.Header{Name: m[0], Mode: 0o644, Size: int64(len(m[1])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(m[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestOVAStreamRefusesUnsafeMembers(t *testing.T) {
	tests := []struct {
		name    string
		members [][2]string
		want    string
	}{
		{"dot-dot disk", [][2]string{{"node.ovf", "<Envelope/>"}, {"../node-disk-0.vmdk", "x"}}, `contains ".."`},
		{"absolute descriptor", [][2]string{{"/etc/node.ovf", "<Envelope/>"}}, "absolute path"},
		{"descriptor not first", [][2]string{{"node.mf", "x"}, {"node.ovf", "<Envelope/>"}}, "first tar member is"},
		{"empty", nil, "holds no member"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := openOVA(writeTar(t, tt.members))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			_, err = s.descriptor()
			if err == nil {
				_, _, err = s.member("node-disk-0.vmdk")
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
