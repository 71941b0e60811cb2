// Command bench reruns the benchmarks of docs/benchmarks.md that compare imagegrid with a
// peer, and prints their ratio table. Each row is a go test benchmark that measures both
// sides in the same round, alternating which goes first; bench runs it for -rounds rounds
// (go test -count) and reports min/median/max of each side and of the ratio, with the
// machine's load average before and after. Run it from the repository root:
//
//	go run ./bench                  # every row, 5 rounds
//	go run ./bench -rounds 7 -only reuse
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/imagegrid/imagegrid/internal/cli"
)

// A row compares one metric of imagegrid with one of its peer, as a benchmark reports them.
type row struct {
	name, peer string
	// pkg and bench select the benchmark; line is the result line's name (a sub-benchmark).
	pkg, bench, line string
	// ours, theirs and ratio are metric units of the line.
	ours, theirs, ratio string
	target              string
}

// rows are the comparisons docs/benchmarks.md reports.
var rows = []row{
	{name: "AMI fan-out, 15 regions, default parallel (copies pending 8 s, throttled past 10 calls)", peer: "the same publish to 1 region",
		pkg: "./internal/aws", bench: "CopyAMI", line: "BenchmarkCopyAMI", ours: "15-regions-s", theirs: "1-region-s", ratio: "15/1", target: "≤ 1.3"},
	{name: "Azure replication, 10 regions (every call 500 ms away)", peer: "the same publish to 1 region",
		pkg: "./internal/azure", bench: "Replicate", line: "BenchmarkReplicate", ours: "10-regions-s", theirs: "1-region-s", ratio: "10/1", target: "≤ 2"},
	{name: "publish 12 mixed records at once (6 OVAs, 6 AMIs × 3 regions)", peer: "the slower of one record per infrastructure alone",
		pkg: "./cmd/publish", bench: "PublishMixed", line: "BenchmarkPublishMixed", ours: "batch-s", theirs: "slowest-alone-s", ratio: "batch/slowest", target: "≤ 1.5"},
	{name: "reuse lookup, 4,000 VMs (publish command)", peer: "govc find -name",
		pkg: "./cmd/publish", bench: "ReuseLookup", line: "BenchmarkReuseLookup", ours: "imagegrid-4000vms-ms", theirs: "govc-4000vms-ms", ratio: "imagegrid/govc-4000vms", target: "≤ 1.2"},
	{name: "reuse lookup, 5 VMs (publish command)", peer: "govc find -name",
		pkg: "./cmd/publish", bench: "ReuseLookup", line: "BenchmarkReuseLookup", ours: "imagegrid-5vms-ms", theirs: "govc-5vms-ms", ratio: "imagegrid/govc-5vms", target: "—"},
	{name: "reuse lookup, 4,000 VMs (publish command)", peer: "govc vm.info -e -vm.ipath (constant work)",
		pkg: "./cmd/publish", bench: "ReuseLookup", line: "BenchmarkReuseLookup", ours: "imagegrid-4000vms-ms", theirs: "govc-ipath-4000vms-ms", ratio: "imagegrid/govc-ipath-4000vms", target: "—"},
	{name: "reuse lookup, 4,000 VMs against 5 VMs", peer: "imagegrid at 5 VMs",
		pkg: "./cmd/publish", bench: "ReuseLookup", line: "BenchmarkReuseLookup", ours: "imagegrid-4000vms-ms", theirs: "imagegrid-5vms-ms", ratio: "imagegrid-4000/5vms", target: "≈ 1 (flat)"},
	{name: "reuse lookup peer: govc vm.info -e -vm.ipath, 4,000 VMs against 5 VMs (in the imagegrid column)", peer: "govc vm.info -e -vm.ipath at 5 VMs",
		pkg: "./cmd/publish", bench: "ReuseLookup", line: "BenchmarkReuseLookup", ours: "govc-ipath-4000vms-ms", theirs: "govc-ipath-5vms-ms", ratio: "govc-ipath-4000/5vms", target: "—"},
	{name: "reuse lookup, CPU of the publish process, 4,000 VMs against 5 VMs", peer: "the same at 5 VMs",
		pkg: "./cmd/publish", bench: "ReuseLookup", line: "BenchmarkReuseLookup", ours: "imagegrid-cpu-4000vms-ms", theirs: "imagegrid-cpu-5vms-ms", ratio: "imagegrid-cpu-4000/5vms", target: "≈ 1 (flat)"},
	{name: "reuse lookup, CPU of the simulator while publish runs, 4,000 VMs against 5 VMs", peer: "the same at 5 VMs",
		pkg: "./cmd/publish", bench: "ReuseLookup", line: "BenchmarkReuseLookup", ours: "simulator-cpu-4000vms-ms", theirs: "simulator-cpu-5vms-ms", ratio: "simulator-cpu-4000/5vms", target: "—"},
	{name: "matrix, 100,000 cells as JSON (whole process): time", peer: "the previous matrix (6922386, its cell limit raised to 100,000)",
		pkg: "./cmd/matrix", bench: "MatrixProcess", line: "BenchmarkMatrixProcess/100000-cells", ours: "imagegrid-s", theirs: "previous-s", ratio: "imagegrid/previous", target: "< 1 s"},
	{name: "matrix, 100,000 cells as JSON (whole process): peak RSS", peer: "the previous matrix (6922386, its cell limit raised to 100,000)",
		pkg: "./cmd/matrix", bench: "MatrixProcess", line: "BenchmarkMatrixProcess/100000-cells", ours: "imagegrid-MiB", theirs: "previous-MiB", ratio: "rss-imagegrid/previous", target: "< 64 MiB"},
	{name: "matrix, 100,000 cells as JSON (whole process): CPU user+sys", peer: "the previous matrix (6922386, its cell limit raised to 100,000)",
		pkg: "./cmd/matrix", bench: "MatrixProcess", line: "BenchmarkMatrixProcess/100000-cells", ours: "imagegrid-cpu-s", theirs: "previous-cpu-s", ratio: "cpu-imagegrid/previous", target: "—"},
	{name: "matrix, 100,000 cells as a table (whole process): peak RSS", peer: "the previous matrix (6922386, its cell limit raised to 100,000)",
		pkg: "./cmd/matrix", bench: "MatrixProcess", line: "BenchmarkMatrixProcess/100000-cells-table", ours: "imagegrid-MiB", theirs: "previous-MiB", ratio: "rss-imagegrid/previous", target: "—"},
	{name: "matrix, 2,000 one-release rules over 12,000 cells (whole process): time", peer: "the previous matrix (6922386)",
		pkg: "./cmd/matrix", bench: "MatrixProcess", line: "BenchmarkMatrixProcess/2000-rules", ours: "imagegrid-s", theirs: "previous-s", ratio: "imagegrid/previous", target: "not cells × rules"},
	{name: "OVA import, 1 GiB, SHA-256 checked (publish command)", peer: "govc import.ova",
		pkg: "./cmd/publish", bench: "ImportOVA", line: "BenchmarkImportOVA", ours: "imagegrid-s", theirs: "govc-s", ratio: "imagegrid/govc", target: "≤ 1.05"},
	{name: "OVA import, 1 GiB, record without manifestSha256: whole file hashed too (publish command)", peer: "govc import.ova",
		pkg: "./cmd/publish", bench: "ImportOVA", line: "BenchmarkImportOVA", ours: "imagegrid-whole-file-s", theirs: "govc-s", ratio: "imagegrid-whole-file/govc", target: "—"},
	{name: "OVA import, 1 GiB, into a vCenter of API 6.5: disk hashed by publish (publish command)", peer: "govc import.ova (into API 8.0.3)",
		pkg: "./cmd/publish", bench: "ImportOVA", line: "BenchmarkImportOVA", ours: "imagegrid-api65-s", theirs: "govc-s", ratio: "imagegrid-api65/govc", target: "—"},
	{name: "OVA import, 1 GiB: CPU of the publish process", peer: "govc import.ova",
		pkg: "./cmd/publish", bench: "ImportOVA", line: "BenchmarkImportOVA", ours: "imagegrid-cpu-s", theirs: "govc-cpu-s", ratio: "cpu-imagegrid/govc", target: "—"},
	{name: "OVA import, 1 GiB, record without manifestSha256: CPU of the publish process", peer: "govc import.ova",
		pkg: "./cmd/publish", bench: "ImportOVA", line: "BenchmarkImportOVA", ours: "imagegrid-whole-file-cpu-s", theirs: "govc-cpu-s", ratio: "cpu-imagegrid-whole-file/govc", target: "—"},
	{name: "OVA import, 1 GiB: CPU of the simulator (vCenter) while it runs", peer: "govc import.ova",
		pkg: "./cmd/publish", bench: "ImportOVA", line: "BenchmarkImportOVA", ours: "simulator-cpu-imagegrid-s", theirs: "simulator-cpu-govc-s", ratio: "simulator-cpu-imagegrid/govc", target: "—"},
	{name: "OVA import, 1 GiB: peak RSS of the publish process", peer: "govc import.ova",
		pkg: "./cmd/publish", bench: "ImportOVA", line: "BenchmarkImportOVA", ours: "imagegrid-peak-RSS-MiB", theirs: "govc-peak-RSS-MiB", ratio: "rss-imagegrid/govc", target: "< 64 MiB"},
	{name: "OVA import, 1 GiB, into a vCenter of API 6.5: CPU of the publish process", peer: "govc import.ova (into API 8.0.3)",
		pkg: "./cmd/publish", bench: "ImportOVA", line: "BenchmarkImportOVA", ours: "imagegrid-api65-cpu-s", theirs: "govc-cpu-s", ratio: "cpu-imagegrid-api65/govc", target: "—"},
	{name: "OVA verification, 1 GiB (build --verify-only)", peer: "openssl dgst -sha256",
		pkg: "./cmd/build", bench: "VerifyOnly", line: "BenchmarkVerifyOnly", ours: "imagegrid-s", theirs: "openssl-s", ratio: "imagegrid/openssl", target: "≤ 1.05 (≥ 0.95× throughput)"},
	{name: "OVA verification, 1 GiB (build --verify-only)", peer: "sha256sum",
		pkg: "./cmd/build", bench: "VerifyOnly", line: "BenchmarkVerifyOnly", ours: "imagegrid-s", theirs: "sha256sum-s", ratio: "imagegrid/sha256sum", target: "—"},
}

func main() {
	cli.Main("bench", func(ctx context.Context) error { return run(ctx, os.Args[1:], os.Stdout, os.Stderr) })
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rounds := fs.Int("rounds", 5, "rounds per row (go test -count); at least 5 for a median worth reporting")
	only := fs.String("only", "", "run only the rows whose name matches this regular expression")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *rounds < 1 {
		return fmt.Errorf("-rounds %d: want at least 1", *rounds)
	}
	match, err := regexp.Compile(*only)
	if err != nil {
		return fmt.Errorf("-only: %w", err)
	}
	var selected []row
	for _, r := range rows {
		if match.MatchString(r.name) {
			selected = append(selected, r)
		}
	}
	if len(selected) == 0 {
		return fmt.Errorf("-only %q matches no row", *only)
	}
	results := map[string]*invocation{}
	for _, r := range selected {
		key := r.pkg + " " + r.bench
		if results[key] != nil {
			continue
		}
		inv := &invocation{args: []string{"test", r.pkg, "-run", "^$", "-bench", "^Benchmark" + r.bench + "$", "-benchtime", "1x", "-count", fmt.Sprint(*rounds)}}
		fmt.Fprintf(stderr, "bench: go %s\n", strings.Join(inv.args, " "))
		if err := inv.run(ctx, stderr); err != nil {
			return err
		}
		results[key] = inv
	}
	table, err := render(selected, results)
	if err != nil {
		return err
	}
	_, err = io.WriteString(stdout, table)
	return err
}
