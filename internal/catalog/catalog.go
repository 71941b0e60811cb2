// Package catalog reads and edits a TKr catalog — TanzuKubernetesRelease and OSImage objects
// (run.tanzu.vmware.com/v1alpha3) and legacy TKG 1.x BOMs — so that it points at images
// imagegrid published. Edits change only the bytes they mean to: comments, key order,
// quoting, indentation and other documents stay as they were, so a git diff of an edit shows
// the changed lines and nothing else. Every edit is followed by a check of the invariants
// TKG's image resolution relies on.
package catalog

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/imagegrid/imagegrid/internal/changeset"
	"github.com/imagegrid/imagegrid/internal/limits"
	"github.com/imagegrid/imagegrid/internal/yamledit"
)

// LedgerFile is the ledger of published images at the root of a catalog, as matrix
// --published reads it.
const LedgerFile = "images.json"

// File is one YAML file of a catalog.
type File struct {
	// Path is slash-separated and relative to the catalog root.
	Path string
	Mode fs.FileMode
	// orig is what the file held when loaded; nil for a file this edit created.
	orig    []byte
	docs    []*yamledit.Document
	deleted bool
	objects []object
}

// object is a catalog object found in one document of a file.
type object struct {
	doc     int
	tkr     *TKr
	osImage *OSImage
	bom     *BOM
}

// Bytes returns the file's current content.
func (f *File) Bytes() []byte {
	var b bytes.Buffer
	for _, d := range f.docs {
		b.Write(d.Bytes())
	}
	return b.Bytes()
}

// Catalog is a loaded catalog and the edits made to it so far.
type Catalog struct {
	files  []*File
	byPath map[string]*File
	ledger *ledger
	// selectors say which OSImages of a TKr clusters could not tell apart.
	selectors Selectors

	tkrs     map[string][]located[*TKr] // by spec.version
	osImages map[string][]located[*OSImage]
	boms     map[string][]located[*BOM] // by release.version
}

type located[T any] struct {
	file *File
	doc  int
	obj  T
}

// Load reads every .yml and .yaml file under fsys (skipping .git) and the ledger, if any.
// selectors are those of the clusters that resolve images from the catalog; nil means
// DefaultSelectors.
func Load(fsys fs.FS, selectors Selectors) (*Catalog, error) {
	if selectors == nil {
		selectors = DefaultSelectors()
	}
	c := &Catalog{byPath: map[string]*File{}, selectors: selectors}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" {
				return fs.SkipDir
			}
			return nil
		}
		if ext := path.Ext(p); ext != ".yml" && ext != ".yaml" {
			return nil
		}
		if !d.Type().IsRegular() {
			return changeset.NotRegular(p, d.Type(), "edits the catalog")
		}
		data, err := limits.CatalogFile.ReadFS(fsys, p, p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		f := &File{Path: p, Mode: info.Mode().Perm(), orig: data}
		if err := f.parse(data); err != nil {
			return err
		}
		c.files = append(c.files, f)
		c.byPath[p] = f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load catalog: %w", err)
	}
	if c.ledger, err = readLedger(fsys); err != nil {
		return nil, err
	}
	c.index()
	return c, nil
}

// parse splits data into documents and finds the catalog objects in them.
func (f *File) parse(data []byte) error {
	docs, err := yamledit.Split(f.Path, data)
	if err != nil {
		return err
	}
	f.docs = docs
	return f.reindex()
}

// reindex decodes the catalog objects of f's documents.
func (f *File) reindex() error {
	f.objects = f.objects[:0]
	line := 1
	for _, d := range f.docs {
		d.Line = line
		line += bytes.Count(d.Bytes(), []byte("\n"))
	}
	for i, d := range f.docs {
		root := d.Root()
		if root == nil {
			continue
		}
		where := fmt.Sprintf("%s:%d", f.Path, d.Line+root.Line-1)
		apiVersion := yamledit.Scalar(root, "apiVersion")
		group, _, _ := strings.Cut(apiVersion, "/")
		o := object{doc: i}
		var err error
		switch kind := yamledit.Scalar(root, "kind"); {
		case group == TKrAPIGroup && kind == KindTKr:
			o.tkr, err = decodeTKr(root, where)
		case group == TKrAPIGroup && kind == KindOSImage:
			o.osImage, err = decodeOSImage(root, where)
		case kind == "" && isBOM(f.Path, root):
			o.bom, err = decodeBOM(root, where)
		default:
			continue
		}
		if err != nil {
			return err
		}
		f.objects = append(f.objects, o)
	}
	return nil
}

// index builds the lookup tables from the files.
func (c *Catalog) index() {
	c.tkrs = map[string][]located[*TKr]{}
	c.osImages = map[string][]located[*OSImage]{}
	c.boms = map[string][]located[*BOM]{}
	for _, f := range c.files {
		c.add(f)
	}
}

// add enters f's objects in the lookup tables.
func (c *Catalog) add(f *File) {
	if f.deleted {
		return
	}
	for _, o := range f.objects {
		switch {
		case o.tkr != nil:
			c.tkrs[o.tkr.Version] = append(c.tkrs[o.tkr.Version], located[*TKr]{f, o.doc, o.tkr})
		case o.osImage != nil:
			c.osImages[o.osImage.Name] = append(c.osImages[o.osImage.Name], located[*OSImage]{f, o.doc, o.osImage})
		case o.bom != nil:
			c.boms[o.bom.Release] = append(c.boms[o.bom.Release], located[*BOM]{f, o.doc, o.bom})
		}
	}
}

// drop removes f's objects from the lookup tables.
func (c *Catalog) drop(f *File) {
	for _, o := range f.objects {
		switch {
		case o.tkr != nil:
			dropFile(c.tkrs, o.tkr.Version, f)
		case o.osImage != nil:
			dropFile(c.osImages, o.osImage.Name, f)
		case o.bom != nil:
			dropFile(c.boms, o.bom.Release, f)
		}
	}
}

func dropFile[T any](m map[string][]located[T], key string, f *File) {
	kept := slices.DeleteFunc(m[key], func(l located[T]) bool { return l.file == f })
	if len(kept) == 0 {
		delete(m, key)
	} else {
		m[key] = kept
	}
}

// update re-reads f's objects after an edit (or parses data into it when data is not nil)
// and refreshes the lookup tables.
func (c *Catalog) update(f *File, data []byte) error {
	c.drop(f)
	var err error
	if data != nil {
		err = f.parse(data)
	} else {
		err = f.reindex()
	}
	c.add(f)
	return err
}

// OSImage returns the OSImage named name, or nil.
func (c *Catalog) OSImage(name string) *OSImage {
	if l := c.osImages[name]; len(l) > 0 {
		return l[0].obj
	}
	return nil
}

// HasRelease reports whether the catalog has a TanzuKubernetesRelease or a legacy BOM of
// TKr version tkr: the release a record of that TKr is catalogued in.
func (c *Catalog) HasRelease(tkr string) bool {
	return len(c.tkrs[tkr]) > 0 || len(c.boms[tkr]) > 0
}

// Changes returns the files whose content differs from what was loaded, ledger included,
// ordered by path.
func (c *Catalog) Changes() ([]changeset.Change, error) {
	var out []changeset.Change
	for _, f := range c.files {
		switch data := f.Bytes(); {
		case f.deleted && f.orig != nil:
			out = append(out, changeset.Change{Path: f.Path, Mode: f.Mode})
		case !f.deleted && (f.orig == nil || !bytes.Equal(data, f.orig)):
			out = append(out, changeset.Change{Path: f.Path, Data: data, Mode: f.Mode})
		}
	}
	data, changed, err := c.ledger.encode()
	if err != nil {
		return nil, err
	}
	if changed {
		out = append(out, changeset.Change{Path: LedgerFile, Data: data, Mode: 0o644})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// newFile adds a file holding data to the catalog.
func (c *Catalog) newFile(p string, data []byte) (*File, error) {
	if old := c.byPath[p]; old != nil && !old.deleted {
		return nil, fmt.Errorf("%s already exists", p)
	}
	f := &File{Path: p, Mode: 0o644}
	if old := c.byPath[p]; old != nil {
		f = old
		f.deleted = false
	} else {
		c.files = append(c.files, f)
		c.byPath[p] = f
		slices.SortFunc(c.files, func(a, b *File) int { return strings.Compare(a.Path, b.Path) })
	}
	if err := c.update(f, data); err != nil {
		return nil, err
	}
	return f, nil
}
