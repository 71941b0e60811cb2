package record

import (
	"fmt"
	"regexp"
)

// gridName is what a grid may be called: its name is in every cell (Cell.Grid) and names the
// catalog branch (imagegrid/catalog-<grid>), so it is a DNS label.
var gridName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// CheckGridName refuses a grid name that is not lower-case letters, digits and '-', at most
// 63 characters, starting and ending with a letter or digit. The grid declaration and the
// catalog step both apply it.
func CheckGridName(name string) error {
	if !gridName.MatchString(name) {
		return fmt.Errorf("%q is not a valid grid name: want lower-case letters, digits and '-', at most 63", name)
	}
	return nil
}
