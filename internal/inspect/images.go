package inspect

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/imagegrid/imagegrid/internal/nodefs"
	"github.com/imagegrid/imagegrid/internal/record"
	bolt "go.etcd.io/bbolt"
)

// containerd's state on a node: its metadata database (bbolt) and content store, under the
// default root /var/lib/containerd (containerd core/metadata/buckets.go for the layout).
const (
	metaDB      = "/var/lib/containerd/io.containerd.metadata.v1.bolt/meta.db"
	blobDir     = "/var/lib/containerd/io.containerd.content.v1.content/blobs"
	namespace   = "k8s.io" // the CRI plugin's namespace, where kubeadm's images are pulled
	maxMetaDB   = 256 << 20
	maxManifest = 4 << 20
)

// OCI and Docker media types of indexes and manifests.
var (
	indexTypes    = []string{"application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"}
	manifestTypes = []string{"application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json"}
)

type descriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
	Platform  *struct {
		OS           string `json:"os"`
		Architecture string `json:"architecture"`
	} `json:"platform,omitempty"`
}

type manifest struct {
	MediaType string       `json:"mediaType"`
	Manifests []descriptor `json:"manifests"`
	Config    descriptor   `json:"config"`
	Layers    []descriptor `json:"layers"`
}

// checkImages checks each expected image in containerd's k8s.io namespace: its record, and
// in the content store its index, the manifest for the node's architecture, its config and
// every layer. A layer missing from the content store passes when the image is unpacked: a
// committed snapshot named by the chain ID of its layers exists (what containerd keeps with
// the CRI plugin's discard_unpacked_layers = true; Image Builder's containerd config,
// ansible/roles/containerd/templates/etc/containerd/config.toml, leaves it false).
func checkImages(root *nodefs.FS, e Expect) []record.NodeImageCheck {
	st, err := readImages(root)
	if err != nil {
		return []record.NodeImageCheck{{Name: "containerd images", Found: err.Error(), Where: metaDB}}
	}
	names := make([]string, 0, len(st.images))
	for n := range st.images {
		names = append(names, n)
	}
	sort.Strings(names)
	var checks []record.NodeImageCheck
	for _, img := range e.Images {
		c := record.NodeImageCheck{Name: "image " + img.Repository, Expected: img.String(), Where: metaDB + ": v1/" + namespace + "/images"}
		ref := match(names, img)
		if ref == "" {
			c.Found = "missing"
			if tags := tagsOf(names, img.Repository); len(tags) > 0 {
				c.Found = "missing; has tags " + strings.Join(tags, ", ")
			}
			checks = append(checks, c)
			continue
		}
		c.Where = metaDB + ": v1/" + namespace + "/images/" + ref
		t := st.images[ref]
		if where, err := checkContent(root, t, e.Arch, st); err != nil {
			c.Found, c.Where = ref+" ("+t.Digest+"): "+err.Error(), where
		} else {
			c.Found, c.OK = ref+"@"+t.Digest, true
		}
		checks = append(checks, c)
	}
	return checks
}

func match(names []string, img Image) string {
	for _, n := range names {
		repo, tag := splitRef(n)
		if repo == img.Repository && (tag == img.Tag || img.TagPrefix && strings.HasPrefix(tag, img.Tag)) {
			return n
		}
	}
	return ""
}

func tagsOf(names []string, repo string) []string {
	var tags []string
	for _, n := range names {
		if r, t := splitRef(n); r == repo {
			tags = append(tags, t)
		}
	}
	return tags
}

// splitRef splits "registry/repo:tag" (a digest reference has no tag).
func splitRef(ref string) (string, string) {
	ref, _, _ = strings.Cut(ref, "@")
	i := strings.LastIndex(ref, ":")
	if i < 0 || strings.Contains(ref[i:], "/") {
		return ref, ""
	}
	return ref[:i], ref[i+1:]
}

// state is what containerd's metadata says of the k8s.io namespace.
type state struct {
	// images maps image name → target descriptor.
	images map[string]descriptor
	// blobs are the digests of the namespace's content (v1/k8s.io/content/blob).
	blobs map[string]bool
	// snapshots are the names of its snapshots, whatever the snapshotter.
	snapshots map[string]bool
}

// readImages reads the image records, content records and snapshot names of the k8s.io
// namespace.
// bbolt reads a file, so the database is copied out of the image into a private temporary
// file first (it is a few hundred KiB on a node image).
func readImages(root *nodefs.FS) (state, error) {
	f, err := root.Open(metaDB)
	if err != nil {
		return state{}, fmt.Errorf("containerd metadata: %w", err)
	}
	if f.Size() > maxMetaDB {
		return state{}, fmt.Errorf("containerd metadata is %d bytes; at most %d are read", f.Size(), maxMetaDB)
	}
	tmp, err := os.CreateTemp("", "imagegrid-meta-*.db")
	if err != nil {
		return state{}, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if _, err := io.Copy(tmp, io.NewSectionReader(f, 0, f.Size())); err != nil {
		return state{}, fmt.Errorf("copy containerd metadata: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return state{}, err
	}
	db, err := bolt.Open(tmp.Name(), 0o400, &bolt.Options{ReadOnly: true})
	if err != nil {
		return state{}, fmt.Errorf("containerd metadata is not a bbolt database: %w", err)
	}
	defer db.Close()
	st := state{images: map[string]descriptor{}, blobs: map[string]bool{}, snapshots: map[string]bool{}}
	out := st.images
	err = db.View(func(tx *bolt.Tx) error {
		if sn := bucket(tx, "v1", namespace, "snapshots"); sn != nil {
			if err := sn.ForEachBucket(func(snapshotter []byte) error {
				return sn.Bucket(snapshotter).ForEachBucket(func(key []byte) error {
					st.snapshots[string(key)] = true
					return nil
				})
			}); err != nil {
				return err
			}
		}
		if blobs := bucket(tx, "v1", namespace, "content", "blob"); blobs != nil {
			if err := blobs.ForEachBucket(func(d []byte) error {
				st.blobs[string(d)] = true
				return nil
			}); err != nil {
				return err
			}
		}
		images := bucket(tx, "v1", namespace, "images")
		if images == nil {
			return fmt.Errorf("no v1/%s/images bucket: containerd pulled no image for Kubernetes", namespace)
		}
		return images.ForEach(func(name, v []byte) error {
			img := images.Bucket(name)
			if v != nil || img == nil {
				return nil
			}
			t := img.Bucket([]byte("target"))
			if t == nil {
				return fmt.Errorf("image %s has no target", name)
			}
			size, _ := binary.Varint(t.Get([]byte("size"))) // boltutil writes binary.PutVarint
			out[string(name)] = descriptor{Digest: string(t.Get([]byte("digest"))), MediaType: string(t.Get([]byte("mediatype"))), Size: size}
			return nil
		})
	})
	return st, err
}

func bucket(tx *bolt.Tx, path ...string) *bolt.Bucket {
	b := tx.Bucket([]byte(path[0]))
	for _, p := range path[1:] {
		if b == nil {
			return nil
		}
		b = b.Bucket([]byte(p))
	}
	return b
}

// checkContent follows an image target through the content store; it returns the path
// that is missing or wrong with the error.
func checkContent(root *nodefs.FS, t descriptor, arch string, st state) (string, error) {
	m, where, err := readManifest(root, t)
	if err != nil {
		return where, err
	}
	if contains(indexTypes, t.MediaType) || len(m.Manifests) > 0 {
		if m, where, err = platformManifest(root, m, where, arch); err != nil {
			return where, err
		}
	}
	if where, err := checkBlob(root, m.Config, st); err != nil {
		return where, err
	}
	return checkLayers(root, m, st)
}

// platformManifest reads the linux/arch manifest that index, read from where, lists.
func platformManifest(root *nodefs.FS, index manifest, where, arch string) (manifest, string, error) {
	for _, d := range index.Manifests {
		if d.Platform != nil && d.Platform.OS == "linux" && d.Platform.Architecture == arch {
			return readManifest(root, d)
		}
	}
	return manifest{}, where, fmt.Errorf("the index lists no linux/%s manifest", arch)
}

// checkLayers checks that the content store has every layer of m, or, from the first one
// missing, that the snapshot of the image's whole chain exists (layers discarded after
// unpacking).
func checkLayers(root *nodefs.FS, m manifest, st state) (string, error) {
	for _, d := range m.Layers {
		where, err := checkBlob(root, d, st)
		if err == nil {
			continue
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return where, err
		}
		chain, cerr := chainID(root, m.Config)
		if cerr != nil {
			return where, fmt.Errorf("%w; and the image's chain ID: %v", err, cerr)
		}
		if !st.snapshots[chain] {
			return where, fmt.Errorf("%w, and no snapshot %s unpacks the image", err, chain)
		}
		break
	}
	return "", nil
}

// checkBlob checks that the namespace has a record of d and the content store its file, at
// its size.
func checkBlob(root *nodefs.FS, d descriptor, st state) (string, error) {
	p, err := blobPath(d.Digest)
	if err != nil {
		return "", err
	}
	if !st.blobs[d.Digest] {
		return metaDB + ": v1/" + namespace + "/content/blob/" + d.Digest, fmt.Errorf("blob not in the namespace's content: %w", fs.ErrNotExist)
	}
	info, err := root.Stat(p)
	if err != nil {
		return p, fmt.Errorf("blob missing: %w", err)
	}
	if info.Size != d.Size {
		return p, fmt.Errorf("blob is %d bytes, the manifest says %d", info.Size, d.Size)
	}
	return p, nil
}

// chainID is the chain ID of an image's layers, from its config's rootfs.diff_ids
// (OCI image-spec config.md: ChainID(L0) = DiffID(L0), ChainID(Ln) =
// sha256(ChainID(Ln-1) + " " + DiffID(Ln))).
func chainID(root *nodefs.FS, config descriptor) (string, error) {
	p, err := blobPath(config.Digest)
	if err != nil {
		return "", err
	}
	data, err := root.ReadFile(p, maxManifest)
	if err != nil {
		return "", err
	}
	var c struct {
		RootFS struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return "", fmt.Errorf("config %s: %w", p, err)
	}
	if len(c.RootFS.DiffIDs) == 0 {
		return "", fmt.Errorf("config %s lists no rootfs.diff_ids", p)
	}
	chain := c.RootFS.DiffIDs[0]
	for _, d := range c.RootFS.DiffIDs[1:] {
		sum := sha256.Sum256([]byte(chain + " " + d))
		chain = "sha256:" + hex.EncodeToString(sum[:])
	}
	return chain, nil
}

func readManifest(root *nodefs.FS, d descriptor) (manifest, string, error) {
	p, err := blobPath(d.Digest)
	if err != nil {
		return manifest{}, "", err
	}
	data, err := root.ReadFile(p, maxManifest)
	if err != nil {
		return manifest{}, p, fmt.Errorf("blob missing: %w", err)
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return manifest{}, p, fmt.Errorf("not a manifest or index: %w", err)
	}
	if !contains(indexTypes, d.MediaType) && !contains(manifestTypes, d.MediaType) && d.MediaType != "" {
		return manifest{}, p, fmt.Errorf("media type %s is neither an index nor a manifest", d.MediaType)
	}
	return m, p, nil
}

func blobPath(digest string) (string, error) {
	alg, hex, ok := strings.Cut(digest, ":")
	if !ok || alg == "" || hex == "" || strings.ContainsAny(digest, "/.") {
		return "", errors.New("bad digest " + digest)
	}
	return blobDir + "/" + alg + "/" + hex, nil
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}
