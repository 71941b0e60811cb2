package publish

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/testutil/testfs"
)

// TestFindRecordsRefusesHostileFolders plants, next to valid records, each thing a records
// folder written by someone else could hold: FindRecords must refuse it before anything is
// published, naming the file and what is wrong.
func TestFindRecordsRefusesHostileFolders(t *testing.T) {
	t.Parallel()
	good, err := os.ReadFile("testdata/records/vsphere-ubuntu-2204-amd64-v1.30.2---vmware.1/build-record.json")
	if err != nil {
		t.Fatal(err)
	}
	// truncated is the good record cut in half; the error points at its end.
	truncated := good[:len(good)/2]
	truncatedLine := bytes.Count(truncated, []byte("\n")) + 1
	truncatedCol := len(truncated) - bytes.LastIndexByte(truncated, '\n')
	const ovaPath = `"path": "output/ubuntu-2204-kube-v1.30.2+vmware.1.ova"`
	const key = "8f2a0c4be7d1935a6e0f4c2b8d7a1e3f5c6b9d0a2e4f6a8c0b1d3e5f7a9c2b4d"
	// edited is the good record with old replaced by new once.
	edited := func(t *testing.T, old, new string) []byte {
		if !strings.Contains(string(good), old) {
			t.Fatalf("the record does not contain %q", old)
		}
		return []byte(strings.Replace(string(good), old, new, 1))
	}
	tests := []struct {
		name string
		// plant writes into the records folder dir (whose "evil" subfolder holds the record
		// under test) and returns the outside folder a link may point at.
		plant func(t *testing.T, dir, outside string)
		want  string
	}{
		{
			name:  "truncated JSON",
			plant: func(t *testing.T, dir, _ string) { write(t, dir, "evil/build-record.json", truncated) },
			want:  fmt.Sprintf("evil/build-record.json: %d:%d: empty or truncated JSON", truncatedLine, truncatedCol),
		},
		{
			name:  "not JSON",
			plant: func(t *testing.T, dir, _ string) { write(t, dir, "evil/notes.json", []byte("# not JSON\n")) },
			want:  "evil/notes.json: 1:1: invalid JSON",
		},
		{
			name:  "empty JSON file",
			plant: func(t *testing.T, dir, _ string) { write(t, dir, "evil/build-record.json", nil) },
			want:  "evil/build-record.json: 1:1: empty or truncated JSON",
		},
		{
			name: "buildKey differs from the cell's",
			plant: func(t *testing.T, dir, _ string) {
				write(t, dir, "evil/build-record.json", edited(t, `"buildKey": "`+key+`",
  "status"`, `"buildKey": "`+strings.Repeat("1", 64)+`",
  "status"`))
			},
			want: "evil/build-record.json: buildKey 1111111111111111111111111111111111111111111111111111111111111111 differs from cell.buildKey " + key,
		},
		{
			name: "cell id unsafe as a file name",
			plant: func(t *testing.T, dir, _ string) {
				write(t, dir, "evil/build-record.json", edited(t, `"id": "vsphere-ubuntu-2204-amd64-v1.30.2---vmware.1"`, `"id": "../../etc/cron.d/x"`))
			},
			want: `evil/build-record.json: cell id "../../etc/cron.d/x": want lower-case letters`,
		},
		{
			name: "OVA path with dot-dot",
			plant: func(t *testing.T, dir, _ string) {
				write(t, dir, "evil/build-record.json", edited(t, ovaPath, `"path": "../../../secrets/x.ova"`))
			},
			want: `evil/build-record.json: artifacts.ova.path "../../../secrets/x.ova": want a path relative to the record's folder, inside it`,
		},
		{
			name: "OVA path with dot-dot that stays inside",
			plant: func(t *testing.T, dir, _ string) {
				write(t, dir, "evil/build-record.json", edited(t, ovaPath, `"path": "output/../output/ubuntu-2204-kube-v1.30.2+vmware.1.ova"`))
			},
			want: `artifacts.ova.path "output/../output/ubuntu-2204-kube-v1.30.2+vmware.1.ova": want a path relative to the record's folder, inside it (no "..", not absolute)`,
		},
		{
			name: "absolute OVA path",
			plant: func(t *testing.T, dir, _ string) {
				write(t, dir, "evil/build-record.json", edited(t, ovaPath, `"path": "/srv/images/x.ova"`))
			},
			want: `artifacts.ova.path "/srv/images/x.ova": want a path relative to the record's folder`,
		},
		{
			name: "OVA folder is a link out",
			plant: func(t *testing.T, dir, outside string) {
				write(t, dir, "evil/build-record.json", good)
				testfs.Symlink(t, outside, filepath.Join(dir, "evil", "output"))
			},
			want: "evil/output is a symbolic link; publish reads the OVA through no link",
		},
		{
			name: "OVA is a link out",
			plant: func(t *testing.T, dir, outside string) {
				write(t, dir, "evil/build-record.json", good)
				testfs.Symlink(t, filepath.Join(outside, "x.ova"), filepath.Join(dir, "evil", "output", "ubuntu-2204-kube-v1.30.2+vmware.1.ova"))
			},
			want: "evil/output/ubuntu-2204-kube-v1.30.2+vmware.1.ova is a symbolic link",
		},
		{
			name: "record is a link",
			plant: func(t *testing.T, dir, outside string) {
				write(t, outside, "build-record.json", good)
				testfs.Symlink(t, filepath.Join(outside, "build-record.json"), filepath.Join(dir, "evil", "build-record.json"))
			},
			want: "evil/build-record.json is not a regular file",
		},
		{
			name: "record past the size limit",
			plant: func(t *testing.T, dir, _ string) {
				write(t, dir, "evil/build-record.json", append(edited(t, `"attempts": 1,`, `"attempts": 1,`+strings.Repeat(" ", 16<<20)), '\n'))
			},
			want: "evil/build-record.json is larger than 16 MiB, the limit for a record (cells, build or publish record)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir, outside := t.TempDir(), t.TempDir()
			write(t, dir, "good/build-record.json", good)
			if err := os.MkdirAll(filepath.Join(dir, "evil"), 0o755); err != nil {
				t.Fatal(err)
			}
			tt.plant(t, dir, outside)
			jobs, err := FindRecords(dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("FindRecords = %d jobs, error %v\nwant an error containing %q", len(jobs), err, tt.want)
			}
		})
	}
}

func write(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
