package selection

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/imagegrid/imagegrid/internal/record"
)

// LedgerFile is the name of the ledger inside a folder given to ReadLedger.
const LedgerFile = "images.json"

// ReadLedger reads the ledger of published images: a PublishedImages file, or a folder
// holding images.json (a catalog checkout). It returns, per build key, when its image was
// last published.
func ReadLedger(name string) (map[string]time.Time, error) {
	if info, err := os.Stat(name); err == nil && info.IsDir() {
		name = filepath.Join(name, LedgerFile)
	}
	ledger, err := record.ReadFile[record.PublishedImages](name, record.KindPublishedImages)
	if err != nil {
		return nil, fmt.Errorf("published images ledger: %w", err)
	}
	published := map[string]time.Time{}
	for i, img := range ledger.Images {
		if img.BuildKey == "" {
			return nil, fmt.Errorf("published images ledger %s: images[%d] (%s): buildKey is empty", name, i, img.CellID)
		}
		if img.PublishedAt.After(published[img.BuildKey]) {
			published[img.BuildKey] = img.PublishedAt
		}
	}
	return published, nil
}

// Published skips the cells whose build key is in the ledger, unless rebuildAfter is set and
// the image was published longer ago than that (a security refresh with nothing changed).
func Published(published map[string]time.Time, rebuildAfter time.Duration, now time.Time) Selector {
	return func(c record.Cell) (bool, string) {
		at, ok := published[c.BuildKey]
		if !ok {
			return false, "not published with build key " + c.ShortKey()
		}
		age := now.Sub(at)
		if rebuildAfter > 0 && age > rebuildAfter {
			return false, fmt.Sprintf("published %s ago, older than --rebuild-after %s", FormatAge(age), FormatAge(rebuildAfter))
		}
		return true, fmt.Sprintf("already published %s ago with build key %s", FormatAge(age), c.ShortKey())
	}
}

// ParseAge reads a duration that may also count days and weeks: "30d", "2w", "36h", "90m".
func ParseAge(s string) (time.Duration, error) {
	unit := map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour}
	for suffix, d := range unit {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			v, err := strconv.ParseFloat(n, 64)
			if err != nil || v < 0 {
				break
			}
			return time.Duration(v * float64(d)), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, errors.New("want a positive duration like 30d, 2w, 36h or 90m, got " + strconv.Quote(s))
	}
	return d, nil
}

// FormatAge prints a duration in whole days when it is at least a day ("45d"), else rounded.
func FormatAge(d time.Duration) string {
	if d >= 24*time.Hour {
		return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	}
	return d.Round(time.Minute).String()
}
