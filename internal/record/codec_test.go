package record

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"unknown field", `{"apiVersion":"imagegrid.io/v1alpha1","kind":"Cell","id":"x","colour":"red"}`, `cell.json: unknown field "colour"`},
		{"wrong type", "{\"apiVersion\":\"imagegrid.io/v1alpha1\",\n\"id\": 42}", `cell.json: 2:7: field "id": got JSON number, want string`},
		{"string for bool", "{\"apiVersion\":\"imagegrid.io/v1alpha1\",\n\"replacesDefault\": \"yes, \\\"really\\\"\"}", `cell.json: 2:20: field "replacesDefault": got JSON string, want bool`},
		{"syntax", "{\"id\": \"x\",\n  oops}", `cell.json: 2:3: invalid JSON: invalid character 'o'`},
		{"truncated", `{"id": "x"`, "cell.json: empty or truncated JSON"},
		{"empty", ``, "cell.json: empty or truncated JSON"},
		{"trailing data", `{"apiVersion":"imagegrid.io/v1alpha1","kind":"Cell"} {}`, "cell.json:1:54: unexpected data after the Cell object"},
		{"wrong apiVersion", `{"apiVersion":"imagegrid.io/v2","kind":"Cell"}`, `cell.json: apiVersion "imagegrid.io/v2" is not supported; want "imagegrid.io/v1alpha1"`},
		{"wrong kind", `{"apiVersion":"imagegrid.io/v1alpha1","kind":"BuildRecord"}`, `cell.json: kind "BuildRecord"; want "Cell"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode[Cell]("cell.json", []byte(tt.data), KindCell)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Decode = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestDecodeKeyMismatch: a build or publish record whose buildKey is not its cell's is
// refused by the decoder, naming the file and both keys; one that agrees is read.
func TestDecodeKeyMismatch(t *testing.T) {
	const cellKey, otherKey = "aaaa", "bbbb"
	tests := []struct {
		name, kind, key, want string
	}{
		{"build record, other key", KindBuildRecord, otherKey, "r.json: buildKey bbbb differs from cell.buildKey aaaa: a record carries its cell's key"},
		{"build record, no key", KindBuildRecord, "", "r.json: buildKey  differs from cell.buildKey aaaa"},
		{"build record, same key", KindBuildRecord, cellKey, ""},
		{"publish record, other key", KindPublishRecord, otherKey, "r.json: buildKey bbbb differs from cell.buildKey aaaa"},
		{"publish record, same key", KindPublishRecord, cellKey, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := fmt.Sprintf(`{"apiVersion":%q,"kind":%q,"cell":{"id":"c","buildKey":%q},"buildKey":%q}`, APIVersion, tt.kind, cellKey, tt.key)
			var err error
			var key string
			if tt.kind == KindBuildRecord {
				var r BuildRecord
				r, err = Decode[BuildRecord]("r.json", []byte(data), tt.kind)
				key = r.Key()
			} else {
				var r PublishRecord
				r, err = Decode[PublishRecord]("r.json", []byte(data), tt.kind)
				key = r.Key()
			}
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Decode: %v", err)
			case tt.want == "" && key != cellKey:
				t.Errorf("Key() = %q, want the cell's %q", key, cellKey)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Decode = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestWriteThenRead(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "records", "b.json")
	key := strings.Repeat("ab", 32)
	in := BuildRecord{
		APIVersion: APIVersion, Kind: KindBuildRecord, BuildKey: key, Status: BuildSucceeded,
		Started: time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC), Finished: time.Date(2026, 11, 27, 1, 40, 0, 0, time.UTC),
		Cell:      Cell{APIVersion: APIVersion, Kind: KindCell, ID: "vsphere-ubuntu-2204-amd64-v1.30.2", Infra: InfraVSphere, BuildKey: key},
		Artifacts: Artifacts{OVA: &OVAArtifact{Path: "output/x.ova", Size: 42, Properties: map[string]string{"VERSION": "v1.30.2-abc"}}},
	}
	if err := WriteFile(path, in); err != nil {
		t.Fatal(err)
	}
	out, err := ReadFile[BuildRecord](path, KindBuildRecord)
	if err != nil {
		t.Fatal(err)
	}
	if out.Cell.ID != in.Cell.ID || out.Artifacts.OVA.Properties["VERSION"] != "v1.30.2-abc" || !out.Finished.Equal(in.Finished) {
		t.Errorf("round trip lost data: %+v", out)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	if _, err := ReadFile[Cell](path, KindCell); err == nil || !strings.Contains(err.Error(), `unknown field "cell"`) {
		t.Errorf("reading a build record as a cell: %v", err)
	}
}

func TestShortKey(t *testing.T) {
	if got := (Cell{BuildKey: "0123456789abcdef"}).ShortKey(); got != "0123456789ab" {
		t.Errorf("ShortKey = %q", got)
	}
	if got := (Cell{BuildKey: "0123"}).ShortKey(); got != "0123" {
		t.Errorf("ShortKey of a short key = %q", got)
	}
}

// TestOVAManifestDigestIsOptional decodes build records written before and after the OVA
// artifact gained manifestSha256: the field is optional within v1alpha1 (older records still
// decode, with the field empty) and is left out of the JSON when empty.
func TestOVAManifestDigestIsOptional(t *testing.T) {
	const head = `{"apiVersion":"imagegrid.io/v1alpha1","kind":"BuildRecord","cell":{"buildKey":"k"},"buildKey":"k","artifacts":{"ova":`
	tests := []struct {
		name, ova, want string
	}{
		{"older record", `{"path":"x.ova","size":1,"sha256":"aa","properties":{}}`, ""},
		{"with the manifest's digest", `{"path":"x.ova","size":1,"sha256":"aa","manifestSha256":"bb","properties":{}}`, "bb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := head + tt.ova + "}}"
			r, err := Decode[BuildRecord]("r.json", []byte(data), KindBuildRecord)
			if err != nil {
				t.Fatal(err)
			}
			if r.Artifacts.OVA.ManifestSHA256 != tt.want {
				t.Errorf("ManifestSHA256 = %q, want %q", r.Artifacts.OVA.ManifestSHA256, tt.want)
			}
			out, err := json.Marshal(r.Artifacts.OVA)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(string(out), "manifestSha256"); got != (tt.want != "") {
				t.Errorf("encoded %s: manifestSha256 present %t, want %t", out, got, tt.want != "")
			}
		})
	}
}
