package catalog

import (
	"fmt"
	"maps"
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/imagegrid/imagegrid/internal/record"
)

// applyBOM points the entry of a legacy BOM with img's osinfo (and region) at img, adding
// the entry when there is none.
func (c *Catalog) applyBOM(l located[*BOM], r record.PublishRecord, img *Image) ([]record.CatalogChange, error) {
	b := l.obj
	img.Object = "BOM/" + b.Release
	change := record.CatalogChange{File: l.file.Path, Object: img.Object, Action: ActionReplaced}
	i := slices.IndexFunc(b.Entries, func(e BOMEntry) bool { return e.Key == img.Key })
	if i < 0 {
		edits, err := addBOMEntry(l.file.docs[l.doc].root, r, img)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", b.Where, err)
		}
		change.Action = ActionCreated
		return []record.CatalogChange{change}, c.editDoc(l.file, l.doc, edits...)
	}
	e := b.Entries[i]
	if bomRefMatches(e, img) {
		return nil, nil
	}
	if !r.Cell.ReplacesDefault && !c.ledger.has(r.Cell.Infra, e.Ref) {
		return nil, fmt.Errorf("BOM %s (%s) already has the %s entry at line %d; declare the cell with replacesDefault to replace it", b.Release, b.Where, img.Key, e.Line)
	}
	img.Replaces = fmt.Sprintf("%s %s", img.Key.ImageType, Image{Key: e.Key, Ref: e.Ref}.Describe())
	change.Replaces = img.Replaces
	var edits []edit
	switch img.Key.ImageType {
	case ImageOVA:
		edits = []edit{setScalar{path: append(slices.Clone(e.Path), "version"), value: img.Ref["version"]}}
	case ImageAMI:
		edits = []edit{setScalar{path: append(slices.Clone(e.Path), "id"), value: img.Ref["id"]}}
	default:
		// A marketplace entry becomes a gallery entry: its fields differ, so the entry is
		// written anew in its place at the end of the list.
		edits = []edit{appendItem{path: []string{ImageAzure}, item: bomItem(r, img)},
			removeItem{path: []string{ImageAzure}, index: e.Path[1].(int)}}
	}
	return []record.CatalogChange{change}, c.editDoc(l.file, l.doc, edits...)
}

func bomRefMatches(e BOMEntry, img *Image) bool {
	switch img.Key.ImageType {
	case ImageOVA:
		return e.Ref["version"] == img.Ref["version"]
	case ImageAMI:
		return e.Ref["id"] == img.Ref["id"]
	}
	return maps.Equal(e.Ref, img.Ref)
}

// bomItem is a new BOM entry for img.
func bomItem(r record.PublishRecord, img *Image) *yaml.Node {
	osinfo := mapping("name", r.Cell.OS.Name, "version", r.Cell.OS.Version, "arch", r.Cell.OS.Arch)
	switch img.Key.ImageType {
	case ImageOVA:
		return mapping("name", "ova-"+r.Cell.OS.ID, "osinfo", osinfo, "version", img.Ref["version"])
	case ImageAMI:
		return mapping("id", img.Ref["id"], "osinfo", osinfo)
	}
	n := sortedMapping(img.Ref)
	n.Content = append(n.Content, mapping("osinfo", osinfo).Content...)
	return n
}

// addBOMEntry returns the edits that add img's entry to a BOM: to its list, or a new list.
func addBOMEntry(root *yaml.Node, r record.PublishRecord, img *Image) ([]edit, error) {
	item := bomItem(r, img)
	list := []string{img.Key.ImageType}
	if img.Key.ImageType == ImageAMI {
		regions := mapValue(root, ImageAMI)
		if regions == nil {
			return []edit{insertKey{key: ImageAMI, value: mapping(img.Key.Region, sequence(item))}}, nil
		}
		if regions.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("line %d: ami is not a mapping of regions", regions.Line)
		}
		if mapValue(regions, img.Key.Region) == nil {
			return []edit{insertKey{path: list, key: img.Key.Region, value: sequence(item)}}, nil
		}
		list = append(list, img.Key.Region)
	} else if mapValue(root, img.Key.ImageType) == nil {
		return []edit{insertKey{key: img.Key.ImageType, value: sequence(item)}}, nil
	}
	return []edit{appendItem{path: list, item: item}}, nil
}

func sequence(items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: items}
}
