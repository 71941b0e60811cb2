package vsphere

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/ovf"
	"github.com/vmware/govmomi/vapi/library"
	"github.com/vmware/govmomi/vim25/soap"

	"github.com/imagegrid/imagegrid/internal/ova"
	"github.com/imagegrid/imagegrid/internal/record"
)

// libraryUpload puts an OVA into a content library as an OVF template item. An item of the
// library that carries the build key and holds its descriptor is reused; an item this upload
// created is deleted again if the upload fails.
type libraryUpload struct {
	// m is the content library API of the vCenter, logged in.
	m       *library.Manager
	inv     *inventory
	library string
	create  bool
	// datastore backs a library created here.
	datastore string
	logf      func(string, ...any)
}

func buildKeyLine(key string) string { return "imagegrid build key: " + key }

func (u libraryUpload) run(ctx context.Context, rec record.BuildRecord, ovaPath, name string) (*record.ContentLibraryItem, bool, error) {
	libID, err := u.libraryID(ctx)
	if err != nil {
		return nil, false, err
	}
	out := &record.ContentLibraryItem{Library: u.library, Item: name}
	ids, err := u.m.FindLibraryItems(ctx, library.FindItem{LibraryID: libID, Name: name})
	if err != nil {
		return nil, false, fmt.Errorf("content library %s: find item %s: %w", u.library, name, err)
	}
	for _, id := range ids {
		item, err := u.m.GetLibraryItem(ctx, id)
		if err != nil {
			return nil, false, fmt.Errorf("content library %s: item %s: %w", u.library, id, err)
		}
		if item.Description == nil || !strings.Contains(*item.Description, buildKeyLine(rec.Key())) {
			return nil, false, fmt.Errorf("content library %s: item %s exists but does not carry build key %s; remove or rename it", u.library, name, rec.Cell.ShortKey())
		}
		complete, err := u.hasDescriptor(ctx, id)
		if err != nil {
			return nil, false, err
		}
		if complete {
			u.logf("content library %s: item %s already carries build key %s", u.library, name, rec.Cell.ShortKey())
			out.ItemID = id
			return out, true, nil
		}
		u.logf("content library %s: removing item %s, left by an interrupted upload", u.library, name)
		if err := u.m.DeleteLibraryItem(ctx, item); err != nil {
			return nil, false, fmt.Errorf("content library %s: remove interrupted item %s: %w", u.library, name, err)
		}
	}
	desc := annotation(rec) + "\n" + buildKeyLine(rec.Key())
	id, err := u.m.CreateLibraryItem(ctx, library.Item{Name: name, Type: library.ItemTypeOVF, LibraryID: libID, Description: &desc})
	if err != nil {
		return nil, false, fmt.Errorf("content library %s: create item %s: %w", u.library, name, err)
	}
	if err := u.upload(ctx, id, rec, ovaPath); err != nil {
		cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		if derr := u.m.DeleteLibraryItem(cleanup, &library.Item{ID: id}); derr != nil {
			u.logf("content library %s: remove failed item %s: %v", u.library, name, derr)
		}
		return nil, false, fmt.Errorf("content library %s: item %s: %w", u.library, name, err)
	}
	out.ItemID = id
	return out, false, nil
}

// libraryID finds the library by name, creating it on the datastore when asked.
func (u libraryUpload) libraryID(ctx context.Context) (string, error) {
	ids, err := u.m.FindLibrary(ctx, library.Find{Name: u.library})
	if err != nil {
		return "", fmt.Errorf("content library %s: %w", u.library, err)
	}
	switch {
	case len(ids) == 1:
		return ids[0], nil
	case len(ids) > 1:
		return "", fmt.Errorf("content library %s: %d libraries have that name", u.library, len(ids))
	case !u.create:
		return "", fmt.Errorf("content library %s: not found (set contentLibrary.create or --create-library to make it)", u.library)
	}
	ds := u.inv.datastore
	if u.datastore != "" {
		finder := find.NewFinder(u.inv.datacenter.Client())
		finder.SetDatacenter(u.inv.datacenter)
		if ds, err = finder.Datastore(ctx, u.datastore); err != nil {
			return "", fmt.Errorf("content library %s: datastore %q: %w", u.library, u.datastore, err)
		}
	}
	u.logf("content library %s: creating it on datastore %s", u.library, ds.Name())
	id, err := u.m.CreateLibrary(ctx, library.Library{
		Name: u.library, Type: "LOCAL",
		Storage: []library.StorageBacking{{DatastoreID: ds.Reference().Value, Type: "DATASTORE"}},
	})
	if err != nil {
		return "", fmt.Errorf("content library %s: create: %w", u.library, err)
	}
	return id, nil
}

// hasDescriptor reports whether the item holds an .ovf file: an upload got to its end.
func (u libraryUpload) hasDescriptor(ctx context.Context, id string) (bool, error) {
	files, err := u.m.ListLibraryItemFiles(ctx, id)
	if err != nil {
		return false, fmt.Errorf("list files of item %s: %w", id, err)
	}
	for _, f := range files {
		if strings.EqualFold(path.Ext(f.Name), ".ovf") {
			return true, nil
		}
	}
	return false, nil
}

// upload streams the descriptor and the files it references from the OVA into an update
// session, verifies the OVA against its record, and completes the session (fails it on error).
func (u libraryUpload) upload(ctx context.Context, itemID string, rec record.BuildRecord, ovaPath string) error {
	s, err := openOVA(ovaPath, rec.Artifacts.OVA, u.logf)
	if err != nil {
		return permanent(err)
	}
	defer s.Close()
	desc, err := s.Descriptor()
	if err != nil {
		return permanent(err)
	}
	session, err := u.m.CreateLibraryItemUpdateSession(ctx, library.Session{LibraryItemID: itemID})
	if err != nil {
		return fmt.Errorf("start update session: %w", err)
	}
	err = u.files(ctx, session, s, path.Base(rec.Artifacts.OVA.Path), desc.Raw, desc.Envelope)
	if err == nil {
		err = verify(s, rec.Artifacts.OVA)
	}
	if err == nil {
		err = u.m.CompleteLibraryItemUpdateSession(ctx, session)
	}
	if err == nil {
		err = u.m.WaitOnLibraryItemUpdateSession(ctx, session, 3*time.Second, nil)
	}
	if err != nil {
		cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		_ = u.m.FailLibraryItemUpdateSession(cleanup, session)
		_ = u.m.DeleteLibraryItemUpdateSession(cleanup, session)
	}
	return err
}

func (u libraryUpload) files(ctx context.Context, session string, s *ova.Reader, ovaName string, desc []byte, env *ovf.Envelope) error {
	name := strings.TrimSuffix(ovaName, path.Ext(ovaName)) + ".ovf"
	if err := u.put(ctx, session, name, bytes.NewReader(desc), int64(len(desc))); err != nil {
		return err
	}
	for _, ref := range env.References {
		r, size, err := s.Member(ref.Href)
		if err != nil {
			return permanent(err)
		}
		if err := u.put(ctx, session, ref.Href, fileReader{r}, size); err != nil {
			return err
		}
	}
	return nil
}

func (u libraryUpload) put(ctx context.Context, session, name string, r io.Reader, size int64) error {
	file, err := u.m.AddLibraryItemFile(ctx, session, library.UpdateFile{Name: name, SourceType: "PUSH", Size: size})
	if err != nil {
		return fmt.Errorf("add file %s: %w", name, err)
	}
	target, err := url.Parse(file.UploadEndpoint.URI)
	if err != nil {
		return fmt.Errorf("upload endpoint of %s: %w", name, err)
	}
	logger := newUploadLog(u.logf, name, size, nil)
	params := soap.DefaultUpload
	params.ContentLength = size
	params.Progress = logger
	err = u.m.Upload(ctx, r, target, &params)
	logger.wait(ctx)
	if err != nil {
		return fmt.Errorf("upload %s: %w", name, err)
	}
	return nil
}
