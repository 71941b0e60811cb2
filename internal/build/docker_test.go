package build

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/syncbuf"
	"github.com/imagegrid/imagegrid/internal/testutil/golden"
)

// dockerOptions use the docker executor with a fixed work dir that dry runs never create.
func dockerOptions(workDir string) Options {
	return Options{
		WorkDir: workDir, VarsRoot: "testdata", Executor: ExecutorDocker,
		HostWork: "/srv/runner/work", InContainer: func() bool { return true },
		Environ: []string{"PATH=/usr/bin"}, BundleHost: "10.1.2.3", BundlePort: 3999,
		Timeout: time.Minute, Grace: 100 * time.Millisecond, Retries: 1, Backoff: time.Millisecond,
	}
}

func TestDryRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		cell   func() record.Cell
		opts   func(o *Options)
		golden string
	}{
		{
			name:   "docker tkg vsphere with env file",
			cell:   tkgCell,
			opts:   func(o *Options) { o.EnvFile = "testdata/creds.env" },
			golden: "dry-run-docker-tkg-vsphere.golden",
		},
		{
			name:   "docker aws credentials from the environment",
			cell:   awsCell,
			opts:   func(o *Options) { o.Environ = append(o.Environ, testCreds...) },
			golden: "dry-run-docker-aws.golden",
		},
		{
			name: "make vsphere credentials in a var file",
			cell: func() record.Cell {
				c := vsphereCell("ubuntu-2204", "22.04")
				c.VarFiles = []record.VarFile{varFileAt("vsphere.json")}
				return c
			},
			opts: func(o *Options) {
				o.Executor, o.ImageBuilderDir, o.HostWork = ExecutorMake, "testdata/fake-capi", ""
			},
			golden: "dry-run-make-vsphere.golden",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out strings.Builder
			o := dockerOptions("/ci/work")
			o.DryRun, o.Console = true, &out
			tt.opts(&o)
			calls := 0
			o.Exec = func(context.Context, Command, io.Writer) error { calls++; return nil }
			res, err := Build(context.Background(), tt.cell(), o)
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			if calls != 0 || res.Path != "" {
				t.Errorf("a dry run ran %d commands and wrote %q", calls, res.Path)
			}
			if _, err := os.Stat("/ci/work"); err == nil {
				t.Error("a dry run created the work dir")
			}
			got := strings.ReplaceAll(out.String(), mustAbs(t, "testdata"), "<testdata>")
			for _, secret := range []string{"env-file-pw-123", "s3cret-aws-secret-key", "AKIATESTKEYID0000000", "var-file-pw-123"} {
				if strings.Contains(got, secret) {
					t.Errorf("the dry run printed the secret %q", secret)
				}
			}
			golden.Check(t, filepath.Join("testdata", tt.golden), got)
		})
	}
}

func mustAbs(t *testing.T, p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// varFileAt is varFile without a testing.T, for table fields.
func varFileAt(name string) record.VarFile {
	data, err := os.ReadFile(filepath.Join("testdata", "vars", name))
	if err != nil {
		panic(err)
	}
	return record.VarFile{Path: "vars/" + name, SHA256: testKeyBytes(data)}
}

func TestDockerExecutorCommands(t *testing.T) {
	t.Parallel()
	c := tkgCell()
	ibRun := func(work string) string {
		return "docker run --rm --name imagegrid-" + c.ID + " --net=host -v /srv/runner/work/" + c.ID + ":/home/imagebuilder/imagegrid" +
			" --env-file testdata/creds.env" +
			" -e 'PACKER_VAR_FILES=/home/imagebuilder/imagegrid/vars/imagegrid.json /home/imagebuilder/imagegrid/vars/placement.json /home/imagebuilder/imagegrid/vars/vsphere-credentials.json /home/imagebuilder/imagegrid/vars/tkg.json /home/imagebuilder/imagegrid/vars/customisation.json'" +
			" -e PACKER_CACHE_DIR=/home/imagebuilder/imagegrid/packer-cache" +
			" -e OVF_CUSTOM_PROPERTIES=/home/imagebuilder/imagegrid/vars/metadata.json -e IB_OVFTOOL=1 -e PACKER_FLAGS=-force " +
			c.ImageBuilder.Image + " " + c.Target.Build
	}
	bundleStart := "docker run -d --name imagegrid-bundle-" + c.ID + " -p 3999:3000 " + c.Kubernetes.ResourceBundle
	bundleStop := "docker rm -f imagegrid-bundle-" + c.ID
	tests := []struct {
		name     string
		onDocker func(ctx context.Context, cmd Command, out io.Writer) error
		timeout  time.Duration
		class    string
		want     func(work string) []string
	}{
		{
			name: "failed build still stops the bundle",
			onDocker: func(_ context.Context, _ Command, out io.Writer) error {
				io.WriteString(out, "Build 'vsphere' errored: goss non-zero exit status (password env-file-pw-123)\n")
				return &ExitError{Command: "docker", Code: 2}
			},
			timeout: time.Minute, class: record.FailurePermanent,
			want: func(work string) []string { return []string{bundleStart, ibRun(work), bundleStop} },
		},
		{
			name: "timeout removes the container and stops the bundle",
			onDocker: func(ctx context.Context, _ Command, out io.Writer) error {
				io.WriteString(out, "==> vsphere-iso: Waiting for SSH to become available...\n")
				<-ctx.Done()
				return ctx.Err()
			},
			timeout: 200 * time.Millisecond, class: record.FailureTimeout,
			want: func(work string) []string {
				return []string{bundleStart, ibRun(work), "docker rm -f imagegrid-" + c.ID, bundleStop}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			work := t.TempDir()
			o := dockerOptions(work)
			o.EnvFile, o.Timeout = "testdata/creds.env", tt.timeout
			o.Console = &syncbuf.Buffer{}
			fake := newFakeDocker(c.ImageBuilder.Image)
			fake.onDocker = tt.onDocker
			o.Exec = fake.exec
			res, err := Build(context.Background(), c, o)
			if err == nil || res.Record.Failure == nil || res.Record.Failure.Class != tt.class {
				t.Fatalf("err = %v, record = %+v; want a %s failure", err, res.Record, tt.class)
			}
			got, want := strings.Join(fake.dockerLines(), "\n"), strings.Join(tt.want(work), "\n")
			if got != want {
				t.Errorf("docker commands:\n%s\nwant:\n%s", got, want)
			}
			logData, err := os.ReadFile(filepath.Join(work, c.ID, "build.log"))
			if err != nil {
				t.Fatal(err)
			}
			for _, text := range []string{string(logData), o.Console.(*syncbuf.Buffer).String()} {
				if strings.Contains(text, "env-file-pw-123") {
					t.Errorf("a secret reached the log or console:\n%s", text)
				}
			}
			if _, err := os.Stat(filepath.Join(work, c.ID, "vars", "vsphere-credentials.json")); !os.IsNotExist(err) {
				t.Errorf("credentials var file left behind: %v", err)
			}
		})
	}
}

func TestHostWorkFromMounts(t *testing.T) {
	t.Parallel()
	const job = "testdata/mountinfo/container-job"
	tests := []struct {
		name, mountinfo, work string
		want, err             string
	}{
		{name: "runner temp of a container job", mountinfo: job, work: "/__w/_temp/imagegrid/work", want: "/home/runner/work/_temp/imagegrid/work"},
		{name: "checkout of a container job", mountinfo: job, work: "/__w/repo/repo/work", want: "/home/runner/work/repo/repo/work"},
		{name: "the mount point itself", mountinfo: job, work: "/__w", want: "/home/runner/work"},
		{name: "escaped space in the source", mountinfo: job, work: "/builds/w", want: "/home/runner/my builds/w"},
		{name: "not a prefix at a path boundary", mountinfo: job, work: "/__work/w", err: "/__work/w is on the container's own file system (overlay at /"},
		{name: "container's own layers", mountinfo: job, work: "/tmp/work", err: "/tmp/work is on the container's own file system (overlay at /"},
		{name: "container's memory", mountinfo: job, work: "/dev/shm/work", err: "(tmpfs at /dev/shm in testdata/mountinfo/container-job)"},
		{name: "malformed table", mountinfo: "testdata/mountinfo/truncated", work: "/__w/w", err: "testdata/mountinfo/truncated:2: want"},
		{name: "no table", mountinfo: "testdata/mountinfo/absent", work: "/__w/w", err: "mount table: open testdata/mountinfo/absent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, _, err := hostWorkFromMounts(tt.mountinfo, tt.work)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("host work = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestDockerInContainerJob runs the docker executor as in a container job with no host-work:
// the mount it hands the daemon is the host path from the mount table, and build says so.
func TestDockerInContainerJob(t *testing.T) {
	t.Parallel()
	o := dockerOptions("/__w/_temp/work")
	o.HostWork, o.MountInfo, o.ValidateOnly = "", "testdata/mountinfo/container-job", true
	console := &syncbuf.Buffer{}
	o.Console = console
	p, err := prepare(awsCell(), withDefaults(o))
	if err != nil {
		t.Fatal(err)
	}
	d := p.exec.(dockerExecutor)
	if want := "/home/runner/work/_temp/work/" + awsCell().ID; d.hostWorkspace != want {
		t.Errorf("host workspace %s, want %s", d.hostWorkspace, want)
	}
	mustContain(t, "console", console.String(), "host path of the work dir /__w/_temp/work is /home/runner/work/_temp/work, from the mount table (/home/runner/work/_temp mounted at /__w/_temp)")
}

func TestInterruptedBuildCleansUp(t *testing.T) {
	t.Parallel()
	c := tkgCell()
	work := t.TempDir()
	o := dockerOptions(work)
	o.EnvFile, o.Console = "testdata/creds.env", &syncbuf.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	fake := newFakeDocker(c.ImageBuilder.Image)
	fake.onDocker = func(runCtx context.Context, _ Command, _ io.Writer) error {
		cancel() // SIGTERM to build while Image Builder runs
		<-runCtx.Done()
		return runCtx.Err()
	}
	o.Exec = fake.exec
	res, err := Build(ctx, c, o)
	if err == nil || res.Record.Failure == nil || !strings.HasPrefix(res.Record.Failure.Reason, "interrupted") {
		t.Fatalf("err = %v, record = %+v", err, res.Record)
	}
	lines := fake.dockerLines()
	want := []string{"docker rm -f imagegrid-" + c.ID, "docker rm -f imagegrid-bundle-" + c.ID}
	if len(lines) != 4 || lines[2] != want[0] || lines[3] != want[1] {
		t.Errorf("docker commands after the interruption:\n%s\nwant the last two to be:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if _, err := os.Stat(res.Path); err != nil {
		t.Errorf("no record after an interruption: %v", err)
	}
}
