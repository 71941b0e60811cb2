package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/imagegrid/imagegrid/internal/imagebuilder"
	"github.com/imagegrid/imagegrid/internal/testutil/ovatest"
	"github.com/imagegrid/imagegrid/internal/testutil/peers"
)

// rounds counts the rounds of BenchmarkVerifyOnly in this process (go test -count runs it
// again in the same process), to rotate the order of the three sides.
var rounds int

// BenchmarkVerifyOnly verifies a 1 GiB OVA (a streamOptimized VMDK of random data made by
// qemu-img, which does not compress) as whole processes: build --verify-only (digest against
// the .sha256, tar walk, manifest, OVF properties against the cell) against openssl dgst
// -sha256, the fair peer (it uses the CPU's SHA extensions, as Go does), and sha256sum. The
// build command is built before the timer starts; the three run in an order rotated every
// round, the OVA in the page cache for all. It reports each side's time, CPU time and peak
// resident set, and the ratios. Run it with:
//
//	go test ./cmd/build -run '^$' -bench VerifyOnly -benchtime 1x -count 5
func BenchmarkVerifyOnly(b *testing.B) {
	buildBin := peers.Command(b, "github.com/imagegrid/imagegrid/cmd/build")
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		b.Fatal("openssl is missing: install it (Debian: apt-get install openssl)")
	}
	sha256sum, err := exec.LookPath("sha256sum")
	if err != nil {
		b.Fatal("sha256sum is missing: install GNU coreutils")
	}
	props := imagebuilder.ExpectedProperties(vsphereCell(b))
	ova := ovatest.Make(b, b.TempDir(), ovatest.Spec{Name: "bench", DiskBytes: 1 << 30, RandomData: true, Properties: props})
	if err := os.WriteFile(ova.Path+".sha256", []byte(ova.SHA256+"\n"), 0o644); err != nil {
		b.Fatal(err)
	}

	type side struct {
		name string
		args []string
		time time.Duration
		use  peers.Usage
	}
	sides := []*side{
		{name: "imagegrid", args: []string{buildBin, "--cell", "testdata/vsphere.json", "--verify-only", ova.Path}},
		{name: "openssl", args: []string{openssl, "dgst", "-sha256", ova.Path}},
		{name: "sha256sum", args: []string{sha256sum, ova.Path}},
	}
	run := func(s *side) {
		cmd := exec.Command(s.args[0], s.args[1:]...)
		cmd.Env = append(os.Environ(), "GITHUB_ACTIONS=")
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		use, err := peers.Run(cmd)
		s.time, s.use = time.Since(start), use
		if err != nil || !strings.Contains(out.String(), ova.SHA256) {
			b.Fatalf("%s: %v; want the digest %s in its output:\n%s", s.name, err, ova.SHA256, out.String())
		}
	}
	b.ResetTimer()
	for range b.N {
		rounds++
		for i := range sides {
			run(sides[(rounds+i)%len(sides)])
		}
		ours := sides[0]
		for _, s := range sides {
			b.ReportMetric(s.time.Seconds(), s.name+"-s")
			b.ReportMetric(float64(ova.Size)/1e6/s.time.Seconds(), s.name+"-MB/s")
			b.ReportMetric(s.use.PeakMiB, s.name+"-peak-RSS-MiB")
			b.ReportMetric(s.use.CPU.Seconds(), s.name+"-cpu-s")
			if s != ours {
				b.ReportMetric(ours.time.Seconds()/s.time.Seconds(), "imagegrid/"+s.name)
			}
		}
	}
}
