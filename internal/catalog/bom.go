package catalog

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/yamledit"
)

// This file is the legacy TKG 1.x BOM format: its model, how it is read, and how an image
// is put in it.

// BOM is a legacy TKG 1.x TKr BOM (tkr-bom-<version>.yaml).
type BOM struct {
	Release string
	// Entries are its ova, ami (every region) and azure images.
	Entries []BOMEntry
	Where   string
}

// BOMEntry is one image of a BOM.
type BOMEntry struct {
	Key Key
	// Path locates the entry in the document: ("ova", index) or ("ami", region, index) or
	// ("azure", index).
	Path []any
	Ref  Ref
	Line int
}

// applyBOM points the entry of a legacy BOM with img's osinfo (and region) at img, adding
// the entry when there is none.
func (c *Catalog) applyBOM(l located[*BOM], r record.PublishRecord, img *Image) ([]record.CatalogChange, error) {
	b := l.obj
	img.Object = "BOM/" + b.Release
	change := record.CatalogChange{File: l.file.Path, Object: img.Object, Action: ActionReplaced}
	i := slices.IndexFunc(b.Entries, func(e BOMEntry) bool { return e.Key == img.Key })
	if i < 0 {
		edits, err := addBOMEntry(l.file.docs[l.doc].Root(), r, img)
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
	var edits []yamledit.Edit
	switch img.Key.ImageType {
	case ImageOVA:
		edits = []yamledit.Edit{yamledit.SetScalar{Path: append(slices.Clone(e.Path), "version"), Value: img.Ref["version"]}}
	case ImageAMI:
		edits = []yamledit.Edit{yamledit.SetScalar{Path: append(slices.Clone(e.Path), "id"), Value: img.Ref["id"]}}
	default:
		edits = azureBOMEdits(e, r, img)
	}
	return []record.CatalogChange{change}, c.editDoc(l.file, l.doc, edits...)
}

// azureBOMEdits point the azure entry e at img's gallery image version. A gallery entry keeps
// its place, each of its keys set: tanzu-framework's legacy cluster templates take a BOM's
// first azure entry (get_azure_image_from_bom, providers/ytt/lib/helpers.star), so an entry
// must not move. A marketplace entry becomes a gallery entry: its fields differ, so the
// entry is written anew at the end of the list.
func azureBOMEdits(e BOMEntry, r record.PublishRecord, img *Image) []yamledit.Edit {
	if slices.IndexFunc(slices.Collect(maps.Keys(img.Ref)), func(k string) bool { _, ok := e.Ref[k]; return !ok }) < 0 {
		var edits []yamledit.Edit
		for _, k := range slices.Sorted(maps.Keys(img.Ref)) {
			edits = append(edits, yamledit.SetScalar{Path: append(slices.Clone(e.Path), k), Value: img.Ref[k]})
		}
		return edits
	}
	return []yamledit.Edit{yamledit.AppendItem{Path: []string{ImageAzure}, Item: bomItem(r, img)},
		yamledit.RemoveItem{Path: []string{ImageAzure}, Index: e.Path[1].(int)}}
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
	osinfo := yamledit.Mapping("name", r.Cell.OS.Name, "version", r.Cell.OS.Version, "arch", r.Cell.OS.Arch)
	switch img.Key.ImageType {
	case ImageOVA:
		return yamledit.Mapping("name", "ova-"+r.Cell.OS.ID, "osinfo", osinfo, "version", img.Ref["version"])
	case ImageAMI:
		return yamledit.Mapping("id", img.Ref["id"], "osinfo", osinfo)
	}
	n := yamledit.SortedMapping(img.Ref)
	n.Content = append(n.Content, yamledit.Mapping("osinfo", osinfo).Content...)
	return n
}

// addBOMEntry returns the edits that add img's entry to a BOM: to its list, or a new list.
func addBOMEntry(root *yaml.Node, r record.PublishRecord, img *Image) ([]yamledit.Edit, error) {
	item := bomItem(r, img)
	list := []string{img.Key.ImageType}
	if img.Key.ImageType == ImageAMI {
		regions := yamledit.MapValue(root, ImageAMI)
		if regions == nil {
			return []yamledit.Edit{yamledit.InsertKey{Key: ImageAMI, Value: yamledit.Mapping(img.Key.Region, yamledit.Sequence(item))}}, nil
		}
		if regions.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("line %d: ami is not a mapping of regions", regions.Line)
		}
		if yamledit.MapValue(regions, img.Key.Region) == nil {
			return []yamledit.Edit{yamledit.InsertKey{Path: list, Key: img.Key.Region, Value: yamledit.Sequence(item)}}, nil
		}
		list = append(list, img.Key.Region)
	} else if yamledit.MapValue(root, img.Key.ImageType) == nil {
		return []yamledit.Edit{yamledit.InsertKey{Key: img.Key.ImageType, Value: yamledit.Sequence(item)}}, nil
	}
	return []yamledit.Edit{yamledit.AppendItem{Path: list, Item: item}}, nil
}

type bomOSInfo struct {
	OSInfo osInfo `yaml:"osinfo"`
}

// decodeBOM reads a legacy BOM; entries keep their position in the document for edits.
func decodeBOM(root *yaml.Node, where string) (*BOM, error) {
	b := &BOM{Release: yamledit.Scalar(root, "release", "version"), Where: where}
	if b.Release == "" {
		return nil, fmt.Errorf("%s: BOM: release.version is missing", where)
	}
	add := func(n *yaml.Node, imageType, region string, path []any) error {
		var info bomOSInfo
		var ref map[string]any
		if err := n.Decode(&info); err != nil {
			return fmt.Errorf("%s: BOM %s entry at line %d: %w", where, imageType, n.Line, err)
		}
		if err := n.Decode(&ref); err != nil {
			return fmt.Errorf("%s: BOM %s entry at line %d: %w", where, imageType, n.Line, err)
		}
		delete(ref, "osinfo")
		k := newKey(info.OSInfo, imageType, nil)
		k.Region = region
		b.Entries = append(b.Entries, BOMEntry{Key: k, Path: path, Ref: refOf(ref), Line: n.Line})
		return nil
	}
	for _, typ := range []string{ImageOVA, ImageAzure} {
		if s := yamledit.MapValue(root, typ); s != nil && s.Kind == yaml.SequenceNode {
			for i, n := range s.Content {
				if err := add(n, typ, "", []any{typ, i}); err != nil {
					return nil, err
				}
			}
		}
	}
	if m := yamledit.MapValue(root, ImageAMI); m != nil && m.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(m.Content); i += 2 {
			region := m.Content[i].Value
			for j, n := range m.Content[i+1].Content {
				if err := add(n, ImageAMI, region, []any{ImageAMI, region, j}); err != nil {
					return nil, err
				}
			}
		}
	}
	return b, nil
}

// isBOM tells a legacy BOM document from other YAML: a tkr-bom-*.yaml file name, or a
// release.version next to image lists.
func isBOM(file string, root *yaml.Node) bool {
	base := file[strings.LastIndex(file, "/")+1:]
	if strings.HasPrefix(base, "tkr-bom-") {
		return true
	}
	return yamledit.Scalar(root, "release", "version") != "" &&
		(yamledit.MapValue(root, ImageOVA) != nil || yamledit.MapValue(root, ImageAMI) != nil || yamledit.MapValue(root, ImageAzure) != nil)
}
