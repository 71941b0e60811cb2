package grid

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/testutil/golden"
)

// TestErrors loads each bad declaration in testdata/errors and checks the error it gives
// against the "# want: " first line of the file.
func TestErrors(t *testing.T) {
	files, err := filepath.Glob("testdata/errors/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no error fixtures: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			t.Parallel()
			want := firstLineWant(t, file)
			_, err := Load(file)
			if err == nil {
				t.Fatalf("Load(%s) succeeded; want an error containing %q", file, want)
			}
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Load(%s) error:\n%v\nwant it to contain:\n%s", file, err, want)
			}
		})
	}
}

func firstLineWant(t *testing.T, file string) string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	s.Scan()
	want, ok := strings.CutPrefix(s.Text(), "# want: ")
	if !ok {
		t.Fatalf("%s: first line must be '# want: <error substring>'", file)
	}
	return want
}

// TestShippedGrid expands matrices/ and compares the cells with a golden file.
func TestShippedGrid(t *testing.T) {
	t.Chdir("../..")
	cells, err := Load("matrices")
	if err != nil {
		t.Fatalf("the shipped grid does not load:\n%v", err)
	}
	cellsJSON, err := json.MarshalIndent(cells, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "internal/grid/testdata/shipped-grid.golden.json", string(cellsJSON)+"\n")

	count := map[string]map[string]int{}
	for _, c := range cells {
		if count[c.Infra] == nil {
			count[c.Infra] = map[string]int{}
		}
		count[c.Infra][c.OS.ID]++
	}
	want := map[string]map[string]int{
		"vsphere": {"ubuntu-2204": 3, "photon-5": 3, "rhel-8": 3, "windows-2019": 3},
		"aws":     {"ubuntu-2204": 3, "amazon-2": 3},
		"azure":   {"ubuntu-2204": 3},
	}
	got, _ := json.Marshal(count)
	wantJSON, _ := json.Marshal(want)
	if string(got) != string(wantJSON) {
		t.Errorf("shipped grid cells per infra and OS = %s, want %s", got, wantJSON)
	}
}

func TestMultiFileGrid(t *testing.T) {
	cells, err := Load("testdata/multi")
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]record.Cell{}
	var ids []string
	for _, c := range cells {
		byID[c.ID] = c
		ids = append(ids, c.ID)
	}
	wantIDs := []string{
		"aws-amazon-2023-amd64-v1.29.9", "aws-amazon-2023-amd64-v1.30.5", "aws-amazon-2023-amd64-v1.31.1",
		"aws-ubuntu-2204-amd64-v1.29.9", "aws-ubuntu-2204-amd64-v1.30.5", "aws-ubuntu-2204-amd64-v1.31.1",
		"aws-ubuntu-2204-arm64-v1.29.9", "aws-ubuntu-2204-arm64-v1.30.5", "aws-ubuntu-2204-arm64-v1.31.1",
		"vsphere-rhel-9-amd64-v1.30.5", "vsphere-rhel-9-amd64-v1.31.1",
		"vsphere-ubuntu-2204-amd64-v1.29.9", "vsphere-ubuntu-2204-amd64-v1.30.5", "vsphere-ubuntu-2204-amd64-v1.31.1",
		"vsphere-ubuntu-2404-amd64-v1.30.5", "vsphere-ubuntu-2404-amd64-v1.31.1",
	}
	if !slices.Equal(ids, wantIDs) {
		t.Fatalf("cells:\n%s\nwant:\n%s", strings.Join(ids, "\n"), strings.Join(wantIDs, "\n"))
	}

	tests := []struct {
		id    string
		check func(record.Cell) bool
		what  string
	}{
		{"aws-ubuntu-2204-arm64-v1.31.1", func(c record.Cell) bool { return c.Target.Build == "build-ami-ubuntu-2204-arm64" }, "arm64 target"},
		{"aws-ubuntu-2204-amd64-v1.31.1", func(c record.Cell) bool {
			return c.ReplacesDefault && len(c.VarFiles) == 1 && c.VarFiles[0].Path == "testdata/multi/vars/hardening.json"
		}, "hardening var file and replacesDefault for >= 1.31"},
		{"aws-ubuntu-2204-amd64-v1.30.5", func(c record.Cell) bool { return !c.ReplacesDefault && len(c.VarFiles) == 0 }, "no settings for 1.30"},
		{"aws-amazon-2023-amd64-v1.29.9", func(c record.Cell) bool {
			return slices.Equal(c.Publish.AWS.Regions, []string{"us-east-1", "eu-west-1"}) && c.Publish.VSphere == nil
		}, "AWS regions, no vSphere hints"},
		{"vsphere-rhel-9-amd64-v1.31.1", func(c record.Cell) bool {
			return c.Vars["redhat_subscription"] == "yes" && c.Publish.VSphere.Datacenter == "DC0" && c.Grid == "fleet" &&
				slices.Equal(c.Sources, []string{"testdata/multi/10-builders.yaml", "testdata/multi/20-vsphere.yaml", "testdata/multi/vars/rhel.json"})
		}, "include rule with settings and sources"},
		{"vsphere-ubuntu-2204-amd64-v1.29.9", func(c record.Cell) bool {
			return c.Kubernetes.Series == "v1.29" && c.Kubernetes.DebVersion == "1.29.9-1.1" && c.Kubernetes.RPMVersion == "1.29.9" &&
				c.OS.Name == "ubuntu" && c.OS.Version == "22.04" && c.ImageBuilder.Version == "v0.1.55" && c.ImageBuilder.Flavor == "upstream"
		}, "derived Kubernetes, OS and Image Builder fields"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			c, ok := byID[tt.id]
			if !ok {
				t.Fatalf("no cell %s", tt.id)
			}
			if !tt.check(c) {
				got, _ := json.MarshalIndent(c, "", "  ")
				t.Errorf("%s: check %q failed on:\n%s", tt.id, tt.what, got)
			}
		})
	}
}

func TestSameCellTwiceNamesBothPlaces(t *testing.T) {
	_, err := Load("testdata/dup")
	want := "testdata/dup/b.yaml:6:9: cell vsphere-ubuntu-2204-amd64-v1.30.2 declared twice: also at testdata/dup/a.yaml:8:18"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Load(testdata/dup) = %v; want an error containing %q", err, want)
	}
}

func TestAllErrorsReportedAtOnce(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "g.yaml"), `apiVersion: imagegrid.io/v1alpha1
kind: Grid
colour: blue
kubernetes:
  - version: "1.30"
  - version: v1.29.1
    flavour: tkg
`)
	_, err := Load(filepath.Join(dir, "g.yaml"))
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{":3:1: colour: unknown key", ":5:14: kubernetes[0].version", ":7:5: kubernetes[1].flavour: unknown key"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCellsInVersionOrder(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "g.yaml"), `apiVersion: imagegrid.io/v1alpha1
kind: Grid
imageBuilders:
  ib: {image: "x:v0.1.55", targets: {aws: [ubuntu-2204]}}
kubernetes:
  - version: v1.10.0
  - version: v1.9.11
  - version: v1.30.2
infrastructures:
  aws: {os: [ubuntu-2204]}
`)
	cells, err := Load(filepath.Join(dir, "g.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cells {
		got = append(got, c.Kubernetes.Semver)
	}
	if want := []string{"v1.9.11", "v1.10.0", "v1.30.2"}; !slices.Equal(got, want) {
		t.Errorf("cells in order %v, want %v", got, want)
	}
}
