package catalog

import (
	"cmp"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/yamledit"
)

// Actions of a record.CatalogChange.
const (
	ActionCreated  = "created"
	ActionUpdated  = "updated"
	ActionReplaced = "replaced"
	// ActionDeleted: an OSImage whose reference was replaced was removed (--prune).
	ActionDeleted = "deleted"
)

// Applied is what Apply did for one publish record.
type Applied struct {
	Cell  record.Cell
	Infra string
	// Images are the images of the record that the catalog now points at.
	Images []Image
	// Changes are the edits made, for the publish record; empty when the catalog already
	// pointed at the images.
	Changes []record.CatalogChange
	// Skipped says why the record was not applied, if it was not.
	Skipped string
	// NodeImage are the build's node image reports, for the pull request.
	NodeImage []record.NodeImageReport
}

// Image is one image of a record as the catalog refers to it.
type Image struct {
	Key Key
	Ref Ref
	// Object is "OSImage/<name>" or "BOM/<release>".
	Object string
	// Replaces is the object or BOM entry it took the place of, if any.
	Replaces string
}

// Describe is the image as a reader of a pull request wants to see it.
func (i Image) Describe() string {
	switch i.Key.ImageType {
	case ImageOVA:
		return "OVA " + i.Ref["version"]
	case ImageAMI:
		return i.Ref["region"] + " " + i.Ref["id"]
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(i.Ref)) {
		parts = append(parts, k+"="+i.Ref[k])
	}
	return strings.Join(parts, " ")
}

// ApplyOptions tune Apply.
type ApplyOptions struct {
	// Prune deletes the OSImages whose reference a new image replaced, when no other TKr
	// lists them.
	Prune bool
}

// Apply points the catalog at the images of records: for each published image it creates or
// updates the OSImage of its (TKr, OS name, OS version, arch, infrastructure[, region]) and
// lists it in the TKr — replacing the TKr's default image that one of the catalog's selectors
// matches beside it when the cell says so — or replaces the matching entry of a legacy BOM.
// Every image also goes to the ledger. The invariants are checked before the first edit and
// after each record, and a run with two cells whose images clash is refused; on error the
// catalog must be thrown away.
func (c *Catalog) Apply(records []record.PublishRecord, opts ApplyOptions) ([]Applied, error) {
	if err := c.Check(); err != nil {
		return nil, fmt.Errorf("the catalog is inconsistent before any edit: %w", err)
	}
	if err := c.checkRun(records); err != nil {
		return nil, err
	}
	var out []Applied
	for _, r := range records {
		a, err := c.applyRecord(r, opts)
		if err != nil {
			return nil, fmt.Errorf("cell %s: %w", r.Cell.ID, err)
		}
		if err := c.Check(); err != nil {
			return nil, fmt.Errorf("cell %s: the edit would break the catalog: %w", r.Cell.ID, err)
		}
		out = append(out, a)
	}
	return out, nil
}

func (c *Catalog) applyRecord(r record.PublishRecord, opts ApplyOptions) (Applied, error) {
	a := Applied{Cell: r.Cell, Infra: r.Cell.Infra, NodeImage: r.NodeImage}
	// A failed record may still hold usable places (an AMI copied to some regions but not
	// all): those are each resolved on their own, so the catalog points at them now and the
	// failed ones keep their default until a re-run publishes them.
	if !applicable(r) {
		a.Skipped = fmt.Sprintf("publish status is %s", r.Status)
		return a, nil
	}
	images, err := imagesOf(r)
	if err != nil {
		return a, err
	}
	if len(images) == 0 {
		a.Skipped = "no published image in the record"
		return a, nil
	}
	tkr := r.Cell.Kubernetes.TKr
	for _, img := range images {
		var changes []record.CatalogChange
		switch {
		case tkr == "":
			a.Skipped = "the cell has no TKr version; only the ledger records it"
		case len(c.tkrs[tkr]) > 1:
			return a, fmt.Errorf("TanzuKubernetesRelease %s is defined twice (%s, %s)", tkr, c.tkrs[tkr][0].obj.Where, c.tkrs[tkr][1].obj.Where)
		case len(c.tkrs[tkr]) == 1:
			changes, err = c.applyTKr(c.tkrs[tkr][0], r, &img, opts)
		case len(c.boms[tkr]) == 1:
			changes, err = c.applyBOM(c.boms[tkr][0], r, &img)
		default:
			return a, fmt.Errorf("the catalog has no TanzuKubernetesRelease or BOM with version %s", tkr)
		}
		if err != nil {
			return a, err
		}
		a.Changes = append(a.Changes, changes...)
		a.Images = append(a.Images, img)
		osImage, _ := strings.CutPrefix(img.Object, "OSImage/")
		if strings.HasPrefix(img.Object, KindBOM+"/") {
			osImage = ""
		}
		c.ledger.put(record.PublishedImage{
			CellID: r.Cell.ID, BuildKey: r.Key(), Infra: r.Cell.Infra, OS: r.Cell.OS,
			Kubernetes: r.Cell.Kubernetes.Semver, TKr: tkr, PublishedAt: r.Finished.UTC(),
			Ref: img.Ref, OSImage: osImage,
		})
	}
	return a, nil
}

// checkRun refuses a run holding images of two cells for one TKr that one selector matches
// both: only one of them could be catalogued, and which one would depend on the order of the
// records.
func (c *Catalog) checkRun(records []record.PublishRecord) error {
	type placed struct {
		cell   string
		labels map[string]string
	}
	byTKr := map[string][]placed{}
	for _, r := range records {
		tkr := r.Cell.Kubernetes.TKr
		if !applicable(r) || len(c.tkrs[tkr]) == 0 {
			continue // skipped, a BOM, or no TKr: applyRecord decides
		}
		images, err := imagesOf(r)
		if err != nil {
			continue // applyRecord reports it
		}
		for _, img := range images {
			labels := img.resolverLabels(r.Cell.OS.Type)
			for _, p := range byTKr[tkr] {
				if p.cell == r.Cell.ID {
					continue
				}
				if selector, clash := c.selectors.Clash(img.Key.ImageType, p.labels, labels); clash {
					return fmt.Errorf("cells %s and %s both publish an image for TKr %s that the selector %s matches (%s): TKG resolution fails unless exactly one OSImage matches, so only one of them can be catalogued. Remove one of the cells from the grid, or, if your clusters select on more labels, set catalog.selectors.%s in the publish config",
						p.cell, r.Cell.ID, tkr, selector, c.selectors.describe(img.Key.ImageType), infraOf[img.Key.ImageType])
				}
			}
			byTKr[tkr] = append(byTKr[tkr], placed{r.Cell.ID, labels})
		}
	}
	return nil
}

// applicable reports whether a record's images may be catalogued: a failed record may still
// hold usable places, a skipped one holds none.
func applicable(r record.PublishRecord) bool {
	return usable(r.Status) || r.Status == record.PublishFailed
}

func usable(status string) bool {
	return status == record.PublishSucceeded || status == record.PublishReused
}

// imagesOf returns the usable images of a record, with their keys and refs.
func imagesOf(r record.PublishRecord) ([]Image, error) {
	key := Key{OSName: r.Cell.OS.Name, OSVersion: OSVersion(r.Cell.OS.Version), Arch: r.Cell.OS.Arch, ImageType: imageTypeOf[r.Cell.Infra]}
	var out []Image
	switch r.Cell.Infra {
	case record.InfraVSphere:
		if v := r.VSphere; v != nil && usable(v.Status) {
			if v.Version == "" {
				return nil, fmt.Errorf("the vSphere template %s has no OVA VERSION property; TKG matches templates by it", v.Template)
			}
			out = append(out, Image{Key: key, Ref: Ref{"version": v.Version}})
		}
	case record.InfraAWS:
		for _, p := range r.AMIs {
			if usable(p.Status) && p.ID != "" {
				k := key
				k.Region = p.Region
				out = append(out, Image{Key: k, Ref: Ref{"id": p.ID, "region": p.Region}})
			}
		}
	case record.InfraAzure:
		return azureImage(r.Azure, key)
	default:
		return nil, fmt.Errorf("infrastructure %q is not one of vsphere, aws, azure", r.Cell.Infra)
	}
	return out, nil
}

// azureImage is the image of a record's gallery image version. A version is one image in
// every region it replicates to, and an Azure OSImage names no region (its clusters select
// os-name,os-version): it is catalogued once, and only when it replicated to every region the
// cell names. Until then the default stays, as a cluster in a region without a replica could
// not use it.
func azureImage(placements []record.AzurePlacement, key Key) ([]Image, error) {
	var id string
	for _, p := range placements {
		switch {
		case !usable(p.Status) || p.ID == "":
			return nil, nil
		case id != "" && !strings.EqualFold(id, p.ID):
			return nil, fmt.Errorf("the record's regions hold two gallery image versions, %s and %s", id, p.ID)
		}
		id = p.ID
	}
	if id == "" {
		return nil, nil
	}
	ref, err := azureRef(id)
	if err != nil {
		return nil, err
	}
	return []Image{{Key: key, Ref: ref}}, nil
}

// resolverLabels are the labels TKG's resolver sees on the OSImage imagegrid writes for i.
func (i Image) resolverLabels(osType string) map[string]string {
	ref := make(map[string]any, len(i.Ref))
	for k, v := range i.Ref {
		ref[k] = v
	}
	return resolverLabels(nil, osInfo{Type: osType, Name: i.Key.OSName, Version: i.Key.OSVersion, Arch: i.Key.Arch}, i.Key.ImageType, ref)
}

// azureRef turns a Compute Gallery image version id into an OSImage shared gallery ref:
// /subscriptions/S/resourceGroups/G/providers/Microsoft.Compute/galleries/Y/images/N/versions/V.
func azureRef(id string) (Ref, error) {
	p := strings.Split(strings.Trim(id, "/"), "/")
	if len(p) != 12 || !strings.EqualFold(p[0], "subscriptions") || !strings.EqualFold(p[2], "resourceGroups") ||
		!strings.EqualFold(p[6], "galleries") || !strings.EqualFold(p[8], "images") || !strings.EqualFold(p[10], "versions") {
		return nil, fmt.Errorf("azure image %q is not a Compute Gallery image version id (/subscriptions/…/resourceGroups/…/providers/Microsoft.Compute/galleries/…/images/…/versions/…)", id)
	}
	return Ref{"subscriptionID": p[1], "resourceGroup": p[3], "gallery": p[7], "name": p[9], "version": p[11]}, nil
}

// applyTKr makes the TKr list the OSImage of img, creating or updating it.
func (c *Catalog) applyTKr(l located[*TKr], r record.PublishRecord, img *Image, opts ApplyOptions) ([]record.CatalogChange, error) {
	t := l.obj
	tkrObject := "TanzuKubernetesRelease/" + t.Name
	if r.Cell.Kubernetes.Semver != t.KubernetesVersion {
		return nil, fmt.Errorf("the cell builds Kubernetes %s but %s (%s) is Kubernetes %s", r.Cell.Kubernetes.Semver, tkrObject, t.Where, t.KubernetesVersion)
	}
	name, err := OSImageName(t.Version, img.Key)
	if err != nil {
		return nil, err
	}
	img.Object = "OSImage/" + name
	replaced, err := c.displaced(t, name, r, img)
	if err != nil {
		return nil, err
	}
	changes, err := c.putOSImage(path.Dir(l.file.Path), name, t, r, img)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(t.OSImages, name) {
		if err := c.editDoc(l.file, l.doc, yamledit.AppendItem{Path: []string{"spec", "osImages"}, Item: yamledit.Mapping("name", name)}); err != nil {
			return nil, err
		}
		changes = append(changes, record.CatalogChange{File: l.file.Path, Object: tkrObject, Action: ActionUpdated})
	}
	for _, old := range replaced {
		t = c.tkrs[t.Version][0].obj
		i := slices.Index(t.OSImages, old)
		if i < 0 {
			return nil, fmt.Errorf("%s (%s) no longer lists OSImage/%s", tkrObject, t.Where, old)
		}
		if err := c.editDoc(l.file, l.doc, yamledit.RemoveItem{Path: []string{"spec", "osImages"}, Index: i}); err != nil {
			return nil, err
		}
		img.Replaces = "OSImage/" + old
		changes = append(changes, record.CatalogChange{File: l.file.Path, Object: tkrObject, Action: ActionReplaced, Replaces: img.Replaces})
		if opts.Prune && !c.referenced(old) {
			ch, err := c.deleteOSImage(old)
			if err != nil {
				return nil, err
			}
			changes = append(changes, ch)
		}
	}
	return changes, nil
}

// displaced returns the OSImages t lists that the OSImage name of img would take the place
// of. An OSImage of the TKr that a selector would match beside the new one must go, as TKG
// resolves a selector only when exactly one OSImage matches it: the same combination
// written earlier by imagegrid is replaced, a default only when the cell says
// replacesDefault, and another cell's image never (which of two cells wins is the grid's to
// say, not the order of publishes).
func (c *Catalog) displaced(t *TKr, name string, r record.PublishRecord, img *Image) ([]string, error) {
	tkrObject := "TanzuKubernetesRelease/" + t.Name
	labels := img.resolverLabels(r.Cell.OS.Type)
	var replaced []string
	for _, n := range t.OSImages {
		o := c.OSImage(n)
		if n == name || o == nil {
			continue
		}
		selector, clash := c.selectors.Clash(img.Key.ImageType, o.Resolved, labels)
		if !clash {
			continue
		}
		both := fmt.Sprintf("%s (%s) lists OSImage/%s (%s), and OSImage/%s (%s) would match the same selector %s (%s): TKG resolution fails unless exactly one OSImage matches",
			tkrObject, t.Where, n, o.Where, name, img.Key, selector, c.selectors.describe(img.Key.ImageType))
		infra := infraOf[img.Key.ImageType]
		switch {
		case o.Managed() && o.Key == img.Key:
		case o.Managed():
			return nil, fmt.Errorf("%s. OSImage/%s is the image of cell %s, and only one of the two cells can be catalogued: remove one of them from the grid; if cell %s has left it already, remove OSImage/%s from the TKr's spec.osImages; or, if your clusters select on more labels, set catalog.selectors.%s in the publish config",
				both, n, o.Annotations[AnnotationCell], o.Annotations[AnnotationCell], n, infra)
		case !r.Cell.ReplacesDefault:
			return nil, fmt.Errorf("%s. OSImage/%s is a default image: declare the cell with replacesDefault: true to replace it, or, if your clusters select on more labels, set catalog.selectors.%s in the publish config",
				both, n, infra)
		}
		replaced = append(replaced, n)
	}
	return replaced, nil
}

// putOSImage creates the OSImage name in dir, or updates it to point at img.
func (c *Catalog) putOSImage(dir, name string, t *TKr, r record.PublishRecord, img *Image) ([]record.CatalogChange, error) {
	object := "OSImage/" + name
	annotations := map[string]string{
		AnnotationBuildKey:            r.Key(),
		AnnotationCell:                r.Cell.ID,
		AnnotationBuiltAt:             r.BuiltAt.UTC().Format(time.RFC3339),
		AnnotationPublishedAt:         r.Finished.UTC().Format(time.RFC3339),
		AnnotationImageBuilderVersion: r.ImageBuilderVersion,
	}
	labels := map[string]string{}
	for k, v := range img.Ref {
		labels[img.Key.ImageType+"-"+k] = LabelValue(v)
	}
	existing := c.osImages[name]
	if len(existing) == 0 {
		data, err := newOSImage(name, t, r, img, labels, annotations)
		if err != nil {
			return nil, err
		}
		file := path.Join(dir, "OSImage-"+name+".yml")
		if _, err := c.newFile(file, data); err != nil {
			return nil, err
		}
		return []record.CatalogChange{{File: file, Object: object, Action: ActionCreated}}, nil
	}
	l := existing[0]
	if !l.obj.Managed() {
		return nil, fmt.Errorf("%s (%s) has the name imagegrid would give this image but no %s annotation; rename it", object, l.obj.Where, AnnotationBuildKey)
	}
	if l.obj.Annotations[AnnotationBuildKey] == r.Key() && maps.Equal(l.obj.Ref, img.Ref) {
		// The same image again (a re-run reused it): it dates from its first publication.
		annotations[AnnotationPublishedAt] = cmp.Or(l.obj.Annotations[AnnotationPublishedAt], annotations[AnnotationPublishedAt])
	}
	var edits []yamledit.Edit
	set := func(value string, path ...any) {
		if yamledit.Scalar(l.file.docs[l.doc].Root(), path...) != value {
			edits = append(edits, yamledit.SetScalar{Path: path, Value: value})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(img.Ref)) {
		set(img.Ref[k], "spec", "image", "ref", k)
	}
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		set(labels[k], "metadata", "labels", k)
	}
	for _, k := range slices.Sorted(maps.Keys(annotations)) {
		set(annotations[k], "metadata", "annotations", k)
	}
	if len(edits) == 0 {
		return nil, nil
	}
	if err := c.editDoc(l.file, l.doc, edits...); err != nil {
		return nil, err
	}
	return []record.CatalogChange{{File: l.file.Path, Object: object, Action: ActionUpdated}}, nil
}

// newOSImage writes a new OSImage document.
func newOSImage(name string, t *TKr, r record.PublishRecord, img *Image, labels, annotations map[string]string) ([]byte, error) {
	for k, v := range map[string]string{"os-name": img.Key.OSName, "os-version": img.Key.OSVersion, "os-arch": img.Key.Arch, "os-type": r.Cell.OS.Type, "image-type": img.Key.ImageType} {
		labels[k] = LabelValue(v)
	}
	ref := yamledit.SortedMapping(img.Ref)
	doc := yamledit.Mapping(
		"apiVersion", TKrAPIVersion,
		"kind", KindOSImage,
		"metadata", yamledit.Mapping("name", name, "labels", yamledit.SortedMapping(labels), "annotations", yamledit.SortedMapping(annotations)),
		"spec", yamledit.Mapping(
			"kubernetesVersion", t.KubernetesVersion,
			"os", yamledit.Mapping("type", r.Cell.OS.Type, "name", img.Key.OSName, "version", img.Key.OSVersion, "arch", img.Key.Arch),
			"image", yamledit.Mapping("type", img.Key.ImageType, "ref", ref),
		),
	)
	doc.HeadComment = fmt.Sprintf("Written by imagegrid for cell %s.", r.Cell.ID)
	s, err := yamledit.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return []byte("---\n" + s), nil
}

// editDoc applies edits to one document of f, then re-reads the catalog objects.
func (c *Catalog) editDoc(f *File, doc int, edits ...yamledit.Edit) error {
	d := f.docs[doc]
	for _, e := range edits {
		if err := d.Edit(e); err != nil {
			return fmt.Errorf("%s:%d: %w", f.Path, d.Line, err)
		}
	}
	return c.update(f, nil)
}

// referenced reports whether some TKr lists the OSImage name.
func (c *Catalog) referenced(name string) bool {
	for _, ls := range c.tkrs {
		for _, l := range ls {
			if slices.Contains(l.obj.OSImages, name) {
				return true
			}
		}
	}
	return false
}

// deleteOSImage removes the OSImage name: its document, or its file when it holds nothing
// else.
func (c *Catalog) deleteOSImage(name string) (record.CatalogChange, error) {
	l := c.osImages[name][0]
	f := l.file
	others := 0
	for i, d := range f.docs {
		if i != l.doc && d.Root() != nil {
			others++
		}
	}
	if others == 0 {
		c.drop(f)
		f.deleted = true
	} else {
		f.docs = slices.Delete(f.docs, l.doc, l.doc+1)
		if err := c.update(f, nil); err != nil {
			return record.CatalogChange{}, err
		}
	}
	return record.CatalogChange{File: f.Path, Object: "OSImage/" + name, Action: ActionDeleted}, nil
}
