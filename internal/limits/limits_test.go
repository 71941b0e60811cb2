package limits

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func TestLimits(t *testing.T) {
	t.Parallel()
	l := Limit{What: "a test file", Bytes: 8}
	tests := []struct {
		size int
		err  string
	}{
		{size: 0},
		{size: 8},
		{size: 9, err: "x.txt is larger than 8 bytes, the limit for a test file (see docs/security.md)"},
		{size: 1 << 20, err: "x.txt is larger than 8 bytes"},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		data := bytes.Repeat([]byte("a"), tt.size)
		path := filepath.Join(dir, "x.txt")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		reads := map[string]func() ([]byte, error){
			"Read":     func() ([]byte, error) { return l.Read(bytes.NewReader(data), "x.txt") },
			"ReadFile": func() ([]byte, error) { return l.ReadFile(path) },
			"ReadFS":   func() ([]byte, error) { return l.ReadFS(fstest.MapFS{"x": {Data: data}}, "x", "x.txt") },
		}
		for name, read := range reads {
			got, err := read()
			switch {
			case tt.err == "" && (err != nil || len(got) != tt.size):
				t.Errorf("%s of %d bytes = %d bytes, %v", name, tt.size, len(got), err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("%s of %d bytes: error %v, want %q", name, tt.size, err, tt.err)
			}
		}
	}
	if _, err := l.ReadFS(fstest.MapFS{}, "gone", "dir/gone"); err == nil || err.Error() != "open dir/gone: file does not exist" {
		t.Errorf("ReadFS of a missing file: %v", err)
	}
	if got := VarFile.String(); got != "1 MiB" {
		t.Errorf("VarFile = %s", got)
	}
}
