package publish

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/syncbuf"
)

// Runner publishes every build record of a run with the publisher of its infrastructure and
// hands each resulting publish record to Record. Records are published concurrently, at most
// Parallel[infra] of one infrastructure at once; one record failing does not stop the others.
// What comes out does not depend on the timing: Run returns the records in the order of the
// jobs, whichever finished first.
type Runner struct {
	// Publishers by infrastructure (record.InfraVSphere …). A record whose infrastructure has
	// none fails with an error saying so.
	Publishers map[string]Interface
	// Parallel bounds the records of an infrastructure published at once; an infrastructure
	// it leaves out (or bounds by 0) has its records published one at a time.
	Parallel map[string]int
	// Record receives every publish record, skipped and failed ones included, as each one
	// finishes (one call at a time).
	Record func(record.PublishRecord) error
	// Log receives the publishers' lines, each prefixed by its cell, and one status line per
	// record. Without Group they stream as they come, records interleaved; with Group each
	// record's lines are held until it finishes and written as one group.
	Log   io.Writer
	Group func(title string) (end func())
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Run publishes the jobs and returns their publish records in the order of the jobs. When ctx
// is cancelled, the records not yet started are left out and ctx's error is returned.
func (r *Runner) Run(ctx context.Context, jobs []Job) ([]record.PublishRecord, error) {
	out := make([]record.PublishRecord, len(jobs))
	done := make([]bool, len(jobs))
	slots := map[string]chan struct{}{}
	for _, job := range jobs {
		infra := job.Record.Cell.Infra
		if slots[infra] == nil {
			slots[infra] = make(chan struct{}, max(r.Parallel[infra], 1))
		}
	}
	var (
		mu   sync.Mutex // serialises Log, Record and the results
		errs []error
		wg   sync.WaitGroup
		log  = r.Log
	)
	if log == nil {
		log = io.Discard
	}
	live := &lockedWriter{mu: &mu, w: log}
	for i, job := range jobs {
		slot := slots[job.Record.Cell.Infra]
		wg.Go(func() {
			select {
			case slot <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-slot }()
			if ctx.Err() != nil {
				return
			}
			var held syncbuf.Buffer
			var w io.Writer = live
			if r.Group != nil {
				w = &held
			}
			pr, line := r.one(WithLog(ctx, w), job)
			mu.Lock()
			defer mu.Unlock()
			if r.Group != nil {
				end := r.Group(fmt.Sprintf("publish %s: %s", job.Record.Cell.ID, pr.Status))
				io.WriteString(log, held.String())
				fmt.Fprintln(log, line)
				end()
			} else {
				fmt.Fprintln(log, line)
			}
			if r.Record != nil {
				if err := r.Record(pr); err != nil {
					errs = append(errs, err)
				}
			}
			out[i], done[i] = pr, true
		})
	}
	wg.Wait()
	var finished []record.PublishRecord
	for i, pr := range out {
		if done[i] {
			finished = append(finished, pr)
		}
	}
	if err := ctx.Err(); err != nil {
		errs = append(errs, err)
	}
	return finished, errors.Join(errs...)
}

// lockedWriter writes through the runner's lock, so lines of records published at once
// never mix.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// one publishes one job and returns its record and the status line to log.
func (r *Runner) one(ctx context.Context, job Job) (record.PublishRecord, string) {
	rec := job.Record
	started := r.now()
	pr := record.PublishRecord{}
	var err error
	switch {
	case rec.Status == record.BuildFailed:
		pr.Status, pr.Error = record.PublishSkipped, "build failed"
		if rec.Failure != nil {
			pr.Error = fmt.Sprintf("build failed (%s): %s", rec.Failure.Class, rec.Failure.Reason)
		}
	case rec.ValidateOnly || rec.Status == record.BuildValidated:
		pr.Status, pr.Error = record.PublishSkipped, "validate-only build: no image to publish"
	case rec.Status != record.BuildSucceeded:
		pr.Status, pr.Error = record.PublishFailed, fmt.Sprintf("build record %s: status %q; want %q, %q or %q", job.Path, rec.Status, record.BuildSucceeded, record.BuildFailed, record.BuildValidated)
	case CheckNodeImage(rec) != nil:
		pr.Status, pr.Error = record.PublishFailed, "refused: "+CheckNodeImage(rec).Error()
	case r.Publishers[rec.Cell.Infra] == nil:
		pr.Status, pr.Error = record.PublishFailed, fmt.Sprintf("no %s target in the publish config", rec.Cell.Infra)
	default:
		pr, err = r.Publishers[rec.Cell.Infra].Publish(ctx, rec, job.Dir)
		if err != nil {
			pr.Status, pr.Error = record.PublishFailed, err.Error()
		}
	}
	pr.APIVersion, pr.Kind = record.APIVersion, record.KindPublishRecord
	pr.Cell, pr.BuildKey = rec.Cell, rec.Key()
	pr.BuiltAt, pr.ImageBuilderVersion = rec.Finished, rec.ImageBuilderVersion
	pr.NodeImage = rec.NodeImage
	pr.Started, pr.Finished = started, r.now()
	if pr.Status == "" {
		pr.Status = overall(pr)
	}
	line := fmt.Sprintf("%s: %s", rec.Cell.ID, pr.Status)
	if pr.Error != "" {
		line += ": " + pr.Error
	}
	return pr, line
}

// overall is a record's status from its placements: failed if any failed, reused if all
// were reused, published otherwise.
func overall(pr record.PublishRecord) string {
	var statuses []string
	if pr.VSphere != nil {
		statuses = append(statuses, pr.VSphere.Status)
	}
	for _, a := range pr.AMIs {
		statuses = append(statuses, a.Status)
	}
	for _, a := range pr.Azure {
		statuses = append(statuses, a.Status)
	}
	if len(statuses) == 0 {
		return record.PublishSkipped
	}
	reused := true
	for _, s := range statuses {
		if s == record.PublishFailed {
			return record.PublishFailed
		}
		reused = reused && s == record.PublishReused
	}
	if reused {
		return record.PublishReused
	}
	return record.PublishSucceeded
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}
