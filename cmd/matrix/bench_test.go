package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/imagegrid/imagegrid/internal/testutil/peers"
)

// BenchmarkMatrix10k expands a 10,200-cell declaration (1,700 releases × 6 OS) with 200 var
// files and emits the cells as JSON: the whole of matrix but for writing GitHub outputs, which
// GitHub's 1 MB output limit would refuse at this size.
func BenchmarkMatrix10k(b *testing.B) {
	dir := b.TempDir()
	writeGrid(b, dir, 1700, 200)
	args := []string{"--matrices", dir, "--format", "json", "--max-shards", "40"}
	b.ReportAllocs()
	for b.Loop() {
		if err := run(context.Background(), args, io.Discard, io.Discard, env{}.get); err != nil {
			b.Fatal(err)
		}
	}
}

// previousCommit is the last matrix that held every cell in memory and tried every settings
// and exclude rule on every cell: the peer of BenchmarkMatrixProcess.
const previousCommit = "6922386e63f2227debe733b4f47f931bc375909e"

// rounds counts the rounds of the benchmarks in this process (go test -count runs a
// benchmark again in the same process), for peers.Interleave.
var rounds int

// BenchmarkMatrixProcess runs matrix as a whole process, writing a grid's cells as JSON to
// /dev/null, against the previous implementation (previousCommit, its cell limit raised from
// 50,000 to 100,000 so that it accepts the grid), both built before the timer starts, in
// alternating order: wall time, CPU time (user + system) and peak RSS (through GNU time,
// whose own start-up is in both) of each. CPU time is the steadier on a shared machine.
// 100000-cells is 16,666 releases × 6 OS with 200 one-release settings rules, written as
// JSON, and 100000-cells-table the same as a table; 2000-rules is 2,000 releases × 6 OS with
// 2,000 of them. The outputs of both are compared once, outside the timing. Run it with:
//
//	go test ./cmd/matrix -run '^$' -bench MatrixProcess -benchtime 1x -count 5
func BenchmarkMatrixProcess(b *testing.B) {
	if _, err := os.Stat(gnuTime); err != nil {
		b.Fatalf("GNU time measures the peak RSS (apt-get install time): %v", err)
	}
	ours := peers.Command(b, "github.com/imagegrid/imagegrid/cmd/matrix")
	previous := previousMatrix(b)
	for _, size := range []struct {
		name               string
		releases, varFiles int
		format             string
	}{{"100000-cells", 16666, 200, "json"}, {"100000-cells-table", 16666, 200, "table"}, {"2000-rules", 2000, 2000, "json"}} {
		b.Run(size.name, func(b *testing.B) {
			dir := b.TempDir()
			writeGrid(b, dir, size.releases, size.varFiles)
			args := []string{"--matrices", dir, "--format", size.format}
			if a, p := output(b, ours, args), output(b, previous, args); !bytes.Equal(a, p) {
				b.Fatalf("matrix writes %d bytes, the previous one %d: want the same output", len(a), len(p))
			}
			b.ResetTimer()
			for range b.N {
				rounds++
				var ourRun, previousRun usage
				tOurs, tPrevious := peers.Interleave(rounds,
					func() { ourRun = runMatrix(b, ours, args) },
					func() { previousRun = runMatrix(b, previous, args) })
				b.ReportMetric(tOurs.Seconds(), "imagegrid-s")
				b.ReportMetric(tPrevious.Seconds(), "previous-s")
				b.ReportMetric(tOurs.Seconds()/tPrevious.Seconds(), "imagegrid/previous")
				b.ReportMetric(ourRun.cpu, "imagegrid-cpu-s")
				b.ReportMetric(previousRun.cpu, "previous-cpu-s")
				b.ReportMetric(ourRun.cpu/previousRun.cpu, "cpu-imagegrid/previous")
				b.ReportMetric(ourRun.rss, "imagegrid-MiB")
				b.ReportMetric(previousRun.rss, "previous-MiB")
				b.ReportMetric(ourRun.rss/previousRun.rss, "rss-imagegrid/previous")
			}
		})
	}
}

// usage is what a process used: its peak RSS in MiB and its CPU time (user + system) in
// seconds.
type usage struct{ rss, cpu float64 }

// runMatrix runs bin with args, its output to /dev/null, and returns its usage as GNU time
// reads it from wait4: a child this test process started itself would report this process's
// own peak RSS instead, which exec carries over from a vfork.
func runMatrix(b *testing.B, bin string, args []string) usage {
	peak := filepath.Join(b.TempDir(), "peak")
	cmd := exec.Command(gnuTime, append([]string{"-f", "%M %U %S", "-o", peak, bin}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Env = append(os.Environ(), "GITHUB_ACTIONS=", "GITHUB_OUTPUT=")
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s: %v\n%s", bin, err, stderr.String())
	}
	data, err := os.ReadFile(peak)
	if err != nil {
		b.Fatal(err)
	}
	var kib, user, sys float64
	if _, err := fmt.Sscanf(string(data), "%g %g %g", &kib, &user, &sys); err != nil {
		b.Fatalf("GNU time wrote %q, want the peak RSS in KiB, user and system seconds: %v", data, err)
	}
	return usage{rss: kib / 1024, cpu: user + sys}
}

// gnuTime is GNU time (Debian's time package), which reports a command's peak RSS.
const gnuTime = "/usr/bin/time"

// output is what bin writes to stdout with args.
func output(b *testing.B, bin string, args []string) []byte {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "GITHUB_ACTIONS=", "GITHUB_OUTPUT=")
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("%s: %v", bin, err)
	}
	return out
}

// previousMatrix builds cmd/matrix at previousCommit, from this repository's history, with
// its cell limit raised to 100,000, and returns the binary's path.
func previousMatrix(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	archive := exec.Command("git", "archive", "--format=tar", previousCommit)
	archive.Dir = "../.."
	tarball, err := archive.Output()
	if err != nil {
		b.Fatalf("git archive %s: %v", previousCommit, err)
	}
	untar := exec.Command("tar", "-x", "-C", dir)
	untar.Stdin = bytes.NewReader(tarball)
	if out, err := untar.CombinedOutput(); err != nil {
		b.Fatalf("tar: %v\n%s", err, out)
	}
	limits := filepath.Join(dir, "internal", "limits", "limits.go")
	src, err := os.ReadFile(limits)
	if err != nil {
		b.Fatal(err)
	}
	const old = "const Cells = 50_000"
	if !bytes.Contains(src, []byte(old)) {
		b.Fatalf("%s at %s does not say %q", limits, previousCommit, old)
	}
	if err := os.WriteFile(limits, bytes.Replace(src, []byte(old), []byte("const Cells = 100_000"), 1), 0o644); err != nil {
		b.Fatal(err)
	}
	bin := filepath.Join(dir, "matrix-previous")
	build := exec.Command("go", "build", "-o", bin, "./cmd/matrix")
	build.Dir = dir
	start := time.Now()
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("build the previous matrix: %v\n%s", err, out)
	}
	b.Logf("built the previous matrix (%s) in %s", previousCommit[:12], time.Since(start).Round(time.Millisecond))
	return bin
}
