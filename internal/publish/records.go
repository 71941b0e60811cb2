package publish

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/imagegrid/imagegrid/internal/record"
)

// Job is one build record to publish.
type Job struct {
	// Path is the record file; Dir is its directory, which the paths in the record are
	// relative to.
	Path, Dir string
	Record    record.BuildRecord
}

// FindRecords walks dir for build records: *.json files whose kind is BuildRecord, at any
// depth (actions/download-artifact puts each artifact in its own folder). Other JSON files
// (packer manifests, cells) are passed over; a build record that does not decode strictly
// is an error naming the file. Jobs come sorted by cell id, then path.
func FindRecords(dir string) ([]Job, error) {
	var jobs []Job
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.EqualFold(filepath.Ext(path), ".json") {
			return nil
		}
		if ok, err := isBuildRecord(path); err != nil || !ok {
			return err
		}
		rec, err := record.ReadFile[record.BuildRecord](path, record.KindBuildRecord)
		if err != nil {
			return err
		}
		jobs = append(jobs, Job{Path: path, Dir: filepath.Dir(path), Record: rec})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find build records in %s: %w", dir, err)
	}
	sort.Slice(jobs, func(i, j int) bool {
		if a, b := jobs[i].Record.Cell.ID, jobs[j].Record.Cell.ID; a != b {
			return a < b
		}
		return jobs[i].Path < jobs[j].Path
	})
	return jobs, nil
}

// isBuildRecord peeks at the kind of a JSON file; files that are not JSON objects are not
// build records.
func isBuildRecord(path string) (bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return false, err
	}
	var head struct {
		Kind string `json:"kind"`
	}
	if json.Unmarshal(data, &head) != nil {
		return false, nil
	}
	return head.Kind == record.KindBuildRecord, nil
}
