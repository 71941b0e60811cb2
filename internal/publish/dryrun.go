package publish

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/imagegrid/imagegrid/internal/record"
)

// DryRun is a publisher that says what it would do and touches nothing.
type DryRun struct {
	// Plan describes, without side effects, what publishing rec would do.
	Plan func(rec record.BuildRecord) ([]string, error)
	// Log receives the plan when the context carries no log of its own (WithLog).
	Log io.Writer
}

var _ Interface = DryRun{}

// Publish logs the plan and returns a skipped record that carries it.
func (d DryRun) Publish(ctx context.Context, rec record.BuildRecord, _ string) (record.PublishRecord, error) {
	lines, err := d.Plan(rec)
	if err != nil {
		return record.PublishRecord{}, fmt.Errorf("plan %s: %w", rec.Cell.ID, err)
	}
	log := Log(ctx, d.Log)
	for _, l := range lines {
		fmt.Fprintf(log, "dry run: %s: would %s\n", rec.Cell.ID, l)
	}
	return record.PublishRecord{Status: record.PublishSkipped, Error: "dry run: would " + strings.Join(lines, "; ")}, nil
}

// Close does nothing.
func (DryRun) Close() error { return nil }
