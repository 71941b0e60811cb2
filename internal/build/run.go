package build

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/imagegrid/imagegrid/internal/ghoidc"
	"github.com/imagegrid/imagegrid/internal/inspect"
	"github.com/imagegrid/imagegrid/internal/record"
)

// cleanupTimeout bounds the commands that clean up after a build (stopping containers),
// which run even when the build's context has ended.
const cleanupTimeout = 2 * time.Minute

func run(ctx context.Context, p *recipe, o Options) (res Result, err error) {
	c, ws := p.cell, p.ws
	shared := o.Executor != ExecutorMake
	if err := ws.open(shared); err != nil {
		return Result{}, err
	}
	defer ws.close()
	for _, s := range p.creds.secrets {
		o.Actions.Mask(s)
	}
	if p.creds.signIn != "" {
		fmt.Fprintf(o.Console, "cell %s: %s signs in with %s\n", c.ID, c.Infra, p.creds.signIn)
	}
	if p.federatedToken != "" {
		token, err := ghoidc.Token(ctx, Getenv(o.Environ), ghoidc.AzureAudience, o.Actions.Mask)
		if err != nil {
			return Result{}, fmt.Errorf("cell %s: %w", c.ID, err)
		}
		p.creds.addSecret(token)
		p.files = append(p.files, file{path: p.federatedToken, data: []byte(token), secret: true})
	}
	defer func() {
		if rmErr := ws.removeSecrets(p.files); rmErr != nil && err == nil {
			err = fmt.Errorf("cell %s: remove credentials from the workspace: %w", c.ID, rmErr)
		}
	}()
	// Folders first: a file may go inside one (the answer file in the make executor's copy
	// of the checkout).
	if err := copyFolders(ws, append(p.checkout, p.folders...)); err != nil {
		return Result{}, fmt.Errorf("cell %s: %w", c.ID, err)
	}
	for _, f := range p.files {
		if err := ws.write(f, shared); err != nil {
			return Result{}, err
		}
	}
	logFile, err := ws.openLog()
	if err != nil {
		return Result{}, fmt.Errorf("cell %s: open log: %w", c.ID, err)
	}
	defer logFile.Close()

	rec := record.BuildRecord{
		APIVersion: record.APIVersion, Kind: record.KindBuildRecord,
		Cell: c, BuildKey: c.BuildKey, ValidateOnly: o.ValidateOnly,
		Started: time.Now().UTC(), ImageBuilderVersion: c.ImageBuilder.Version,
	}
	b := &builder{recipe: p, opts: o, log: logFile, rec: &rec}
	b.buildAndVerify(ctx)
	rec.Finished = time.Now().UTC()
	return b.finish()
}

// builder carries one build's run: the recipe, the log and the record being filled.
type builder struct {
	*recipe
	opts Options
	log  io.Writer
	rec  *record.BuildRecord
	// ova is the verified OVA's path, made relative to the record when it is written.
	ova string
	// goss is goss's JSON result from the log of the attempt that succeeded, if it printed one.
	goss []byte
	// galleryImageVersion is what the successful attempt printed as its gallery image version.
	galleryImageVersion string
}

func (b *builder) buildAndVerify(ctx context.Context) {
	if b.bundle != nil {
		if err := b.startBundle(ctx); err != nil {
			b.rec.Failure = &record.Failure{Class: record.FailurePermanent, Reason: err.Error()}
			return
		}
		defer b.stopBundle(ctx)
	}
	runCtx, cancel := context.WithTimeout(ctx, b.opts.Timeout)
	defer cancel()
	failure := b.attempts(runCtx)
	if failure == nil && !b.opts.ValidateOnly {
		failure = b.verify()
	}
	if failure == nil && !b.opts.ValidateOnly {
		failure = b.nodeImage()
	}
	b.rec.Failure = failure
	if failure != nil {
		if err := b.ws.clean(); err != nil {
			fmt.Fprintf(b.opts.Console, "cell %s: %v\n", b.cell.ID, err)
		}
	}
}

// attempts runs Image Builder until it succeeds, fails for good, runs out of retries or of
// time, and returns the failure, if any. Every attempt starts from an empty output dir.
func (b *builder) attempts(ctx context.Context) *record.Failure {
	cmd := b.exec.command(b.target, b.ibEnv, b.creds)
	for attempt := 1; ; attempt++ {
		b.rec.Attempts = attempt
		if err := b.ws.clean(); err != nil {
			return &record.Failure{Class: record.FailurePermanent, Reason: err.Error()}
		}
		fmt.Fprintf(b.log, "=== imagegrid: cell %s attempt %d/%d: %s\n", b.cell.ID, attempt, b.opts.Retries+1, cmd)
		st, err := b.runImageBuilder(ctx, cmd, attempt)
		if err == nil {
			b.rec.ExitCode = 0
			b.goss = st.goss.last
			b.galleryImageVersion = st.galleryImageVersion
			return nil
		}
		if ctx.Err() != nil {
			b.rec.ExitCode = -1
			return b.stopped(ctx)
		}
		exit := err.Error()
		var exitErr *ExitError
		if errors.As(err, &exitErr) {
			b.rec.ExitCode = exitErr.Code
			exit = fmt.Sprintf("Image Builder exited with code %d", exitErr.Code)
		}
		f := st.classifier.failure(exit, st.last)
		fmt.Fprintf(b.opts.Console, "cell %s: attempt %d failed (%s): %s\n", b.cell.ID, attempt, f.Class, f.Reason)
		if f.Class != record.FailureTransient || attempt > b.opts.Retries {
			return &f
		}
		wait := b.opts.Backoff << (attempt - 1)
		fmt.Fprintf(b.opts.Console, "cell %s: retrying in %s\n", b.cell.ID, wait)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return b.stopped(ctx)
		}
	}
}

// runImageBuilder runs one attempt, its output in a log group per phase.
func (b *builder) runImageBuilder(ctx context.Context, cmd Command, attempt int) (*stream, error) {
	start := time.Now()
	title := fmt.Sprintf("%s: Image Builder %s (attempt %d)", b.cell.ID, b.target, attempt)
	end := b.opts.Actions.Group(title)
	st := newStream(b.log, b.opts.Console, b.creds.secrets, func(phase string) {
		end()
		end = b.opts.Actions.Group(fmt.Sprintf("%s: %s phase after %s (attempt %d)", b.cell.ID, phase, time.Since(start).Round(time.Second), attempt))
	})
	err := b.opts.Exec(ctx, cmd, st)
	st.Close()
	end()
	return st, err
}

// stopped records why the run was stopped (runCtx ended) and removes what it left running.
func (b *builder) stopped(runCtx context.Context) *record.Failure {
	if cmd := b.exec.cleanup(); cmd != nil {
		b.cleanupCommand(runCtx, *cmd)
	}
	if !errors.Is(runCtx.Err(), context.DeadlineExceeded) {
		return &record.Failure{Class: record.FailureTimeout, Reason: "interrupted before Image Builder finished: " + context.Cause(runCtx).Error()}
	}
	return &record.Failure{Class: record.FailureTimeout, Reason: fmt.Sprintf("Image Builder ran past --timeout %s and was stopped", b.opts.Timeout)}
}

func (b *builder) startBundle(ctx context.Context) error {
	fmt.Fprintf(b.log, "=== imagegrid: start the resource bundle: %s\n", b.bundle.start())
	if err := b.opts.Exec(ctx, b.bundle.start(), b.log); err != nil {
		b.cleanupCommand(ctx, b.bundle.stop())
		return fmt.Errorf("start the TKG resource bundle %s: %w", b.bundle.image, err)
	}
	fmt.Fprintf(b.opts.Console, "cell %s: resource bundle %s serving at %s\n", b.cell.ID, b.bundle.image, b.bundle.url())
	return nil
}

func (b *builder) stopBundle(ctx context.Context) {
	b.cleanupCommand(ctx, b.bundle.stop())
}

// cleanupCommand runs a cleanup command even if ctx has ended, within cleanupTimeout.
func (b *builder) cleanupCommand(ctx context.Context, cmd Command) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	fmt.Fprintf(b.log, "=== imagegrid: clean up: %s\n", cmd)
	if err := b.opts.Exec(cctx, cmd, b.log); err != nil {
		fmt.Fprintf(b.opts.Console, "cell %s: clean up (%s): %v\n", b.cell.ID, cmd, err)
	}
}

// verify reads and checks what Image Builder made.
func (b *builder) verify() *record.Failure {
	if err := b.ws.refuseLinks(); err != nil {
		return &record.Failure{Class: record.FailureVerification, Reason: err.Error()}
	}
	v, err := readOutputs(b.cell, b.ws, b.galleryImageVersion)
	if err != nil {
		return &record.Failure{Class: record.FailureVerification, Reason: err.Error()}
	}
	if v.ibVersion != "" {
		b.rec.ImageBuilderVersion = v.ibVersion
	}
	b.rec.Artifacts = v.artifacts
	b.ova = v.ovaPath
	if v.ovaPath != "" {
		return b.inspect(v.ovaPath)
	}
	return nil
}

// inspect reads the built OVA's disk and records whether it is what Cluster API expects
// of a node image; a failed inspection fails the build, so the image never reaches publish.
func (b *builder) inspect(path string) *record.Failure {
	fmt.Fprintf(b.opts.Console, "cell %s: inspecting the node image in %s\n", b.cell.ID, filepath.Base(path))
	rep, err := Inspect(b.cell, path, b.opts.TKr)
	if err != nil {
		return &record.Failure{Class: record.FailureVerification, Reason: err.Error()}
	}
	b.rec.NodeImage = append(b.rec.NodeImage, rep)
	fmt.Fprintf(b.opts.Console, "cell %s: node image inspection %s\n", b.cell.ID, rep.Verdict)
	if rep.Verdict == record.NodeImageFailed {
		return &record.Failure{Class: record.FailureVerification, Reason: "node image inspection failed: " + rep.Reason}
	}
	return nil
}

// Inspect runs the node image inspection of cell c on the image at path (an OVA, a
// streamOptimized VMDK or a raw disk); tkr is the cell's TanzuKubernetesRelease file, or "".
func Inspect(c record.Cell, path, tkr string) (record.NodeImageReport, error) {
	var images *inspect.TKrImages
	if tkr != "" {
		var err error
		if images, err = inspect.ReadTKr(tkr, c.Kubernetes.Semver); err != nil {
			return record.NodeImageReport{}, err
		}
	}
	return inspect.File(path, func(props map[string]string) (inspect.Expect, error) {
		return inspect.ExpectFor(c, props, images)
	})
}

// finish sets the status, gathers the log and OVA in the output folder, makes paths relative
// to the record and writes it.
func (b *builder) finish() (Result, error) {
	rec := b.rec
	switch {
	case rec.Failure != nil:
		rec.Status = record.BuildFailed
		rec.Artifacts = record.Artifacts{}
	case b.opts.ValidateOnly:
		rec.Status = record.BuildValidated
	default:
		rec.Status = record.BuildSucceeded
	}
	out := filepath.Join(b.out, RecordName)
	logPath, ovaPath := b.ws.logPath(), b.ova
	var err error
	if b.out != b.ws.dir {
		if logPath, ovaPath, err = deliver(b.out, logPath, ovaPath); err != nil {
			return Result{}, fmt.Errorf("cell %s: %w", b.cell.ID, err)
		}
	}
	if rec.Log, err = relSlash(b.out, logPath); err != nil {
		return Result{}, err
	}
	if rec.Artifacts.OVA != nil {
		if rec.Artifacts.OVA.Path, err = relSlash(b.out, ovaPath); err != nil {
			return Result{}, err
		}
	}
	if err := record.WriteFile(out, rec); err != nil {
		return Result{}, fmt.Errorf("cell %s: %w", b.cell.ID, err)
	}
	res := Result{Record: *rec, Path: out}
	if rec.Failure != nil {
		return res, fmt.Errorf("cell %s: build failed (%s): %s; record %s, log %s", b.cell.ID, rec.Failure.Class, rec.Failure.Reason, out, logPath)
	}
	return res, nil
}

func relSlash(base, target string) (string, error) {
	rel, err := filepath.Rel(base, target)
	if err != nil {
		return "", fmt.Errorf("make %s relative to the record: %w", target, err)
	}
	return filepath.ToSlash(rel), nil
}
