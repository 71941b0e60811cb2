package localpipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/imagegrid/imagegrid/internal/motoserver"
	"github.com/imagegrid/imagegrid/internal/record"
)

// DefaultCells are the cells a local run builds: one vSphere, one AWS, one Azure, of the
// shipped grid.
var DefaultCells = []string{
	"id=vsphere-ubuntu-2204-amd64-v1.30.2---vmware.1",
	"id=aws-ubuntu-2204-amd64-v1.30.2---vmware.1",
	"id=azure-ubuntu-2204-amd64-v1.30.2---vmware.1",
}

// Test credentials for the moto server; they grant nothing anywhere else.
const (
	motoAccessKey = "AKIAIOSFODNN7EXAMPLE"
	motoSecretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

// Options configure a local run.
type Options struct {
	// Root is the imagegrid checkout: matrices/, examples/catalog, testdata/imagebuilder.
	Root string
	// Work holds everything the run makes; it is emptied first.
	Work string
	// Only are matrix --only filters choosing the cells (default DefaultCells).
	Only []string
	// Out receives the progress and the final table.
	Out io.Writer
}

// run is one local run: its folders, its services and what it has done so far.
type run struct {
	Options
	bin, logs string
	started   time.Time
	vc        *vcenter
	moto      *motoserver.Server
	gallery   *gallery
}

// Run runs matrix → build → publish → catalog on this machine and prints what it made.
func Run(ctx context.Context, o Options) error {
	if len(o.Only) == 0 {
		o.Only = DefaultCells
	}
	var err error
	if o.Root, err = filepath.Abs(o.Root); err != nil {
		return err
	}
	if o.Work, err = filepath.Abs(o.Work); err != nil {
		return err
	}
	if err := ensureTools(ctx, o.Root, o.Out); err != nil {
		return err
	}
	r := &run{Options: o, bin: filepath.Join(o.Work, "bin"), logs: filepath.Join(o.Work, "logs"), started: time.Now()}
	defer r.stop()
	if err := emptyWork(o.Work); err != nil {
		return err
	}
	for _, dir := range []string{r.bin, r.logs} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	steps := []struct {
		name string
		do   func(context.Context) error
	}{
		{"compile matrix, build and publish", r.compile},
		{"matrix: choose the cells", r.matrix},
		{"start a vCenter simulator, a moto_server and a fake Azure gallery", r.services},
		{"build: run the Image Builder stand-in for each cell", r.build},
		{"catalog: a git repository with the example TKr catalog", r.catalog},
		{"publish: templates, AMIs, gallery versions and the catalog change", r.publish},
		{"matrix again: the catalog's ledger leaves nothing to build", r.replan},
	}
	for i, s := range steps {
		start := time.Now()
		fmt.Fprintf(o.Out, "==> %d/%d %s\n", i+1, len(steps), s.name)
		if err := s.do(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		fmt.Fprintf(o.Out, "    done in %s\n", time.Since(start).Round(100*time.Millisecond))
	}
	return r.report()
}

// workMarker marks a folder the pipeline made, so that it only ever empties its own.
const workMarker = ".imagegrid-pipeline"

// emptyWork empties work for a new run, refusing a folder with files the pipeline did not
// make (--work . by mistake must not delete a checkout), and marks it as the pipeline's.
func emptyWork(work string) error {
	entries, err := os.ReadDir(work)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("work folder: %w", err)
	}
	if len(entries) > 0 {
		if _, err := os.Stat(filepath.Join(work, workMarker)); err != nil {
			return fmt.Errorf("refusing to empty %s for the run: it holds files the pipeline did not make (choose another --work)", work)
		}
		if err := os.RemoveAll(work); err != nil {
			return fmt.Errorf("empty the work folder: %w", err)
		}
	}
	if err := os.MkdirAll(work, 0o755); err != nil {
		return fmt.Errorf("work folder: %w", err)
	}
	return os.WriteFile(filepath.Join(work, workMarker), []byte("made by go run ./cmd/pipeline; emptied by its next run\n"), 0o644)
}

func (r *run) stop() {
	if r.moto != nil {
		r.moto.Stop()
	}
	if r.vc != nil {
		r.vc.close()
	}
	if r.gallery != nil {
		r.gallery.close()
	}
}

func (r *run) cellsDir() string   { return filepath.Join(r.Work, "cells") }
func (r *run) buildDir() string   { return filepath.Join(r.Work, "build") }
func (r *run) publishDir() string { return filepath.Join(r.Work, "publish") }
func (r *run) catalogDir() string { return filepath.Join(r.Work, "catalog") }

// exampleCatalog is the TKr catalog the run starts from: every release of the shipped grid.
func (r *run) exampleCatalog() string { return filepath.Join(r.Root, "examples", "catalog") }

func (r *run) compile(ctx context.Context) error {
	// mknodedisk makes the stand-in's node image disks (testdata/imagebuilder hack/node-disk.sh);
	// fakegalleryd is the fake Azure.
	return r.command(ctx, "compile", nil, "go", "build", "-o", r.bin+string(filepath.Separator), "./cmd/matrix", "./cmd/build", "./cmd/publish",
		"./internal/testutil/nodeimage/mknodedisk", "./internal/testutil/fakegallery/fakegalleryd")
}

func (r *run) matrix(ctx context.Context) error {
	cells, err := r.matrixCells(ctx)
	if err != nil {
		return err
	}
	if len(cells) == 0 {
		return fmt.Errorf("no cell of matrices/ matches --only %s", strings.Join(r.Only, " --only "))
	}
	if err := checkReleases(r.exampleCatalog(), cells); err != nil {
		return err
	}
	for _, c := range cells {
		if err := record.WriteFile(filepath.Join(r.cellsDir(), c.ID+".json"), c); err != nil {
			return err
		}
		fmt.Fprintf(r.Out, "    cell %s (build key %s)\n", c.ID, c.ShortKey())
	}
	return nil
}

// matrixCells runs matrix over the chosen cells with extra flags and returns the cells to
// build. matrix lists every skipped cell on standard error: logs/matrix.log keeps them.
func (r *run) matrixCells(ctx context.Context, extra ...string) ([]record.Cell, error) {
	args := append([]string{"--matrices", "matrices", "--format", "json"}, extra...)
	for _, f := range r.Only {
		args = append(args, "--only", f)
	}
	log := filepath.Join(r.logs, "matrix.log")
	logFile, err := os.OpenFile(log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	var stdout bytes.Buffer
	cmd := exec.CommandContext(ctx, filepath.Join(r.bin, "matrix"), args...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = r.Root, baseEnv(), &stdout, logFile
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("matrix: %w (log: %s)", err, log)
	}
	return decodeCells(stdout.Bytes())
}

// decodeCells reads matrix's JSON array strictly, cell by cell.
func decodeCells(data []byte) ([]record.Cell, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("matrix output: %w", err)
	}
	cells := make([]record.Cell, len(raw))
	for i, m := range raw {
		c, err := record.Decode[record.Cell](fmt.Sprintf("matrix output [%d]", i), m, record.KindCell)
		if err != nil {
			return nil, err
		}
		cells[i] = c
	}
	return cells, nil
}

func (r *run) cells() ([]record.Cell, error) {
	files, err := filepath.Glob(filepath.Join(r.cellsDir(), "*.json"))
	if err != nil {
		return nil, err
	}
	var cells []record.Cell
	for _, f := range files {
		c, err := record.ReadFile[record.Cell](f, record.KindCell)
		if err != nil {
			return nil, err
		}
		cells = append(cells, c)
	}
	return cells, nil
}

func (r *run) services(ctx context.Context) error {
	cells, err := r.cells()
	if err != nil {
		return err
	}
	want, err := vsphereHints(cells)
	if err != nil {
		return err
	}
	if r.vc, err = startVCenter(ctx, want); err != nil {
		return err
	}
	fmt.Fprintf(r.Out, "    vCenter simulator at https://%s/sdk (certificate %s)\n", r.vc.host, r.vc.thumbprint)
	if r.moto, err = motoserver.Start(ctx); err != nil {
		return err
	}
	fmt.Fprintf(r.Out, "    moto_server at %s\n", r.moto.URL)
	if r.gallery, err = startGallery(ctx, r.bin, r.Work); err != nil {
		return err
	}
	fmt.Fprintf(r.Out, "    fake Azure gallery at %s\n", r.gallery.URL)
	return nil
}

// vsphereHints is the placement every vSphere cell asks for: one simulator serves one.
func vsphereHints(cells []record.Cell) (record.VSphereHints, error) {
	var want *record.VSphereHints
	for _, c := range cells {
		h := c.Publish.VSphere
		if h == nil {
			continue
		}
		if want != nil && *want != *h {
			return record.VSphereHints{}, fmt.Errorf("cell %s asks for another vSphere placement than the other cells; run them separately", c.ID)
		}
		want = h
	}
	if want == nil {
		return record.VSphereHints{}, nil
	}
	return *want, nil
}

// build runs build for every cell at once, as the matrix jobs of a workflow run side by side.
func (r *run) build(ctx context.Context) error {
	cells, err := r.cells()
	if err != nil {
		return err
	}
	env := append(baseEnv(), r.vcenterEnv("VSPHERE_")...)
	env = append(env, "VSPHERE_SERVER="+r.vc.host, "STANDIN_DOCKER_STATE="+filepath.Join(r.Work, "docker"),
		"STANDIN_MKNODEDISK="+filepath.Join(r.bin, "mknodedisk"))
	env = append(env, r.awsEnv()...)
	env = append(env, r.gallery.env()...)
	errs := make([]error, len(cells))
	var wg sync.WaitGroup
	for i, c := range cells {
		wg.Go(func() {
			errs[i] = r.command(ctx, "build "+c.ID, env, filepath.Join(r.bin, "build"),
				"--cell", filepath.Join(r.cellsDir(), c.ID+".json"),
				"--executor", "make", "--image-builder-dir", filepath.Join(r.Root, "testdata", "imagebuilder", "images", "capi"),
				"--work", r.buildDir(),
				"--docker", filepath.Join(r.Root, "testdata", "imagebuilder", "bin", "docker"), "--bundle-host", "127.0.0.1",
				"--timeout", "10m", "--retry-backoff", "2s")
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return r.gallery.seed(ctx, r.buildDir(), cells)
}

func (r *run) catalog(ctx context.Context) error {
	if err := os.CopyFS(r.catalogDir(), os.DirFS(r.exampleCatalog())); err != nil {
		return fmt.Errorf("copy examples/catalog: %w", err)
	}
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"},
		{"add", "-A"},
		{"-c", "user.name=imagegrid", "-c", "user.email=imagegrid@localhost", "commit", "-q", "-m", "The TKr catalog before imagegrid"},
	} {
		if err := r.command(ctx, "catalog", nil, "git", append([]string{"-C", r.catalogDir()}, args...)...); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) publish(ctx context.Context) error {
	config := filepath.Join(r.Work, "publish.yaml")
	doc := r.vc.publishConfig() + r.gallery.publishConfig()
	if err := os.WriteFile(config, []byte(doc), 0o644); err != nil {
		return err
	}
	env := append(append(append(baseEnv(), r.vcenterEnv("GOVC_")...), r.awsEnv()...), r.gallery.env()...)
	env = append(env, "GIT_AUTHOR_NAME=imagegrid", "GIT_AUTHOR_EMAIL=imagegrid@localhost", "GIT_COMMITTER_NAME=imagegrid", "GIT_COMMITTER_EMAIL=imagegrid@localhost")
	return r.command(ctx, "publish", env, filepath.Join(r.bin, "publish"),
		"--records", r.buildDir(), "--config", config, "--out", r.publishDir(), "--catalog-dir", r.catalogDir())
}

// replan runs matrix over the same cells with the ledger the catalog step wrote
// (images.json on the catalog branch): every cell just published must be skipped.
func (r *run) replan(ctx context.Context) error {
	cells, err := r.matrixCells(ctx, "--published", r.catalogDir())
	if err != nil {
		return err
	}
	if len(cells) > 0 {
		return fmt.Errorf("%d cells would be built again, starting with %s: the ledger in %s does not list their build keys", len(cells), cells[0].ID, filepath.Join(r.catalogDir(), "images.json"))
	}
	fmt.Fprintf(r.Out, "    every cell is already published (see %s)\n", filepath.Join(r.logs, "matrix.log"))
	return nil
}

func (r *run) vcenterEnv(prefix string) []string {
	return []string{prefix + "USERNAME=" + r.vc.username, prefix + "PASSWORD=" + r.vc.password}
}

func (r *run) awsEnv() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + motoAccessKey, "AWS_SECRET_ACCESS_KEY=" + motoSecretKey,
		"AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1", "AWS_ENDPOINT_URL=" + r.moto.URL,
		"AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
	}
}

// baseEnv is this process's environment without anything that would reach a real cloud or
// GitHub (ACTIONS_ID_TOKEN_REQUEST_* would sign in to Azure with GitHub OIDC): the local
// run talks to its simulator, moto and the fake gallery only.
func baseEnv() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool {
		for _, p := range []string{"AWS_", "AZURE_", "ACTIONS_", "SSL_CERT_", "GOVC_", "VSPHERE_", "GITHUB_", "INPUT_", "RUNNER_"} {
			if strings.HasPrefix(kv, p) {
				return true
			}
		}
		return false
	})
}

// command runs a step's program in the checkout. Its output goes to logs/<name>.log and to
// Out, each line behind "    [name] ".
func (r *run) command(ctx context.Context, name string, env []string, prog string, args ...string) error {
	path := filepath.Join(r.logs, strings.ReplaceAll(name, " ", "-")+".log")
	log, err := os.Create(path)
	if err != nil {
		return err
	}
	defer log.Close()
	out := &prefixed{mu: &outMu, w: r.Out, prefix: "    [" + name + "] "}
	defer out.Flush()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Dir = r.Root
	if env != nil {
		cmd.Env = env
	}
	cmd.Stdout = io.MultiWriter(log, out)
	cmd.Stderr = cmd.Stdout
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w (log: %s)", name, err, path)
	}
	return nil
}

// outMu keeps the lines of parallel steps whole on Out.
var outMu sync.Mutex
