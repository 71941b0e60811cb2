package publish

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/imagegrid/imagegrid/internal/limits"
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
// (packer manifests, cells) are passed over. The folder is an input like any other, read
// through an os.Root and checked before anything is published: a JSON file that does not
// parse, a build record that does not decode strictly or is past its size limit, a link, a
// record whose buildKey differs from its cell's or whose OVA lies outside the folder is an
// error naming the file. Jobs come sorted by cell id, then path.
func FindRecords(dir string) ([]Job, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("find build records: %w", err)
	}
	defer root.Close()
	var jobs []Job
	err = fs.WalkDir(root.FS(), ".", func(rel string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.EqualFold(path.Ext(rel), ".json") {
			return nil
		}
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s is not a regular file (%s): publish follows no link in the records folder", p, d.Type())
		}
		data, err := limits.Record.ReadFS(root.FS(), rel, p)
		if err != nil {
			return err
		}
		if kind, err := record.PeekKind(p, data); err != nil || kind != record.KindBuildRecord {
			return err
		}
		rec, err := record.Decode[record.BuildRecord](p, data, record.KindBuildRecord)
		if err != nil {
			return err
		}
		job := Job{Path: p, Dir: filepath.Dir(p), Record: rec}
		if err := checkRecord(root, dir, path.Dir(rel), job); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		jobs = append(jobs, job)
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

// checkRecord refuses a record publish cannot trust (record.Decode has refused a buildKey
// that is not its cell's): a cell id unsafe as a file name (the publish record is named
// after it), a key that is not a sha256, and an OVA path that leaves the records folder
// (by "..", an absolute path or a link). root is the records folder rootDir, relDir the record's folder
// relative to it. A missing OVA is left to the publisher, which refuses it with the reason.
func checkRecord(root *os.Root, rootDir, relDir string, job Job) error {
	rec := job.Record
	if err := rec.Cell.CheckID(); err != nil {
		return err
	}
	if err := rec.Cell.CheckKey(); err != nil {
		return err
	}
	ova := rec.Artifacts.OVA
	if ova == nil {
		return nil
	}
	if !filepath.IsLocal(filepath.FromSlash(ova.Path)) || strings.Contains(ova.Path, `\`) || strings.Contains("/"+ova.Path+"/", "/../") {
		return fmt.Errorf("artifacts.ova.path %q: want a path relative to the record's folder, inside it (no \"..\", not absolute)", ova.Path)
	}
	at := relDir
	for _, part := range strings.Split(ova.Path, "/") {
		at = path.Join(at, part)
		info, err := root.Lstat(at)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("artifacts.ova.path %q: %w", ova.Path, err)
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("artifacts.ova.path %q: %s is a symbolic link; publish reads the OVA through no link", ova.Path, filepath.Join(rootDir, filepath.FromSlash(at)))
		}
	}
	return nil
}
