package publish

import (
	"fmt"
	"path/filepath"

	"github.com/imagegrid/imagegrid/internal/record"
)

// Recorder writes publish records into a directory, one <cell id>.json per record, each
// atomically: a reader never sees half a record.
type Recorder struct{ Dir string }

// Write writes pr and returns the file's path.
func (r Recorder) Write(pr record.PublishRecord) (string, error) {
	if pr.Cell.ID == "" {
		return "", fmt.Errorf("write publish record: the record has no cell id")
	}
	path := filepath.Join(r.Dir, pr.Cell.ID+".json")
	if err := record.WriteFile(path, pr); err != nil {
		return "", fmt.Errorf("write publish record of %s: %w", pr.Cell.ID, err)
	}
	return path, nil
}
