// Package publish runs the publishers of every infrastructure over the build records of a run
// and keeps what they did as publish records: the runner, the wrappers that add behaviour
// (recording, dry run) and the job-summary table.
package publish

import (
	"context"
	"io"

	"github.com/imagegrid/imagegrid/internal/record"
)

// Interface publishes the artifacts of one build record to one infrastructure.
type Interface interface {
	// Publish places the artifact of rec (whose relative paths are relative to dir) and
	// returns the record's placements (VSphere, AMIs …). On failure it returns the
	// placements it knows about, with their own status, and an error saying what failed
	// where; whatever it created for this call and could not finish is removed.
	Publish(ctx context.Context, rec record.BuildRecord, dir string) (record.PublishRecord, error)
	// Close releases connections and sessions.
	Close() error
}

type logKey struct{}

// WithLog returns a context whose publish log is w: the runner gives each record its own, so
// that the lines of records published at once can be told apart and grouped.
func WithLog(ctx context.Context, w io.Writer) context.Context {
	return context.WithValue(ctx, logKey{}, w)
}

// Log is the publish log of ctx, or fallback when the context carries none (a publisher
// called on its own).
func Log(ctx context.Context, fallback io.Writer) io.Writer {
	if w, ok := ctx.Value(logKey{}).(io.Writer); ok {
		return w
	}
	return fallback
}
