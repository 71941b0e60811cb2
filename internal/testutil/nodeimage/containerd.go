package nodeimage

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/metadata"
	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/containerd/v2/plugins/content/local"
	nativesn "github.com/containerd/containerd/v2/plugins/snapshots/native"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	bolt "go.etcd.io/bbolt"
)

// Where containerd keeps its state on a node (containerd's default root, /var/lib/containerd,
// with its metadata and content plugins' directories).
const (
	containerdRoot = "var/lib/containerd"
	metaDB         = containerdRoot + "/io.containerd.metadata.v1.bolt/meta.db"
	contentRoot    = containerdRoot + "/io.containerd.content.v1.content"
)

// layerMode says what becomes of an image's layers once pulled.
type layerMode int

const (
	// keepLayers: unpacked into a snapshot, and kept in the content store (containerd's
	// default, and Image Builder's).
	keepLayers layerMode = iota
	// discardLayers: unpacked, then removed from the content store
	// (discard_unpacked_layers = true).
	discardLayers
	// lostLayers: removed and never unpacked: a broken image.
	lostLayers
)

// writeContainerd writes the images into tree's containerd state in namespace k8s.io, with
// containerd's own metadata and local content store, as the CRI plugin's pull (what Image
// Builder's kubeadm pull does through crictl) leaves them: the image record pointing at a
// multi-platform index, the index, and the manifest, config and layers of the node's
// platform only, unpacked into a committed snapshot named by the layers' chain ID.
func writeContainerd(tree, arch string, refs []string, layers layerMode) error {
	// The local content store warns that this filesystem has no fs-verity; nothing to act on.
	if err := log.SetLevel("error"); err != nil {
		return err
	}
	dbPath := filepath.Join(tree, metaDB)
	if err := os.MkdirAll(filepath.Dir(dbPath), 0o700); err != nil {
		return err
	}
	cs, err := local.NewStore(filepath.Join(tree, contentRoot))
	if err != nil {
		return fmt.Errorf("containerd content store: %w", err)
	}
	bdb, err := bolt.Open(dbPath, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return fmt.Errorf("containerd metadata: %w", err)
	}
	defer bdb.Close()
	// The snapshots are recorded under the overlayfs snapshotter, as on a node; the native
	// snapshotter stands in for it (overlayfs needs mounts), its files kept out of the image.
	snapRoot, err := os.MkdirTemp("", "nodeimage-snapshots-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(snapRoot)
	native, err := nativesn.NewSnapshotter(snapRoot)
	if err != nil {
		return fmt.Errorf("snapshotter: %w", err)
	}
	db := metadata.NewDB(bdb, cs, map[string]snapshots.Snapshotter{"overlayfs": native})
	ctx := namespaces.WithNamespace(context.Background(), "k8s.io")
	if err := db.Init(ctx); err != nil {
		return fmt.Errorf("containerd metadata init: %w", err)
	}
	for _, ref := range refs {
		if err := pullImage(ctx, db, cs, ref, arch, layers); err != nil {
			return fmt.Errorf("image %s: %w", ref, err)
		}
	}
	return nil
}

// pullImage leaves image ref in db as the CRI plugin's pull for arch would: its blobs, its
// record, its unpacked snapshot (unless layers are lost) and its layer (only if kept).
func pullImage(ctx context.Context, db *metadata.DB, cs content.Store, ref, arch string, layers layerMode) error {
	index, layer, err := writeImage(ctx, db.ContentStore(), ref, arch)
	if err != nil {
		return err
	}
	img := images.Image{Name: ref, Target: index, Labels: map[string]string{"io.cri-containerd.image": "managed"}}
	if _, err := metadata.NewImageStore(db).Create(ctx, img); err != nil {
		return err
	}
	if layers != lostLayers {
		// One layer: its chain ID is its diff ID.
		sn, chain := db.Snapshotter("overlayfs"), layer.Digest.String()
		key := "extract-" + chain
		if _, err := sn.Prepare(ctx, key, ""); err != nil && !errdefs.IsAlreadyExists(err) {
			return fmt.Errorf("unpack: %w", err)
		}
		if err := sn.Commit(ctx, chain, key); err != nil && !errdefs.IsAlreadyExists(err) {
			return fmt.Errorf("unpack: %w", err)
		}
	}
	if layers != keepLayers {
		// The namespace's record goes now, the file at the next garbage collection.
		for _, store := range []content.Store{db.ContentStore(), cs} {
			if err := store.Delete(ctx, layer.Digest); err != nil && !errdefs.IsNotFound(err) {
				return fmt.Errorf("discard layer: %w", err)
			}
		}
	}
	return nil
}

// writeImage writes an image's blobs and returns its index and its one layer, which is
// stored uncompressed (its digest is its diff ID).
func writeImage(ctx context.Context, cs content.Store, ref, arch string) (v1.Descriptor, v1.Descriptor, error) {
	put := func(mediaType string, data []byte) (v1.Descriptor, error) {
		desc := v1.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(data), Size: int64(len(data))}
		return desc, content.WriteBlob(ctx, cs, desc.Digest.String(), bytes.NewReader(data), desc)
	}
	layerData := []byte("layer of " + ref + " for " + arch)
	config, err := put(v1.MediaTypeImageConfig, mustJSON(v1.Image{Platform: v1.Platform{OS: "linux", Architecture: arch},
		RootFS: v1.RootFS{Type: "layers", DiffIDs: []digest.Digest{digest.FromBytes(layerData)}}}))
	if err != nil {
		return v1.Descriptor{}, v1.Descriptor{}, err
	}
	layer, err := put(v1.MediaTypeImageLayer, layerData)
	if err != nil {
		return v1.Descriptor{}, v1.Descriptor{}, err
	}
	manifest, err := put(v1.MediaTypeImageManifest, mustJSON(v1.Manifest{Versioned: ocispec.Versioned{SchemaVersion: 2}, MediaType: v1.MediaTypeImageManifest, Config: config, Layers: []v1.Descriptor{layer}}))
	if err != nil {
		return v1.Descriptor{}, v1.Descriptor{}, err
	}
	manifest.Platform = &v1.Platform{OS: "linux", Architecture: arch}
	// The other platform's manifest is listed in the index but was not pulled.
	other := "arm64"
	if arch == "arm64" {
		other = "amd64"
	}
	otherData := mustJSON(v1.Manifest{Versioned: ocispec.Versioned{SchemaVersion: 2}, MediaType: v1.MediaTypeImageManifest, Config: v1.Descriptor{MediaType: v1.MediaTypeImageConfig, Digest: digest.FromString(other), Size: 2}})
	otherDesc := v1.Descriptor{MediaType: v1.MediaTypeImageManifest, Digest: digest.FromBytes(otherData), Size: int64(len(otherData)), Platform: &v1.Platform{OS: "linux", Architecture: other}}
	index, err := put(v1.MediaTypeImageIndex, mustJSON(v1.Index{Versioned: ocispec.Versioned{SchemaVersion: 2}, MediaType: v1.MediaTypeImageIndex, Manifests: []v1.Descriptor{otherDesc, manifest}}))
	return index, layer, err
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
