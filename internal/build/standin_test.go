package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imagegrid/imagegrid/internal/imagebuilder"
	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/syncbuf"
	"github.com/imagegrid/imagegrid/internal/tree"
)

// varFile returns a cell var file entry for testdata/vars/name with its current digest.
func varFile(t *testing.T, name string) record.VarFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "vars", name))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return record.VarFile{Path: "vars/" + name, SHA256: hex.EncodeToString(sum[:])}
}

func TestBuildVSphereWithStandIn(t *testing.T) {
	t.Parallel()
	requireStandInTools(t)
	c := vsphereCell("ubuntu-2204", "22.04")
	c.VarFiles = []record.VarFile{varFile(t, "site.json")}
	o := makeOptions(t)
	res, err := Build(context.Background(), c, o)
	if err != nil {
		t.Fatalf("Build: %v\n%s", err, o.Console)
	}
	rec := readRecord(t, res.Path)
	if rec.Status != record.BuildSucceeded || rec.Attempts != 1 || rec.ExitCode != 0 || rec.Failure != nil {
		t.Fatalf("record = %+v", rec)
	}
	if rec.ImageBuilderVersion != "v0.1.55" || rec.BuildKey != c.BuildKey || rec.Cell.ID != c.ID {
		t.Errorf("record header = %q %q %q", rec.ImageBuilderVersion, rec.BuildKey, rec.Cell.ID)
	}
	o2 := rec.Artifacts.OVA
	if o2 == nil {
		t.Fatal("no OVA in the record")
	}
	ovaPath := filepath.Join(filepath.Dir(res.Path), filepath.FromSlash(o2.Path))
	data, err := os.ReadFile(ovaPath)
	if err != nil {
		t.Fatalf("the record's OVA path does not resolve from the record: %v", err)
	}
	sum := sha256.Sum256(data)
	if o2.SHA256 != hex.EncodeToString(sum[:]) || o2.Size != int64(len(data)) {
		t.Errorf("OVA sha256/size = %s/%d, file has %x/%d", o2.SHA256, o2.Size, sum, len(data))
	}
	for k, want := range map[string]string{
		"KUBERNETES_SEMVER": "v1.30.2", "DISTRO_NAME": "ubuntu", "DISTRO_VERSION": "22.04", "DISTRO_ARCH": "amd64",
		"CONTAINERD_VERSION":    "1.7.20", // from the user var file: users override imagegrid's defaults
		"IMAGE_BUILDER_VERSION": "v0.1.55", "KUBERNETES_SOURCE_TYPE": "pkg",
	} {
		if got := o2.Properties[k]; got != want {
			t.Errorf("property %s = %q, want %q", k, got, want)
		}
	}
	if _, ok := o2.Properties["VERSION"]; ok {
		t.Error("an upstream build has no VERSION property")
	}
	for _, source := range []string{record.NodeImageSourceGoss, record.NodeImageSourceInspection} {
		if rep := nodeImageReport(t, rec, source); rep.Verdict != record.NodeImagePassed {
			t.Errorf("%s report = %+v, want passed", source, rep)
		}
	}
	logData, err := os.ReadFile(filepath.Join(filepath.Dir(res.Path), rec.Log))
	if err != nil {
		t.Fatalf("log: %v", err)
	}
	mustContain(t, "log", string(logData), "Provisioning with Goss")
	for _, phase := range []string{"boot", "provision", "goss", "export"} {
		mustContain(t, "console", o.Console.(*syncbuf.Buffer).String(), ": "+phase+" phase after ")
	}
	if _, err := os.Stat(filepath.Join(o.WorkDir, c.ID, "vars", "vsphere-credentials.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the vSphere credentials var file is still in the workspace: %v", err)
	}
	if strings.Contains(string(logData), "s3cret-vsphere-pw") {
		t.Error("the vSphere password reached the log")
	}
}

func TestBuildAWSWithStandIn(t *testing.T) {
	t.Parallel()
	requireStandInTools(t)
	c := awsCell()
	o := makeOptions(t)
	o.Out = filepath.Join(t.TempDir(), "records", c.ID)
	res, err := Build(context.Background(), c, o)
	if err != nil {
		t.Fatalf("Build: %v\n%s", err, o.Console)
	}
	rec := readRecord(t, filepath.Join(o.Out, RecordName))
	if res.Path != filepath.Join(o.Out, RecordName) || rec.Status != record.BuildSucceeded {
		t.Fatalf("record at %s = %+v", res.Path, rec)
	}
	var regions []string
	for _, a := range rec.Artifacts.AMI {
		regions = append(regions, a.Region)
		if !strings.HasPrefix(a.ID, "ami-") {
			t.Errorf("AMI id %q", a.ID)
		}
	}
	// Built in the grid's first region only: upstream's packer/ami/packer.json would copy it
	// to 15 regions (ami_regions) and build it in us-east-1 (aws_region); publish copies.
	if got := strings.Join(regions, ","); got != "us-west-2" {
		t.Errorf("AMI regions = %s, want us-west-2 (aws_region from the grid, no ami_regions copies)", got)
	}
	if rec.Artifacts.OVA != nil {
		t.Error("an AMI build has no OVA")
	}
	if rec.Log != "build.log" {
		t.Errorf("log path %q: want the copy beside the record", rec.Log)
	}

	// Packer appends to a manifest: the second run starts without the first's, so it records
	// its own AMIs and the manifest holds its build only.
	again, err := Build(context.Background(), c, o)
	if err != nil {
		t.Fatalf("second Build: %v\n%s", err, o.Console)
	}
	if again.Record.Artifacts.AMI[0].ID == rec.Artifacts.AMI[0].ID {
		t.Errorf("the second run recorded the first run's AMI %s", rec.Artifacts.AMI[0].ID)
	}
	m, err := imagebuilder.ReadManifest(filepath.Join(o.WorkDir, c.ID, "output", "manifest.json"))
	if err != nil || len(m.Builds) != 1 {
		t.Errorf("manifest after two runs: %d builds, %v; want the second run's only", len(m.Builds), err)
	}
}

func TestBuildTKGVSphereWithStandIn(t *testing.T) {
	t.Parallel()
	requireStandInTools(t)
	c := tkgCell()
	c.Roles = []record.Folder{*folder("roles/audit")}
	o := makeOptions(t)
	standInDocker(t, &o)
	res, err := Build(context.Background(), c, o)
	if err != nil {
		t.Fatalf("Build: %v\n%s", err, o.Console)
	}
	o2 := res.Record.Artifacts.OVA
	if want := "v1.30.2+vmware.1-tkg.1-" + c.BuildKey[:12]; o2 == nil || o2.Version != want || o2.Properties["VERSION"] != want {
		t.Fatalf("OVA = %+v, want VERSION %s", o2, want)
	}
	for k, want := range map[string]string{"KUBERNETES_SOURCE_TYPE": "http", "CNI_VERSION": "v1.4.0", "CONTAINERD_VERSION": "1.6.33+vmware.1"} {
		if got := o2.Properties[k]; got != want {
			t.Errorf("%s = %q, want %q: the TKG configuration's tkg.json was not used", k, got, want)
		}
	}
	tkgJSON, err := os.ReadFile(filepath.Join(o.WorkDir, c.ID, "vars", "tkg.json"))
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "tkg.json", string(tkgJSON), `"kubernetes_http_source": "http://127.0.0.1:`)
	if strings.Contains(string(tkgJSON), "<IP>") || strings.Contains(string(tkgJSON), "<PORT>") {
		t.Errorf("tkg.json still has the bundle placeholders:\n%s", tkgJSON)
	}

	// The goss report says, check by check, that goss found a Cluster API node image.
	rep := nodeImageReport(t, res.Record, record.NodeImageSourceGoss)
	if rep.Verdict != record.NodeImagePassed {
		t.Errorf("goss report = %+v", rep)
	}
	checks := map[string]record.NodeImageCheck{}
	for _, ch := range rep.Checks {
		checks[ch.Name] = ch
	}
	for _, name := range []string{"kubeadm", "kubelet", "kubectl"} {
		if ch := checks[name]; !ch.OK || ch.Expected != "1.30.2+vmware.1" || ch.Found != "1.30.2+vmware.1" || !strings.Contains(ch.Where, "tkg-config/v1.30.2+vmware.1-tkg.1/goss/goss.yaml") {
			t.Errorf("check %s = %+v, want 1.30.2+vmware.1 found by the TKr's goss spec", name, ch)
		}
	}
	for _, name := range []string{"containerd", "image kube-apiserver", "image kube-proxy", "cloud-init"} {
		if !checks[name].OK {
			t.Errorf("check %s = %+v", name, checks[name])
		}
	}

	// Image Builder ran the TKr's tkg/ role, then the grid's, each once.
	logData, err := os.ReadFile(filepath.Join(o.WorkDir, c.ID, "build.log"))
	if err != nil {
		t.Fatal(err)
	}
	log := string(logData)
	for _, role := range []string{"tkg-config/tkg]", "roles/01-audit]"} {
		if n := strings.Count(log, role); n != 1 {
			t.Errorf("role %s included %d times, want once:\n%s", role, n, log)
		}
	}
	if i, j := strings.Index(log, "tkg-config/tkg]"), strings.Index(log, "roles/01-audit]"); i > j {
		t.Error("the grid's role ran before the TKr's")
	}
}

// TestTKGBuildsThatWouldNotInstallKubernetes: a TKG configuration that upstream's kubernetes
// role would not install Kubernetes with is refused before anything starts, naming the
// variable; one that points Image Builder at the wrong place fails the build.
func TestTKGBuildsThatWouldNotInstallKubernetes(t *testing.T) {
	t.Parallel()
	requireStandInTools(t)
	src, err := os.ReadFile(filepath.Join("testdata", "tkg-config", "v1.30.2+vmware.1-tkg.1", "tkg.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(vars map[string]any)
		// remove is a file of the configuration to delete.
		remove string
		// refused: the error before anything starts; failed: the build's failure.
		refused, failed string
	}{
		{name: "no goss spec for the cell", edit: func(map[string]any) {}, remove: "goss/goss.yaml",
			refused: "TKG configuration tkg-config/x has no goss spec for it: want goss/vsphere-ubuntu-1.30.2+vmware.1-goss-spec.yaml or goss/goss.yaml"},
		{name: "CNI type left at Image Builder's default", edit: func(v map[string]any) { delete(v, "kubernetes_cni_source_type") },
			refused: `kubernetes_cni_source_type is "pkg" (set by Image Builder's default (packer/config/cni.json)), want "http"`},
		{name: "packages instead of the bundle", edit: func(v map[string]any) { v["kubernetes_source_type"] = "pkg" },
			refused: `kubernetes_source_type is "pkg" (set by tkg-config/x/tkg.json`},
		{name: "no containerd from the bundle", edit: func(v map[string]any) { delete(v, "containerd_url") },
			refused: "containerd_url is empty"},
		{name: "upstream's sandbox image", edit: func(v map[string]any) { v["pause_image"] = "registry.k8s.io/pause:3.9" },
			refused: `pause_image is "registry.k8s.io/pause:3.9" (set by tkg-config/x/tkg.json): want the TKr's sandbox image from projects.registry.vmware.com/tkg`},
		{name: "another TKr's configuration", edit: func(v map[string]any) { v["kubernetes_semver"] = "v1.29.6+vmware.1" },
			refused: `kubernetes_semver is "v1.29.6+vmware.1" (set by tkg-config/x/tkg.json`},
		{name: "containerd checksum of another archive", edit: func(v map[string]any) { v["containerd_sha256"] = strings.Repeat("0", 64) },
			failed: "The checksum for http://127.0.0.1:"},
		{name: "a bundle address without the placeholder", edit: func(v map[string]any) { v["kubernetes_http_source"] = "http://127.0.0.1:1/files/kubernetes" },
			refused: `kubernetes_http_source is "http://127.0.0.1:1/files/kubernetes" (set by tkg-config/x/tkg.json): want a file of the TKr's resource bundle at http://`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			r, err := os.OpenRoot(root)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if err := tree.Copy(filepath.Join("testdata", "tkg-config", "v1.30.2+vmware.1-tkg.1"), r, filepath.Join("tkg-config", "x")); err != nil {
				t.Fatal(err)
			}
			var vars map[string]any
			if err := json.Unmarshal(src, &vars); err != nil {
				t.Fatal(err)
			}
			tt.edit(vars)
			data, _ := json.Marshal(vars)
			if err := os.WriteFile(filepath.Join(root, "tkg-config", "x", "tkg.json"), data, 0o644); err != nil {
				t.Fatal(err)
			}
			if tt.remove != "" {
				if err := os.Remove(filepath.Join(root, "tkg-config", "x", filepath.FromSlash(tt.remove))); err != nil {
					t.Fatal(err)
				}
			}
			sum, err := tree.Digest(filepath.Join(root, "tkg-config", "x"))
			if err != nil {
				t.Fatal(err)
			}
			c := tkgCell()
			c.TKGConfig = &record.Folder{Path: "tkg-config/x", SHA256: sum}
			o := makeOptions(t)
			o.VarsRoot = root
			standInDocker(t, &o)
			res, err := Build(context.Background(), c, o)
			if tt.refused != "" {
				if err == nil || !strings.Contains(err.Error(), tt.refused) || res.Path != "" {
					t.Fatalf("Build = %v (record %q); want it refused before anything starts with %q", err, res.Path, tt.refused)
				}
				if _, err := os.Stat(filepath.Join(o.WorkDir, c.ID)); !os.IsNotExist(err) {
					t.Errorf("the refused build left its workspace: %v", err)
				}
				return
			}
			if err == nil || res.Record.Failure == nil || !strings.Contains(res.Record.Failure.Reason+readLog(t, res), tt.failed) {
				t.Fatalf("Build = %v, record failure %+v; want a failed build whose log says %q:\n%s", err, res.Record.Failure, tt.failed, readLog(t, res))
			}
			if res.Record.Artifacts.OVA != nil {
				t.Error("a failed build kept its OVA")
			}
		})
	}
}

// readLog is the build log of a result.
func readLog(t *testing.T, res Result) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(filepath.Dir(res.Path), res.Record.Log))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestTwoCellsInOneWorkDir(t *testing.T) {
	t.Parallel()
	requireStandInTools(t)
	o := makeOptions(t)
	cells := []record.Cell{vsphereCell("ubuntu-2204", "22.04"), vsphereCell("ubuntu-2404", "24.04")}
	results := make([]Result, len(cells))
	errs := make([]error, len(cells))
	var wg sync.WaitGroup
	for i, c := range cells {
		wg.Go(func() { results[i], errs[i] = Build(context.Background(), c, o) })
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, c := range cells {
		if errs[i] != nil {
			t.Fatalf("cell %s: %v\n%s", c.ID, errs[i], o.Console)
		}
		o2 := results[i].Record.Artifacts.OVA
		if o2.Properties["DISTRO_VERSION"] != c.OS.Version {
			t.Errorf("cell %s got the OVA of another cell: DISTRO_VERSION %s", c.ID, o2.Properties["DISTRO_VERSION"])
		}
		if !strings.HasPrefix(results[i].Path, filepath.Join(o.WorkDir, c.ID)+string(filepath.Separator)) {
			t.Errorf("record %s is outside the cell's workspace", results[i].Path)
		}
		if seen[o2.SHA256] {
			t.Error("two cells produced the same OVA")
		}
		seen[o2.SHA256] = true
	}
}

// expiring is a context whose deadline passes when expire is called, so a test ends a build's
// time when the build is where the test wants it, not when a clock races a loaded machine.
// A context made from it (context.WithTimeout) ends with DeadlineExceeded too.
type expiring struct {
	context.Context
	done   chan struct{}
	expire func()
}

func newExpiring() *expiring {
	e := &expiring{Context: context.Background(), done: make(chan struct{})}
	e.expire = sync.OnceFunc(func() { close(e.done) })
	return e
}

func (e *expiring) Done() <-chan struct{} { return e.done }

func (e *expiring) Err() error {
	select {
	case <-e.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

func TestTimeoutLeavesNoProcess(t *testing.T) {
	t.Parallel()
	requireStandInTools(t)
	c := vsphereCell("ubuntu-2204", "22.04")
	o := makeOptions(t, "STANDIN_HANG=provision")
	// The build's time runs out once the stand-in hangs (it writes its pid then); the
	// --timeout only bounds a stand-in that neither hangs nor ends.
	o.Timeout, o.Grace = 5*time.Minute, 500*time.Millisecond
	pidFile := filepath.Join(o.WorkDir, c.ID, "packer-cache", "standin-hang.pid")
	ctx := newExpiring()
	type result struct {
		res Result
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := Build(ctx, c, o)
		done <- result{res, err}
	}()
	var pidData []byte
	var got result
	for finished := false; !finished; {
		select {
		case got = <-done:
			finished = true
		case <-time.After(50 * time.Millisecond):
			if data, err := os.ReadFile(pidFile); err == nil && strings.Count(string(data), " ") == 1 && strings.HasSuffix(string(data), "\n") {
				pidData = data
				ctx.expire()
			}
		}
	}
	if pidData == nil {
		t.Fatalf("the stand-in never hung: Build returned %v\n%s", got.err, o.Console)
	}
	if got.err == nil {
		t.Fatal("Build succeeded past its timeout")
	}
	rec := got.res.Record
	if rec.Status != record.BuildFailed || rec.Failure == nil || rec.Failure.Class != record.FailureTimeout || rec.Attempts != 1 ||
		!strings.Contains(rec.Failure.Reason, "ran past --timeout") {
		t.Fatalf("record = %+v", rec)
	}
	fields := strings.Fields(string(pidData))
	pid, _ := strconv.Atoi(fields[0])
	pgid, _ := strconv.Atoi(fields[1])
	if alive(pid) {
		t.Errorf("the hanging stand-in (pid %d) survived the timeout", pid)
	}
	if left := groupMembers(t, pgid); len(left) > 0 {
		t.Errorf("process group %d still has running processes after the timeout: %v", pgid, left)
	}
	if entries, _ := os.ReadDir(filepath.Join(o.WorkDir, c.ID, "output")); len(entries) > 1 {
		t.Errorf("a timed-out build left outputs: %v", entries)
	}
}

// procStat returns the state and process group of pid from /proc; ok is false when it is gone.
func procStat(pid int) (state string, pgid int, ok bool) {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return "", 0, false
	}
	// pid (comm) state ppid pgrp ...; comm may hold spaces, so split after its ')'.
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(fields) < 3 {
		return "", 0, false
	}
	pgid, _ = strconv.Atoi(fields[2])
	return fields[0], pgid, true
}

// alive reports whether pid is a running (not zombie) process.
func alive(pid int) bool {
	state, _, ok := procStat(pid)
	return ok && state != "Z"
}

// groupMembers lists the live (not zombie) processes of process group pgid. A zombie has
// ended; it only waits for a parent that is gone to be reaped by init.
func groupMembers(t *testing.T, pgid int) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var live []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if state, g, ok := procStat(pid); ok && g == pgid && state != "Z" {
			live = append(live, pid)
		}
	}
	return live
}

func TestRetries(t *testing.T) {
	t.Parallel()
	requireStandInTools(t)
	tests := []struct {
		name     string
		env      []string
		retries  int
		status   string
		class    string
		attempts int
		reason   string
	}{
		{name: "transient retried until it passes", env: []string{"STANDIN_TRANSIENT_FAILURES=2"}, retries: 2, status: record.BuildSucceeded, attempts: 3},
		{name: "transient out of retries", env: []string{"STANDIN_TRANSIENT_FAILURES=3", "STANDIN_TRANSIENT_MESSAGE=Error: Storage allocation failure on datastore1"}, retries: 1, status: record.BuildFailed, class: record.FailureTransient, attempts: 2, reason: "vSphere storage allocation failure"},
		{name: "goss failure not retried", env: []string{"STANDIN_FAIL_PHASE=goss"}, retries: 2, status: record.BuildFailed, class: record.FailurePermanent, attempts: 1, reason: "goss validation failed"},
		{name: "unknown failure not retried", env: []string{"STANDIN_FAIL_PHASE=provision", "STANDIN_FAIL_MESSAGE=fatal: something odd"}, retries: 2, status: record.BuildFailed, class: record.FailurePermanent, attempts: 1, reason: "no known transient error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := makeOptions(t, tt.env...)
			o.Retries = tt.retries
			o.Out = filepath.Join(t.TempDir(), "out")
			res, err := Build(context.Background(), vsphereCell("ubuntu-2204", "22.04"), o)
			rec := res.Record
			// What the workflow uploads, failed or not: the record and the log in --out.
			if want := filepath.Join(o.Out, RecordName); res.Path != want {
				t.Errorf("record at %s, want %s", res.Path, want)
			}
			if log, err := os.ReadFile(filepath.Join(o.Out, rec.Log)); err != nil || len(log) == 0 {
				t.Errorf("log %s beside the record: %v (%d bytes)", rec.Log, err, len(log))
			}
			if (err == nil) != (tt.status == record.BuildSucceeded) || rec.Status != tt.status || rec.Attempts != tt.attempts {
				t.Fatalf("err = %v, status %s after %d attempts; want %s after %d\n%s", err, rec.Status, rec.Attempts, tt.status, tt.attempts, o.Console)
			}
			if tt.class == "" {
				return
			}
			if rec.Failure == nil || rec.Failure.Class != tt.class || !strings.Contains(rec.Failure.Reason, tt.reason) {
				t.Errorf("failure = %+v, want class %s and reason with %q", rec.Failure, tt.class, tt.reason)
			}
			if rec.ExitCode == 0 {
				t.Error("a failed build records exit code 0")
			}
			if rec.Artifacts.OVA != nil {
				t.Error("a failed build records an OVA")
			}
		})
	}
}

func TestMissingMakeTarget(t *testing.T) {
	t.Parallel()
	requireStandInTools(t)
	c := vsphereCell("rockylinux-9", "9") // Image Builder v0.1.55 has it, the stand-in does not
	c.OS.Name = "rockylinux"
	o := makeOptions(t)
	res, err := Build(context.Background(), c, o)
	if err == nil || res.Record.Failure == nil || res.Record.Failure.Class != record.FailurePermanent || res.Record.Attempts != 1 {
		t.Fatalf("err = %v, record = %+v", err, res.Record)
	}
	mustContain(t, "reason", res.Record.Failure.Reason, "missing make target")
}

// buildsVersion makes Image Builder build another Kubernetes version than the cell's, as when
// its own defaults win: the run's imagegrid.json is edited before it starts.
func buildsVersion(version string) func(t *testing.T, ws string) {
	return func(t *testing.T, ws string) {
		vars := filepath.Join(ws, "vars", "imagegrid.json")
		data, err := os.ReadFile(vars)
		if err != nil {
			t.Fatal(err)
		}
		data = []byte(strings.Replace(string(data), `"v1.30.2"`, `"`+version+`"`, 1))
		if err := os.WriteFile(vars, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// With the make executor the checkout's own targets decide, not the release table: v0.1.13
// has no ubuntu-2404 OVA, the stand-in checkout does.
func TestMakeExecutorTrustsTheCheckoutsTargets(t *testing.T) {
	t.Parallel()
	requireStandInTools(t)
	c := vsphereCell("ubuntu-2404", "24.04")
	c.ImageBuilder.Version = "v0.1.13"
	o := makeOptions(t)
	if _, err := Build(context.Background(), c, o); err != nil {
		t.Fatalf("Build: %v\n%s", err, o.Console)
	}
}

func TestVerificationFailures(t *testing.T) {
	t.Parallel()
	requireStandInTools(t)
	tests := []struct {
		name   string
		cell   func(t *testing.T) record.Cell
		before func(t *testing.T, ws string) // runs before Image Builder
		after  func(t *testing.T, ws string) // runs after Image Builder succeeded
		skipIB bool                          // Image Builder "succeeds" without running
		env    []string                      // for the stand-in
		want   string
	}{
		{
			name:   "properties disagree with the cell",
			cell:   func(t *testing.T) record.Cell { return vsphereCell("ubuntu-2204", "22.04") },
			before: buildsVersion("v1.29.6"),
			want:   `this run built kubernetes_semver "v1.29.6", the cell wants "v1.30.2"`,
		},
		{
			name:   "AMI manifest of another Kubernetes version",
			cell:   func(t *testing.T) record.Cell { return awsCell() },
			before: buildsVersion("v1.29.6"),
			want:   `this run built kubernetes_version "v1.29.6", the cell wants "v1.30.2"`,
		},
		{
			name: "OVF distro disagrees with the cell",
			cell: func(t *testing.T) record.Cell {
				c := vsphereCell("ubuntu-2204", "22.04")
				c.OS.Arch = "arm64"
				return c
			},
			want: `OVF property DISTRO_ARCH is "amd64", want "arm64"`,
		},
		{
			name: "wrong digest",
			cell: func(t *testing.T) record.Cell { return vsphereCell("ubuntu-2204", "22.04") },
			after: func(t *testing.T, ws string) {
				sums, _ := filepath.Glob(filepath.Join(ws, "output", "*.ova.sha256"))
				if len(sums) != 1 {
					t.Fatalf("sha256 files: %v", sums)
				}
				if err := os.WriteFile(sums[0], []byte(strings.Repeat("0", 64)+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			want: ".ova.sha256 says 0000",
		},
		{
			name: "a manifest left by an earlier run is not taken for this run's",
			cell: func(t *testing.T) record.Cell { return vsphereCell("ubuntu-2204", "22.04") },
			after: func(t *testing.T, ws string) {
				manifest := `{"builds":[{"name":"vsphere","packer_run_uuid":"aaaa"}],"last_run_uuid":"aaaa"}`
				if err := os.WriteFile(filepath.Join(ws, "output", "packer-manifest.json"), []byte(manifest), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			skipIB: true,
			want:   "the Image Builder run succeeded but wrote no packer manifest",
		},
		// Image Builder succeeded, but the disk is not a working Cluster API node image.
		{
			name: "node image without kubectl",
			cell: func(t *testing.T) record.Cell { return vsphereCell("ubuntu-2204", "22.04") },
			env:  []string{"STANDIN_NODE_BREAK=missing-kubectl"},
			want: "node image inspection failed: kubectl: found missing, want v1.30.2 (/usr/bin, /usr/local/bin",
		},
		{
			name: "node image with cloud-init disabled",
			cell: func(t *testing.T) record.Cell { return vsphereCell("ubuntu-2204", "22.04") },
			env:  []string{"STANDIN_NODE_BREAK=cloud-init-disabled"},
			want: "(/etc/cloud/cloud-init.disabled)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := tt.cell(t)
			o := makeOptions(t, tt.env...)
			ws := filepath.Join(o.WorkDir, c.ID)
			real := ProcessExec(time.Second)
			if tt.skipIB { // an earlier run's manifest is already there
				if err := os.MkdirAll(filepath.Join(ws, "output"), 0o755); err != nil {
					t.Fatal(err)
				}
				tt.after(t, ws)
			}
			o.Exec = func(ctx context.Context, cmd Command, out io.Writer) error {
				if tt.skipIB {
					return nil
				}
				if tt.before != nil {
					tt.before(t, ws)
				}
				err := real(ctx, cmd, out)
				if err == nil && tt.after != nil {
					tt.after(t, ws)
				}
				return err
			}
			res, err := Build(context.Background(), c, o)
			if err == nil {
				t.Fatal("Build succeeded")
			}
			f := res.Record.Failure
			if f == nil || f.Class != record.FailureVerification || !strings.Contains(f.Reason, tt.want) {
				t.Fatalf("failure = %+v, want verification with %q", f, tt.want)
			}
			if found, _ := filepath.Glob(filepath.Join(ws, "output", "*.ova")); len(found) > 0 {
				t.Errorf("an OVA that failed verification was left behind: %v", found)
			}
		})
	}
}

func TestValidateOnlyWithStandIn(t *testing.T) {
	t.Parallel()
	requireStandInTools(t)
	o := makeOptions(t)
	o.Environ = os.Environ() // no credentials: validation needs none
	for _, c := range []record.Cell{vsphereCell("ubuntu-2204", "22.04"), awsCell(), tkgCell(), windowsCell(t, "autounattend.xml")} {
		o.ValidateOnly = true
		fake := newFakeDocker(c.ImageBuilder.Image)
		o.Exec = fake.exec
		res, err := Build(context.Background(), c, o)
		if err != nil {
			t.Fatalf("cell %s: %v\n%s", c.ID, err, o.Console)
		}
		if res.Record.Status != record.BuildValidated || !res.Record.ValidateOnly || res.Record.Artifacts.OVA != nil {
			t.Errorf("cell %s: record = %+v", c.ID, res.Record)
		}
		if lines := fake.dockerLines(); len(lines) > 0 {
			t.Errorf("cell %s: validation ran docker: %v", c.ID, lines)
		}
		if got := fake.commands[0].Args[2]; got != c.Target.Validate {
			t.Errorf("cell %s: ran %s, want %s", c.ID, got, c.Target.Validate)
		}
	}
}

// TestBuildPhotonInspectsItsLayout: the stand-in lays Photon's disk out as Photon does
// (cloud-init in python3.11/site-packages), and the inspection finds it there.
func TestBuildPhotonInspectsItsLayout(t *testing.T) {
	t.Parallel()
	requireStandInTools(t)
	c := vsphereCell("photon-5", "5")
	c.OS.Name = "photon"
	o := makeOptions(t)
	res, err := Build(context.Background(), c, o)
	if err != nil {
		t.Fatalf("Build: %v\n%s", err, o.Console)
	}
	rep := nodeImageReport(t, res.Record, record.NodeImageSourceInspection)
	if rep.Verdict != record.NodeImagePassed {
		t.Fatalf("inspection report %+v", rep)
	}
	for _, c := range rep.Checks {
		if c.Name == "cloud-init" && c.Where != "/usr/lib/python3.11/site-packages/cloudinit/version.py" {
			t.Errorf("cloud-init read from %s", c.Where)
		}
	}
}

// TestRebuildStampsItsOwnValues: Image Builder's hack/image-build-ova.py takes the OVF's
// properties from builds[0] of packer-manifest.json, and packer appends to that file, so a
// manifest left by the first build would stamp the first build's values into the second's OVA.
func TestRebuildStampsItsOwnValues(t *testing.T) {
	t.Parallel()
	requireStandInTools(t)
	o := makeOptions(t)
	for _, containerd := range []string{"1.7.20", "1.7.22"} {
		c := vsphereCell("ubuntu-2204", "22.04")
		c.Vars = map[string]string{"containerd_version": containerd}
		res, err := Build(context.Background(), c, o)
		if err != nil {
			t.Fatalf("Build with containerd %s: %v\n%s", containerd, err, o.Console)
		}
		if got := res.Record.Artifacts.OVA.Properties["CONTAINERD_VERSION"]; got != containerd {
			t.Errorf("build with containerd %s made an OVA saying CONTAINERD_VERSION %s", containerd, got)
		}
		m, err := imagebuilder.ReadManifest(filepath.Join(o.WorkDir, c.ID, "output", "packer-manifest.json"))
		if err != nil || len(m.Builds) != 1 {
			t.Errorf("packer-manifest.json after build with containerd %s: %d builds, %v; want this build's only", containerd, len(m.Builds), err)
		}
	}
}

// TestMissingRoleFailsLikeAnsible: a role folder Image Builder cannot use fails the build as
// Ansible fails the play.
func TestMissingRoleFailsLikeAnsible(t *testing.T) {
	t.Parallel()
	requireStandInTools(t)
	c := vsphereCell("ubuntu-2204", "22.04")
	c.Roles = []record.Folder{*folder("roles/no-tasks")}
	o := makeOptions(t)
	res, err := Build(context.Background(), c, o)
	if err == nil || res.Record.Status != record.BuildFailed {
		t.Fatalf("Build = %v, status %s; want a failed build", err, res.Record.Status)
	}
	mustContain(t, "log", readLog(t, res), "ERROR! the role '"+filepath.Join(o.WorkDir, c.ID, "roles", "01-no-tasks")+"' has no tasks/main.yml")
}

// TestStandInFindsBoto3 runs the stand-in's choice of interpreter for the AMI step: python3
// when it has boto3, else the python3 beside moto_server's real path (its venv, where pipx or
// .ci/install put it), else python3 (which then says boto3 is missing).
func TestStandInFindsBoto3(t *testing.T) {
	t.Parallel()
	script := filepath.Join(standIn, "hack", "python-aws")
	tests := []struct {
		name        string
		systemBoto3 bool
		motoVenv    bool
		want        string
	}{
		{name: "python3 has boto3", systemBoto3: true, motoVenv: true, want: "system x.py"},
		{name: "boto3 only in moto's venv", motoVenv: true, want: "venv x.py"},
		{name: "no boto3 anywhere", want: "system x.py"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			exit := "1"
			if tt.systemBoto3 {
				exit = "0"
			}
			sh := func(path, body string) {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			sh(filepath.Join(dir, "bin", "python3"), `[ "$1" = -c ] && exit `+exit+`; echo system "$@"`)
			if tt.motoVenv {
				sh(filepath.Join(dir, "venv", "bin", "python3"), `echo venv "$@"`)
				sh(filepath.Join(dir, "venv", "bin", "moto_server"), "exit 0")
				if err := os.Symlink(filepath.Join(dir, "venv", "bin", "moto_server"), filepath.Join(dir, "bin", "moto_server")); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command(script, "x.py")
			cmd.Env = []string{"PATH=" + filepath.Join(dir, "bin") + ":/usr/bin:/bin"}
			out, err := cmd.CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != tt.want {
				t.Fatalf("python-aws ran %q (%v), want %q", out, err, tt.want)
			}
		})
	}
}
