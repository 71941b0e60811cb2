// Package limits holds the size limits of imagegrid's inputs, documented in
// docs/security.md, and reads files within them: an input past its limit is refused before
// it is held in memory, with an error naming the file and the limit.
package limits

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Limit is the largest size accepted for one kind of input file.
type Limit struct {
	// What names the kind of file for messages ("a grid declaration file").
	What string
	// Bytes is the largest size accepted.
	Bytes int64
}

// The limits, far above what real inputs need (a grid file or a record is a few KiB).
var (
	// Grid is one grid declaration file (matrices/*.yaml).
	Grid = Limit{"a grid declaration file", 1 << 20}
	// VarFile is one var file a grid names.
	VarFile = Limit{"a var file", 1 << 20}
	// AnswerFile is a Windows cell's autounattend.xml.
	AnswerFile = Limit{"a Windows answer file", 1 << 20}
	// PublishConfig is publish's configuration file.
	PublishConfig = Limit{"the publish configuration", 1 << 20}
	// Record is one JSON file of imagegrid's formats: a cell list, a build or publish record.
	Record = Limit{"a record (cells, build or publish record)", 16 << 20}
	// CatalogFile is one YAML file of the TKr catalog.
	CatalogFile = Limit{"a catalog file", 4 << 20}
	// Ledger is the catalog's published-images ledger (images.json), which grows with every
	// image catalogued.
	Ledger = Limit{"the published-images ledger", 64 << 20}
)

// Cells is the most cells one grid may declare (before exclude rules): far above a real grid
// (30 releases × 10 OS × 3 infrastructures × 2 architectures is 1,800), the 100,000 cells
// matrix is benchmarked at streaming in constant memory, and low enough that a hostile
// declaration cannot make matrix print hundreds of thousands.
const Cells = 100_000

func (l Limit) String() string {
	if l.Bytes%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", l.Bytes>>20)
	}
	return fmt.Sprintf("%d bytes", l.Bytes)
}

// TooLarge is the error for a file past its limit.
type TooLarge struct {
	Name  string
	Limit Limit
}

func (e *TooLarge) Error() string {
	return fmt.Sprintf("%s is larger than %s, the limit for %s (see docs/security.md)", e.Name, e.Limit, e.Limit.What)
}

// Read reads r whole, refusing more than l.Bytes; name names it in the error.
func (l Limit) Read(r io.Reader, name string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, l.Bytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if int64(len(data)) > l.Bytes {
		return nil, &TooLarge{Name: name, Limit: l}
	}
	return data, nil
}

// ReadFile reads the file at path whole, refusing one past the limit.
func (l Limit) ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return l.Read(f, path)
}

// ReadFS reads name from fsys whole, refusing one past the limit; display names it in
// errors.
func (l Limit) ReadFS(fsys fs.FS, name, display string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &fs.PathError{Op: "open", Path: display, Err: err}
	}
	defer f.Close()
	return l.Read(f, display)
}
