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
	// Steps describes, without side effects, what publishing rec would do, one step a line.
	Steps func(rec record.BuildRecord) ([]string, error)
	// Log receives the steps when the context carries no log of its own (WithLog).
	Log io.Writer
}

var _ Interface = DryRun{}

// Publish logs the steps and returns a skipped record that carries them.
func (d DryRun) Publish(ctx context.Context, rec record.BuildRecord, _ string) (record.PublishRecord, error) {
	lines, err := d.Steps(rec)
	if err != nil {
		return record.PublishRecord{}, fmt.Errorf("dry run %s: %w", rec.Cell.ID, err)
	}
	log := Log(ctx, d.Log)
	for _, l := range lines {
		fmt.Fprintf(log, "dry run: %s: would %s\n", rec.Cell.ID, l)
	}
	return record.PublishRecord{Status: record.PublishSkipped, Error: "dry run: would " + strings.Join(lines, "; ")}, nil
}

// Close does nothing.
func (DryRun) Close() error { return nil }
