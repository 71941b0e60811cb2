package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/soap"

	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/testutil/moto"
	"github.com/imagegrid/imagegrid/internal/testutil/ovatest"
	"github.com/imagegrid/imagegrid/internal/testutil/peers"
	"github.com/imagegrid/imagegrid/internal/testutil/vcsim"
)

// rounds counts the rounds of the benchmarks in this process (go test -count runs a
// benchmark again in the same process), for peers.Interleave.
var rounds int

// BenchmarkPublishMixed publishes 12 build records at once — 6 vSphere OVAs into the
// simulator and 6 AMIs to 3 regions each through the fault proxy, every EC2 call 100 ms away
// and every copy pending for 5 s as a copy in AWS is (for minutes there) — and, in the same
// round, one record of each infrastructure alone. It reports the batch's time against the
// slower of the two single records: the same command, the default config, fresh build keys
// every time (nothing reused). Run it with:
//
//	go test ./cmd/publish -run '^$' -bench PublishMixed -benchtime 1x -count 5
func BenchmarkPublishMixed(b *testing.B) {
	vc := vcsim.Start(b)
	mt := moto.Start(b)
	proxy := moto.NewProxy(b, mt)
	proxy.Latency(100 * time.Millisecond)
	proxy.HoldCopies(5 * time.Second)
	source := record.AMIArtifact{Region: "us-east-1", ID: mt.ImageBuilderAMI(b, "us-east-1")}
	mt.Warm(b, "us-west-2", "eu-west-1", "eu-central-1")
	ovaDir := b.TempDir()
	ova := ovatest.Make(b, ovaDir, ovatest.Spec{Name: "bench", DiskBytes: 8 << 20, Properties: map[string]string{"VERSION": "v1.30.2+vmware.1-bench"}})
	config := filepath.Join(b.TempDir(), "publish.yaml")
	doc := fmt.Sprintf(`apiVersion: imagegrid.io/v1alpha1
kind: PublishConfig
vsphere: {server: %q, insecure: true, datacenter: DC0, cluster: DC0_C0, datastore: LocalDS_0, network: VM Network}
aws: {regions: [us-west-2, eu-west-1, eu-central-1], pollInterval: 500ms}
`, vc.Host)
	if err := os.WriteFile(config, []byte(doc), 0o644); err != nil {
		b.Fatal(err)
	}
	benchEnv(b, proxy.URL)

	keys := 0
	records := func(vsphere, aws int) string {
		dir := b.TempDir()
		for i := range vsphere + aws {
			keys++
			key := fmt.Sprintf("%064x", keys)
			infra := record.InfraVSphere
			if i >= vsphere {
				infra = record.InfraAWS
			}
			rec := buildRecord(cell(infra, fmt.Sprintf("ubuntu-%04d", keys), key), record.BuildSucceeded)
			recDir := filepath.Join(dir, rec.Cell.ID)
			if err := os.MkdirAll(recDir, 0o755); err != nil {
				b.Fatal(err)
			}
			if infra == record.InfraVSphere {
				if err := os.Link(ova.Path, filepath.Join(recDir, "node.ova")); err != nil {
					b.Fatal(err)
				}
				rec.Artifacts.OVA = &record.OVAArtifact{Path: "node.ova", Size: ova.Size, SHA256: ova.SHA256, ManifestSHA256: ova.ManifestSHA256, Version: "v1.30.2+vmware.1-bench"}
			} else {
				rec.Artifacts.AMI = []record.AMIArtifact{source}
			}
			if err := record.WriteFile(filepath.Join(recDir, "build-record.json"), rec); err != nil {
				b.Fatal(err)
			}
		}
		return dir
	}
	publish := func(dir string) {
		args := []string{"--records", dir, "--config", config, "--out", filepath.Join(dir, "published")}
		var out strings.Builder
		if err := run(context.Background(), args, &out, &out); err != nil {
			b.Fatalf("publish: %v\n%s", err, out.String())
		}
	}

	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		batch, vsOnly, awsOnly := records(6, 6), records(1, 0), records(0, 1)
		b.StartTimer()
		rounds++
		var tv, ta time.Duration
		tBatch, _ := peers.Interleave(rounds, func() { publish(batch) }, func() {
			tv, ta = peers.Interleave(rounds/2, func() { publish(vsOnly) }, func() { publish(awsOnly) })
		})
		slowest := max(tv, ta)
		b.ReportMetric(tBatch.Seconds(), "batch-s")
		b.ReportMetric(tv.Seconds(), "vsphere-alone-s")
		b.ReportMetric(ta.Seconds(), "aws-alone-s")
		b.ReportMetric(slowest.Seconds(), "slowest-alone-s")
		b.ReportMetric(tBatch.Seconds()/slowest.Seconds(), "batch/slowest")
	}
}

// benchEnv gives the command its credentials and endpoints, outside GitHub Actions.
func benchEnv(b *testing.B, ec2 string) {
	tmp := b.TempDir()
	for k, v := range map[string]string{
		"GITHUB_ACTIONS": "", "GOVC_USERNAME": "user", "GOVC_PASSWORD": "pass",
		"AWS_ACCESS_KEY_ID": moto.AccessKeyID, "AWS_SECRET_ACCESS_KEY": moto.SecretAccessKey, "AWS_REGION": "us-east-1",
		"AWS_ENDPOINT_URL_EC2": ec2, "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONFIG_FILE": filepath.Join(tmp, "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(tmp, "none"),
	} {
		b.Setenv(k, v)
	}
}

// BenchmarkReuseLookup is a re-run's reuse check of one vSphere record whose template is in
// place, as whole processes: the publish command (connect, resolve the placement, find the
// template by name, confirm its build key, write the publish record) against two govc
// peers for the same template — `find -name`, which reads the name of every VM, and
// `vm.info -e -vm.ipath`, which asks for the template by inventory path and reads its
// extraConfig (constant work, like imagegrid's: what it gains from 5 to 4,000 VMs is the
// simulator's) — all built before the timer starts, on two simulators holding 5 and 4,000
// other VMs. Each round runs the six (three commands × two sizes) one after the other,
// starting one further along each round, so that a comparison across sizes is made in the
// same moments of a shared machine as one across commands. Beside the wall times it
// reports the CPU time of the publish process and of the benchmark process (the simulator)
// while publish runs: they show what the work costs when the wall time is the machine's
// load. The simulators are made once per process (4,000 VMs take minutes) and shared by
// the -count rounds. Run it with:
//
//	go test ./cmd/publish -run '^$' -bench ReuseLookup -benchtime 1x -count 5
func BenchmarkReuseLookup(b *testing.B) {
	publishBin := peers.Command(b, "github.com/imagegrid/imagegrid/cmd/publish")
	govc := peers.Govc(b)
	env := append(os.Environ(), "GITHUB_ACTIONS=", "GOVC_USERNAME=user", "GOVC_PASSWORD=pass", "HOME="+b.TempDir())
	type side struct {
		metric string // its time's metric, e.g. imagegrid-4000vms-ms
		run    func()
		took   time.Duration
	}
	type cpuTimes struct{ publish, simulator time.Duration }
	var sides []*side
	cpu := map[int]*cpuTimes{}
	for _, vms := range []int{5, 4000} {
		inv := reuseInventory(b, publishBin, vms)
		out := b.TempDir()
		path := "/DC0/vm/tkg-templates/" + inv.name
		times := &cpuTimes{}
		cpu[vms] = times
		publish := func() {
			cmd := exec.Command(publishBin, "--records", inv.records, "--config", inv.config, "--out", out)
			cmd.Env = env
			sim := processCPU(b)
			got, err := cmd.CombinedOutput()
			times.simulator = processCPU(b) - sim
			if err != nil || !strings.Contains(string(got), ": "+record.PublishReused) {
				b.Fatalf("publish: %v; want the template reused:\n%s", err, got)
			}
			times.publish = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		}
		// govcRun runs a govc command and fails unless ok accepts what it printed.
		govcRun := func(ok func(string) bool, args ...string) func() {
			args = append([]string{args[0], "-k", "-persist-session=false", "-u", "https://user:pass@" + inv.vc.Host + "/sdk"}, args[1:]...)
			return func() {
				cmd := exec.Command(govc, args...)
				cmd.Env = env
				got, err := cmd.CombinedOutput()
				if err != nil || !ok(string(got)) {
					b.Fatalf("govc %s: %v:\n%s", strings.Join(args, " "), err, got)
				}
			}
		}
		find := govcRun(func(out string) bool { return strings.TrimSpace(out) == path },
			"find", "/", "-type", "m", "-name", inv.name)
		vmInfo := govcRun(func(out string) bool {
			return strings.Contains(out, inv.name) && strings.Contains(out, "imagegrid.buildKey")
		}, "vm.info", "-e", "-vm.ipath", path)
		sides = append(sides,
			&side{metric: fmt.Sprintf("imagegrid-%dvms-ms", vms), run: publish},
			&side{metric: fmt.Sprintf("govc-%dvms-ms", vms), run: find},
			&side{metric: fmt.Sprintf("govc-ipath-%dvms-ms", vms), run: vmInfo})
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ResetTimer()
	for range b.N {
		rounds++
		for i := range sides {
			s := sides[(rounds+i)%len(sides)]
			s.took = collected(s.run)
		}
		took := map[string]time.Duration{}
		for _, s := range sides {
			took[s.metric] = s.took
			b.ReportMetric(ms(s.took), s.metric)
		}
		ratio := func(a, b string) float64 { return took[a].Seconds() / took[b].Seconds() }
		for _, vms := range []string{"5vms", "4000vms"} {
			b.ReportMetric(ratio("imagegrid-"+vms+"-ms", "govc-"+vms+"-ms"), "imagegrid/govc-"+vms)
			b.ReportMetric(ratio("imagegrid-"+vms+"-ms", "govc-ipath-"+vms+"-ms"), "imagegrid/govc-ipath-"+vms)
		}
		b.ReportMetric(ratio("imagegrid-4000vms-ms", "imagegrid-5vms-ms"), "imagegrid-4000/5vms")
		b.ReportMetric(ratio("govc-ipath-4000vms-ms", "govc-ipath-5vms-ms"), "govc-ipath-4000/5vms")
		small, large := cpu[5], cpu[4000]
		b.ReportMetric(ms(small.publish), "imagegrid-cpu-5vms-ms")
		b.ReportMetric(ms(large.publish), "imagegrid-cpu-4000vms-ms")
		b.ReportMetric(large.publish.Seconds()/small.publish.Seconds(), "imagegrid-cpu-4000/5vms")
		b.ReportMetric(ms(small.simulator), "simulator-cpu-5vms-ms")
		b.ReportMetric(ms(large.simulator), "simulator-cpu-4000vms-ms")
		b.ReportMetric(large.simulator.Seconds()/small.simulator.Seconds(), "simulator-cpu-4000/5vms")
	}
}

// collected runs f after a garbage collection of this process and returns f's time alone:
// the simulators serve every side from this process's heap (some 160 MiB with 4,000 VMs),
// and a collection that the previous side's requests started (govc find reads 4,000 names)
// would otherwise run beside the next side and be charged to it.
func collected(f func()) time.Duration {
	runtime.GC()
	start := time.Now()
	f()
	return time.Since(start)
}

// processCPU is the CPU time (user and system) this process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// inventory is a simulator with a published template among other VMs, and the build record
// and config that find it again.
type inventory struct {
	vc              *vcsim.VCenter
	records, config string
	name            string // the template's
}

var (
	inventories = map[int]*inventory{}
	// cleanups run when the benchmarks of the process are done (TestMain).
	cleanups []func()
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, f := range cleanups {
		f()
	}
	os.Exit(code)
}

// reuseInventory makes (once per process) a simulator with vms VMs and a template published
// into its folder tkg-templates by the publish command.
func reuseInventory(b *testing.B, publishBin string, vms int) *inventory {
	b.Helper()
	if inv, ok := inventories[vms]; ok {
		return inv
	}
	vc, stop, err := vcsim.Serve(vcsim.Machines(vms))
	if err != nil {
		b.Fatal(err)
	}
	cleanups = append(cleanups, stop)
	dir, err := os.MkdirTemp("", "reuse-bench-")
	if err != nil {
		b.Fatal(err)
	}
	cleanups = append(cleanups, func() { os.RemoveAll(dir) })
	makeFolder(b, vc, "/DC0/vm", "tkg-templates")
	key := fmt.Sprintf("%064x", vms)
	rec := buildRecord(cell(record.InfraVSphere, "ubuntu-2204", key), record.BuildSucceeded)
	recDir := filepath.Join(dir, "records")
	if err := os.MkdirAll(recDir, 0o755); err != nil {
		b.Fatal(err)
	}
	ova := ovatest.Make(b, recDir, ovatest.Spec{Name: "bench", Properties: map[string]string{"VERSION": "v1.30.2+vmware.1-bench"}})
	rec.Artifacts.OVA = &record.OVAArtifact{Path: filepath.Base(ova.Path), Size: ova.Size, SHA256: ova.SHA256, ManifestSHA256: ova.ManifestSHA256, Version: "v1.30.2+vmware.1-bench"}
	if err := record.WriteFile(filepath.Join(recDir, "build-record.json"), rec); err != nil {
		b.Fatal(err)
	}
	config := filepath.Join(dir, "publish.yaml")
	doc := fmt.Sprintf(`apiVersion: imagegrid.io/v1alpha1
kind: PublishConfig
vsphere: {server: %q, insecure: true, datacenter: DC0, cluster: DC0_C0, datastore: LocalDS_0, folder: tkg-templates}
`, vc.Host)
	if err := os.WriteFile(config, []byte(doc), 0o644); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(publishBin, "--records", recDir, "--config", config, "--out", filepath.Join(dir, "published"))
	cmd.Env = append(os.Environ(), "GITHUB_ACTIONS=", "GOVC_USERNAME=user", "GOVC_PASSWORD=pass")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("publish the template: %v\n%s", err, out)
	}
	inv := &inventory{vc: vc, records: recDir, config: config, name: "ubuntu-2204-kube-v1.30.2+vmware.1-" + key[:12]}
	inventories[vms] = inv
	return inv
}

// makeFolder creates a VM folder under parent.
func makeFolder(b *testing.B, vc *vcsim.VCenter, parent, name string) {
	b.Helper()
	ctx := context.Background()
	u, err := soap.ParseURL("https://user:pass@" + vc.Host + "/sdk")
	if err != nil {
		b.Fatal(err)
	}
	c, err := vim25.NewClient(ctx, soap.NewClient(u, true))
	if err != nil {
		b.Fatal(err)
	}
	sm := session.NewManager(c)
	if err := sm.Login(ctx, u.User); err != nil {
		b.Fatal(err)
	}
	defer sm.Logout(ctx)
	f, err := find.NewFinder(c).Folder(ctx, parent)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := f.CreateFolder(ctx, name); err != nil {
		b.Fatal(err)
	}
}
