package selection

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imagegrid/imagegrid/internal/record"
)

func cell(id, infra, osID, arch, semver, key string, sources ...string) record.Cell {
	series := semver[:strings.LastIndex(semver, ".")]
	return record.Cell{ID: id, Infra: infra, OS: record.OS{ID: osID, Arch: arch},
		Kubernetes: record.Kubernetes{Semver: semver, Series: series}, BuildKey: key, Sources: sources}
}

var cells = []record.Cell{
	cell("aws-ubuntu-2204-amd64-v1.30.2", "aws", "ubuntu-2204", "amd64", "v1.30.2", strings.Repeat("1", 64), "matrices/tkg.yaml", "matrices/customisations/hardening.json"),
	cell("aws-amazon-2-amd64-v1.30.2", "aws", "amazon-2", "amd64", "v1.30.2", strings.Repeat("3", 64), "matrices/tkg.yaml"),
	cell("vsphere-ubuntu-2204-amd64-v1.30.2", "vsphere", "ubuntu-2204", "amd64", "v1.30.2", strings.Repeat("2", 64), "matrices/tkg.yaml", "matrices/customisations/hardening.json"),
	cell("vsphere-photon-5-amd64-v1.29.6", "vsphere", "photon-5", "amd64", "v1.29.6", strings.Repeat("4", 64), "matrices/vsphere.yaml", "matrices/roles/hardening/"),
}

func ids(ds []Decision) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Cell.ID)
	}
	return out
}

func TestOnly(t *testing.T) {
	tests := []struct {
		filters []string
		want    []string
	}{
		{nil, ids(Select(cells).Build)},
		{[]string{"infra=aws"}, []string{"aws-ubuntu-2204-amd64-v1.30.2", "aws-amazon-2-amd64-v1.30.2"}},
		{[]string{"infra=aws,os=ubuntu-2204"}, []string{"aws-ubuntu-2204-amd64-v1.30.2"}},
		{[]string{"os=amazon-2,os=photon-5"}, []string{"aws-amazon-2-amd64-v1.30.2", "vsphere-photon-5-amd64-v1.29.6"}},
		{[]string{"kubernetes=1.29"}, []string{"vsphere-photon-5-amd64-v1.29.6"}},
		{[]string{"kubernetes=v1.30.2", "id=vsphere-photon-5-amd64-v1.29.6"}, []string{"aws-ubuntu-2204-amd64-v1.30.2", "aws-amazon-2-amd64-v1.30.2", "vsphere-ubuntu-2204-amd64-v1.30.2", "vsphere-photon-5-amd64-v1.29.6"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.filters, " "), func(t *testing.T) {
			sel, err := Only(tt.filters)
			if err != nil {
				t.Fatal(err)
			}
			p := Select(cells, sel)
			if got := ids(p.Build); !slices.Equal(got, tt.want) {
				t.Errorf("built %v, want %v", got, tt.want)
			}
			if len(p.Build)+len(p.Skipped) != len(cells) {
				t.Errorf("cells lost: %d built + %d skipped of %d", len(p.Build), len(p.Skipped), len(cells))
			}
			for _, d := range p.Skipped {
				if !strings.HasPrefix(d.Reason, "not selected by --only") {
					t.Errorf("skip reason %q", d.Reason)
				}
			}
		})
	}
}

func TestOnlyRejectsBadFilters(t *testing.T) {
	for _, f := range []string{"infra", "colour=red", "os=", "infra=aws,,os=x"} {
		if _, err := Only([]string{f}); err == nil || !strings.Contains(err.Error(), "key of arch, id, infra, kubernetes, os, tkr") {
			t.Errorf("Only(%q) = %v, want an error listing the keys", f, err)
		}
	}
}

func TestChanged(t *testing.T) {
	paths, err := ReadChangedFiles("testdata/changed.txt")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"matrices/customisations/hardening.json", "docs/grid.md"}; !slices.Equal(paths, want) {
		t.Fatalf("ReadChangedFiles = %v, want %v", paths, want)
	}
	p := Select(cells, Changed(paths))
	if got, want := ids(p.Build), []string{"aws-ubuntu-2204-amd64-v1.30.2", "vsphere-ubuntu-2204-amd64-v1.30.2"}; !slices.Equal(got, want) {
		t.Errorf("built %v, want %v", got, want)
	}
	if p.Build[0].Reason != "changed: matrices/customisations/hardening.json" {
		t.Errorf("reason %q", p.Build[0].Reason)
	}
	if p.Skipped[0].Reason != "none of its inputs changed (matrices/tkg.yaml)" {
		t.Errorf("skip reason %q", p.Skipped[0].Reason)
	}

	p = Select(cells, Changed([]string{"matrices/vsphere.yaml"}))
	if got := ids(p.Build); !slices.Equal(got, []string{"vsphere-photon-5-amd64-v1.29.6"}) {
		t.Errorf("a changed grid file selects the cells it declares: built %v", got)
	}

	p = Select(cells, Changed([]string{"matrices/roles/hardening/tasks/main.yml", "matrices/roles/hardening-extra.json"}))
	if got := ids(p.Build); !slices.Equal(got, []string{"vsphere-photon-5-amd64-v1.29.6"}) {
		t.Errorf("a file changed in a role folder selects the cells using the role (and only a file inside it): built %v", got)
	}
}

func TestPublished(t *testing.T) {
	ledger, err := ReadLedger("testdata")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name         string
		rebuildAfter time.Duration
		build        []string
		reasons      map[string]string
	}{
		{"skip published", 0, []string{"aws-amazon-2-amd64-v1.30.2", "vsphere-photon-5-amd64-v1.29.6"}, map[string]string{
			"aws-ubuntu-2204-amd64-v1.30.2":     "already published 7d ago with build key 111111111111",
			"vsphere-ubuntu-2204-amd64-v1.30.2": "already published 87d ago with build key 222222222222",
			"aws-amazon-2-amd64-v1.30.2":        "not published with build key 333333333333",
		}},
		{"rebuild older than 30d", 30 * 24 * time.Hour, []string{"aws-amazon-2-amd64-v1.30.2", "vsphere-ubuntu-2204-amd64-v1.30.2", "vsphere-photon-5-amd64-v1.29.6"}, map[string]string{
			"vsphere-ubuntu-2204-amd64-v1.30.2": "published 87d ago, older than --rebuild-after 30d",
			"aws-ubuntu-2204-amd64-v1.30.2":     "already published 7d ago with build key 111111111111",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Select(cells, Published(ledger, tt.rebuildAfter, now))
			if got := ids(p.Build); !slices.Equal(got, tt.build) {
				t.Errorf("built %v, want %v", got, tt.build)
			}
			for _, d := range append(p.Build, p.Skipped...) {
				if want, ok := tt.reasons[d.Cell.ID]; ok && d.Reason != want {
					t.Errorf("%s: reason %q, want %q", d.Cell.ID, d.Reason, want)
				}
			}
		})
	}
}

func TestReadLedgerErrors(t *testing.T) {
	tests := map[string]string{
		"testdata/unknown-field.json": `testdata/unknown-field.json: unknown field "publishedOn"`,
		"testdata/missing.json":       "no such file",
		"testdata/changed.txt":        "testdata/changed.txt: 1:1: invalid JSON",
	}
	for name, want := range tests {
		if _, err := ReadLedger(name); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ReadLedger(%s) = %v, want an error containing %q", name, err, want)
		}
	}
}

func TestParseAge(t *testing.T) {
	tests := map[string]time.Duration{"30d": 30 * 24 * time.Hour, "2w": 14 * 24 * time.Hour, "36h": 36 * time.Hour, "1.5d": 36 * time.Hour}
	for in, want := range tests {
		if got, err := ParseAge(in); err != nil || got != want {
			t.Errorf("ParseAge(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "thirty days", "-3d", "-1h", "d"} {
		if _, err := ParseAge(bad); err == nil {
			t.Errorf("ParseAge(%q) succeeded", bad)
		}
	}
}

func TestChangedSince(t *testing.T) {
	base := slices.Clone(cells[1:])                                                                            // aws-ubuntu-2204 is new
	base[1].BuildKey = strings.Repeat("9", 64)                                                                 // vsphere-ubuntu-2204's key changed
	base[2].Publish.VSphere = &record.VSphereHints{VSphereTarget: record.VSphereTarget{Folder: "/DC0/vm/old"}} // photon's placement changed
	p := Select(cells, ChangedSince(base))
	want := map[string]string{
		"aws-ubuntu-2204-amd64-v1.30.2":     "new since the base",
		"vsphere-ubuntu-2204-amd64-v1.30.2": "changed since the base: build key 999999999999 → 222222222222",
		"vsphere-photon-5-amd64-v1.29.6":    "changed since the base: publish settings",
	}
	if len(p.Build) != len(want) {
		t.Errorf("built %v, want %d cells", ids(p.Build), len(want))
	}
	for _, d := range p.Build {
		if d.Reason != want[d.Cell.ID] {
			t.Errorf("%s: reason %q, want %q", d.Cell.ID, d.Reason, want[d.Cell.ID])
		}
	}
	if len(p.Skipped) != 1 || p.Skipped[0].Reason != "unchanged since the base" {
		t.Errorf("skipped %+v", p.Skipped)
	}
}
