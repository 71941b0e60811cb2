package catalog

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"reflect"
	"slices"
	"sort"

	"github.com/imagegrid/imagegrid/internal/changeset"
	"github.com/imagegrid/imagegrid/internal/limits"
	"github.com/imagegrid/imagegrid/internal/record"
)

// ledger is the images.json of a catalog: every image the catalog points at that imagegrid
// published, one entry per cell and place (the region, for AMIs).
type ledger struct {
	images record.PublishedImages
	// loaded is what was read, to tell whether the edits changed anything.
	loaded []record.PublishedImage
}

func readLedger(fsys fs.FS) (*ledger, error) {
	l := &ledger{images: record.PublishedImages{APIVersion: record.APIVersion, Kind: record.KindPublishedImages}}
	info, err := fs.Lstat(fsys, LedgerFile)
	if errors.Is(err, fs.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read ledger: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, changeset.NotRegular(LedgerFile, info.Mode(), "edits the catalog")
	}
	data, err := limits.Ledger.ReadFS(fsys, LedgerFile, LedgerFile)
	if err != nil {
		return nil, fmt.Errorf("read ledger: %w", err)
	}
	if l.images, err = record.Decode[record.PublishedImages](LedgerFile, data, record.KindPublishedImages); err != nil {
		return nil, fmt.Errorf("read ledger: %w", err)
	}
	l.loaded = slices.Clone(l.images.Images)
	return l, nil
}

// put records img, replacing the entry of the same cell and place.
func (l *ledger) put(img record.PublishedImage) {
	for i, old := range l.images.Images {
		if old.CellID == img.CellID && old.Infra == img.Infra && old.Ref["region"] == img.Ref["region"] {
			if old.BuildKey == img.BuildKey && maps.Equal(old.Ref, img.Ref) {
				// The same image again (a re-run reused it): it dates from its first publication.
				img.PublishedAt = old.PublishedAt
			}
			l.images.Images[i] = img
			return
		}
	}
	l.images.Images = append(l.images.Images, img)
	sort.SliceStable(l.images.Images, func(i, j int) bool {
		a, b := l.images.Images[i], l.images.Images[j]
		if a.CellID != b.CellID {
			return a.CellID < b.CellID
		}
		return a.Ref["region"] < b.Ref["region"]
	})
}

// has reports whether an image of infra with ref is in the ledger: imagegrid published it.
func (l *ledger) has(infra string, ref Ref) bool {
	for _, img := range l.images.Images {
		if img.Infra == infra && maps.Equal(img.Ref, ref) {
			return true
		}
	}
	return false
}

// encode returns the ledger as JSON and whether it changed since it was read.
func (l *ledger) encode() ([]byte, bool, error) {
	if reflect.DeepEqual(l.images.Images, l.loaded) {
		return nil, false, nil
	}
	data, err := json.MarshalIndent(l.images, "", "  ")
	if err != nil {
		return nil, false, fmt.Errorf("encode ledger: %w", err)
	}
	return append(data, '\n'), true, nil
}
