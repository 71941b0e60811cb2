package publish

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/imagegrid/imagegrid/internal/record"
)

// Runner publishes every build record of a run with the publisher of its infrastructure and
// hands each resulting publish record to Record. One record failing does not stop the others.
type Runner struct {
	// Publishers by infrastructure (record.InfraVSphere …). A record whose infrastructure has
	// none fails with an error saying so.
	Publishers map[string]Interface
	// Record receives every publish record, skipped and failed ones included.
	Record func(record.PublishRecord) error
	// Log receives one line per record; Group, when set, wraps each record's log lines.
	Log   io.Writer
	Group func(title string) (end func())
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Run publishes the jobs in order and returns their publish records.
func (r *Runner) Run(ctx context.Context, jobs []Job) ([]record.PublishRecord, error) {
	out := make([]record.PublishRecord, 0, len(jobs))
	for _, job := range jobs {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		pr := r.one(ctx, job)
		if r.Record != nil {
			if err := r.Record(pr); err != nil {
				return out, err
			}
		}
		out = append(out, pr)
	}
	return out, nil
}

func (r *Runner) one(ctx context.Context, job Job) record.PublishRecord {
	rec := job.Record
	if r.Group != nil {
		defer r.Group(fmt.Sprintf("publish %s", rec.Cell.ID))()
	}
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
	pr.Cell, pr.BuildKey = rec.Cell, rec.BuildKey
	pr.BuiltAt, pr.ImageBuilderVersion = rec.Finished, rec.ImageBuilderVersion
	pr.NodeImage = rec.NodeImage
	pr.Started, pr.Finished = started, r.now()
	if pr.Status == "" {
		pr.Status = overall(pr)
	}
	if r.Log != nil {
		line := fmt.Sprintf("%s: %s", rec.Cell.ID, pr.Status)
		if pr.Error != "" {
			line += ": " + pr.Error
		}
		fmt.Fprintln(r.Log, line)
	}
	return pr
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
