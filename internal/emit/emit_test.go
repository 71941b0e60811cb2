package emit

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"

	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/selection"
)

func makeCells(n int) []record.Cell {
	cells := make([]record.Cell, n)
	for i := range cells {
		cells[i] = record.Cell{ID: fmt.Sprintf("vsphere-ubuntu-2204-amd64-v1.%d.0", i), Name: fmt.Sprintf("cell %d", i), BuildKey: strings.Repeat("a", 64)}
	}
	return cells
}

func TestShard(t *testing.T) {
	tests := []struct {
		cells, maxCells, maxShards int
		sizes                      []int
		err                        string
	}{
		{0, 256, 4, []int{}, ""},
		{1, 256, 4, []int{1}, ""},
		{256, 256, 4, []int{256}, ""},
		{257, 256, 4, []int{129, 128}, ""},
		{600, 256, 4, []int{200, 200, 200}, ""},
		{10, 3, 4, []int{3, 3, 2, 2}, ""},
		{1025, 256, 4, nil, "1025 cells need 5 shards of at most 256 cells, more than --max-shards 4"},
		{1, 257, 4, nil, "--max-cells 257: want 1 to 256"},
		{1, 0, 4, nil, "--max-cells 0: want 1 to 256"},
		{1, 256, 0, nil, "--max-shards 0: want at least 1"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d/%d/%d", tt.cells, tt.maxCells, tt.maxShards), func(t *testing.T) {
			cells := makeCells(tt.cells)
			shards, err := Shard(cells, tt.maxCells, tt.maxShards)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Shard error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			sizes := []int{}
			var order []string
			for _, s := range shards {
				sizes = append(sizes, len(s.Include))
				for _, e := range s.Include {
					order = append(order, e.ID)
					if e.Cell.ID != e.ID || e.Name != e.Cell.Name {
						t.Errorf("entry %s does not carry its cell", e.ID)
					}
				}
			}
			if fmt.Sprint(sizes) != fmt.Sprint(tt.sizes) {
				t.Errorf("shard sizes %v, want %v", sizes, tt.sizes)
			}
			for i, c := range cells {
				if order[i] != c.ID {
					t.Fatalf("cell %d is %s in the shards, want %s (no cell dropped, order kept)", i, order[i], c.ID)
				}
			}
		})
	}
}

func TestGitHubOutputs(t *testing.T) {
	var p selection.Selection
	for _, c := range makeCells(600) {
		p.Build = append(p.Build, selection.Decision{Cell: c, Reason: "selected"})
	}
	p.Skipped = []selection.Decision{{Cell: makeCells(1)[0], Reason: "already published"}}
	outs, err := GitHubOutputs(p, 256, 4, false)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, o := range outs {
		got[o.Name] = o.Value
	}
	if got["count"] != "600" || got["skipped"] != "1" || got["shards"] != "3" {
		t.Errorf("count=%s skipped=%s shards=%s, want 600, 1, 3", got["count"], got["skipped"], got["shards"])
	}
	for i, want := range []int{200, 200, 200, 0} {
		var m Matrix
		if err := json.Unmarshal([]byte(got[fmt.Sprintf("matrix-%d", i)]), &m); err != nil {
			t.Fatalf("matrix-%d: %v", i, err)
		}
		if len(m.Include) != want || m.Include == nil {
			t.Errorf("matrix-%d has %d entries (nil: %v), want %d", i, len(m.Include), m.Include == nil, want)
		}
	}
}

func TestGitHubOutputsSizeLimit(t *testing.T) {
	var p selection.Selection
	for _, c := range makeCells(1000) {
		c.Sources = []string{strings.Repeat("matrices/long/path/", 60)}
		p.Build = append(p.Build, selection.Decision{Cell: c})
	}
	_, err := GitHubOutputs(p, 256, 4, false)
	if err == nil || !strings.Contains(err.Error(), "over GitHub's 1000000-byte limit") {
		t.Fatalf("GitHubOutputs = %v, want the output limit error", err)
	}
}

func TestTableAndSummary(t *testing.T) {
	c := makeCells(2)
	c[0].Kubernetes.Semver, c[0].Target.Build = "v1.30.2", "build-ami-ubuntu-2204"
	p := selection.Selection{
		Build:   []selection.Decision{{Cell: c[0], Reason: "not published with build key aaaaaaaaaaaa"}},
		Skipped: []selection.Decision{{Cell: c[1], Reason: "not selected by --only infra=aws|x"}},
	}
	var b strings.Builder
	if err := Write(NewTable(&b), p); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CELL", c[0].ID, "build-ami-ubuntu-2204", "aaaaaaaaaaaa", "SKIPPED", c[1].ID, "not selected", "1 cell to build, 1 skipped"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
	s := Summary(p)
	if !strings.Contains(s, `infra=aws\|x`) || !strings.Contains(s, "<summary>1 skipped</summary>") {
		t.Errorf("summary:\n%s", s)
	}
	if got := Total(0, len(p.Skipped)); got != "nothing to build: 1 cell skipped" {
		t.Errorf("Total = %q", got)
	}
}

// TestGitHubOutputsByNeeds puts each cell in the shards of the build jobs that hold what its
// infrastructure needs, under the same per-shard cap, and leaves the other matrices empty.
func TestGitHubOutputsByNeeds(t *testing.T) {
	selected := func(vsphere, aws, azure int) selection.Selection {
		var p selection.Selection
		for infra, n := range map[string]int{record.InfraVSphere: vsphere, record.InfraAWS: aws, record.InfraAzure: azure} {
			for _, c := range makeCells(n) {
				c.Infra, c.ID = infra, infra+"-"+c.ID
				p.Build = append(p.Build, selection.Decision{Cell: c})
			}
		}
		return p
	}
	tests := []struct {
		name             string
		vsphere, aws, az int
		maxCells         int
		byNeeds          bool
		want             map[string][]int // output family → its shard sizes
		err              string
	}{
		{"one family", 3, 2, 0, 256, false, map[string][]int{"": {5}, "vsphere-": {}, "oidc-": {}}, ""},
		{"by needs", 3, 2, 1, 256, true, map[string][]int{"": {}, "vsphere-": {3}, "oidc-": {3}}, ""},
		{"vsphere only", 300, 0, 0, 256, true, map[string][]int{"": {}, "vsphere-": {150, 150}, "oidc-": {}}, ""},
		{"cap per shard", 2, 7, 0, 2, true, map[string][]int{"": {}, "vsphere-": {2}, "oidc-": {2, 2, 2, 1}}, ""},
		{"too many shards", 0, 9, 0, 2, false, nil, "9 cells need 5 shards"},
		{"too many shards in a group", 1, 9, 0, 2, true, nil, "oidc-build jobs: 9 cells need 5 shards"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			outs, err := GitHubOutputs(selected(tt.vsphere, tt.aws, tt.az), tt.maxCells, 4, tt.byNeeds)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("GitHubOutputs error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			var names []string
			for _, o := range outs {
				got[o.Name] = o.Value
				names = append(names, o.Name)
			}
			if fmt.Sprint(names) != fmt.Sprint(OutputNames(4)) {
				t.Errorf("outputs %v, want %v", names, OutputNames(4))
			}
			total := 0
			for prefix, sizes := range tt.want {
				total += len(sizes)
				if prefix != "" && got[prefix+"shards"] != fmt.Sprint(len(sizes)) {
					t.Errorf("%sshards = %s, want %d", prefix, got[prefix+"shards"], len(sizes))
				}
				for i := range 4 {
					var m Matrix
					if err := json.Unmarshal([]byte(got[fmt.Sprintf("%smatrix-%d", prefix, i)]), &m); err != nil {
						t.Fatalf("%smatrix-%d: %v", prefix, i, err)
					}
					want := 0
					if i < len(sizes) {
						want = sizes[i]
					}
					if len(m.Include) != want {
						t.Errorf("%smatrix-%d has %d cells, want %d", prefix, i, len(m.Include), want)
					}
					for _, e := range m.Include {
						if g := groupOf[e.Cell.Infra]; tt.byNeeds && g+"-" != prefix {
							t.Errorf("%s cell %s in %smatrix-%d", e.Cell.Infra, e.ID, prefix, i)
						}
					}
				}
			}
			if got["shards"] != fmt.Sprint(total) {
				t.Errorf("shards = %s, want %d (every shard)", got["shards"], total)
			}
		})
	}
}

// TestEveryInfrastructureHasAGroup: a cell of an infrastructure the table misses could not be
// built by any job of a workflow that splits by needs.
func TestEveryInfrastructureHasAGroup(t *testing.T) {
	for _, infra := range []string{record.InfraVSphere, record.InfraAWS, record.InfraAzure} {
		if g, ok := groupOf[infra]; !ok || !slices.Contains(groups, g) {
			t.Errorf("infrastructure %s has group %q, want one of %v", infra, g, groups)
		}
	}
	if groupOf[record.InfraVSphere] == groupOf[record.InfraAWS] {
		t.Error("vSphere and AWS legs share a group: one would hold the other's credentials")
	}
}

// TestTableAlignsAsTabwriter: the table is the one text/tabwriter writes from the same rows
// (as NewTable wrote it before it aligned the columns itself), for plans of every shape and
// for reasons that tabwriter reads as more cells, more lines or controls.
func TestTableAlignsAsTabwriter(t *testing.T) {
	cells := makeCells(4)
	cells[0].ID = "vsphere-ubuntu-2204-amd64-v1.30.2---vmware.1"
	cells[1].Kubernetes.TKr = "v1.29.6+vmware.1-tkg.2"
	cells[3].ID = "vsphere-größe-ünïcödé-v1.31.0---vmware.1-widest" // the widest, wider in bytes than in characters
	for i := range cells {
		cells[i].Kubernetes.Semver, cells[i].Target.Build = fmt.Sprintf("v1.%d.0", 28+i), "build-node-ova-vsphere-ubuntu-2204"[:20+3*i]
	}
	decide := func(reasons ...string) []selection.Decision {
		var ds []selection.Decision
		for i, r := range reasons {
			ds = append(ds, selection.Decision{Cell: cells[i], Reason: r})
		}
		return ds
	}
	for _, tc := range []struct {
		name string
		p    selection.Selection
	}{
		{"empty", selection.Selection{}},
		{"built only", selection.Selection{Build: decide("selected", "changed: matrices/grid.yaml", "not published", "")}},
		{"skipped only", selection.Selection{Skipped: decide("published 3d ago", "not selected by --only os=photon-5")}},
		{"both", selection.Selection{Build: decide("selected", "changed"), Skipped: decide("", "published with build key aaaaaaaaaaaa")}},
		{"wide characters", selection.Selection{Build: decide("changed: matrices/größe.yaml", "selected", "selected", "changed"), Skipped: decide("geändert — ünïcödé", "", "", "x")}},
		{"reason with a tab", selection.Selection{Build: decide("changed: a\tb.yaml", "selected"), Skipped: decide("x\ty\tz", "")}},
		{"reason with a newline", selection.Selection{Build: decide("changed: a\nb", "selected", "selected")}},
		{"reason with controls", selection.Selection{Build: decide("changed: \v\f\xff", "selected")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got strings.Builder
			if err := Write(NewTable(&got), tc.p); err != nil {
				t.Fatal(err)
			}
			if want := tabwriterTable(tc.p); got.String() != want {
				t.Errorf("table:\n%s\nwant (tabwriter):\n%s", got.String(), want)
			}
		})
	}
}

// tabwriterTable is the table as text/tabwriter writes it.
func tabwriterTable(p selection.Selection) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for i, d := range p.Build {
		if i == 0 {
			fmt.Fprintln(tw, "CELL\tKUBERNETES\tTKR\tTARGET\tKEY\tWHY")
		}
		c := d.Cell
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Kubernetes.Semver, cmp.Or(c.Kubernetes.TKr, "-"), c.Target.Build, c.ShortKey(), d.Reason)
	}
	if len(p.Skipped) > 0 {
		if len(p.Build) > 0 {
			fmt.Fprintln(tw)
		}
		fmt.Fprintln(tw, "SKIPPED\tKEY\tWHY")
		for _, d := range p.Skipped {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", d.Cell.ID, d.Cell.ShortKey(), d.Reason)
		}
	}
	tw.Flush()
	return b.String() + Total(len(p.Build), len(p.Skipped)) + "\n"
}
