package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/testutil/golden"
)

func TestRender(t *testing.T) {
	f, err := os.Open("testdata/reuse.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines, err := parse(f)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(lines["BenchmarkReuseLookup"]); n != 3 {
		t.Fatalf("%d rounds of BenchmarkReuseLookup; want 3, the one split by a log line included", n)
	}
	var reuse []row
	for _, r := range rows {
		if r.bench == "ReuseLookup" {
			reuse = append(reuse, r)
		}
	}
	inv := &invocation{args: []string{"test", "./cmd/publish"}, loadBefore: "1.00 2.00 3.00", loadAfter: "1.50 2.00 3.00", lines: lines}
	table, err := render(reuse, map[string]*invocation{"./cmd/publish ReuseLookup": inv})
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "reuse.golden.md"), table)
}

func TestRenderNamesWhatIsMissing(t *testing.T) {
	lines, err := parse(strings.NewReader("BenchmarkCopyAMI-2   	       1	 19740359525 ns/op	 9.385 1-region-s\n"))
	if err != nil {
		t.Fatal(err)
	}
	inv := &invocation{args: []string{"test"}, lines: lines}
	_, err = render(rows[:1], map[string]*invocation{"./internal/aws CopyAMI": inv})
	if err == nil || !strings.Contains(err.Error(), `BenchmarkCopyAMI round 1: no metric "15-regions-s"`) {
		t.Errorf("error = %v; want the missing metric named", err)
	}
}

func TestSpread(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want spread
	}{
		{[]float64{3}, spread{3, 3, 3}},
		{[]float64{5, 1, 3}, spread{1, 3, 5}},
		{[]float64{4, 1, 3, 2}, spread{1, 2.5, 4}},
	} {
		if got := spreadOf(tc.in); got != tc.want {
			t.Errorf("spreadOf(%v) = %+v; want %+v", tc.in, got, tc.want)
		}
	}
}
