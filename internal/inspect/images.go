package inspect

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
// every layer. Layers stay in the content store because Image Builder's containerd config
// (ansible/roles/containerd/templates/etc/containerd/config.toml) leaves the CRI plugin's
// discard_unpacked_layers at its default, false.
func checkImages(root *nodefs.FS, e Expect) []record.NodeImageCheck {
	targets, err := readImages(root)
	if err != nil {
		return []record.NodeImageCheck{{Name: "containerd images", Found: err.Error(), Where: metaDB}}
	}
	names := make([]string, 0, len(targets))
	for n := range targets {
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
		t := targets[ref]
		if where, err := checkContent(root, t, e.Arch); err != nil {
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

// readImages reads every image record of the k8s.io namespace: name → target descriptor.
// bbolt reads a file, so the database is copied out of the image into a private temporary
// file first (it is a few hundred KiB on a node image).
func readImages(root *nodefs.FS) (map[string]descriptor, error) {
	f, err := root.Open(metaDB)
	if err != nil {
		return nil, fmt.Errorf("containerd metadata: %w", err)
	}
	if f.Size() > maxMetaDB {
		return nil, fmt.Errorf("containerd metadata is %d bytes; at most %d are read", f.Size(), maxMetaDB)
	}
	tmp, err := os.CreateTemp("", "imagegrid-meta-*.db")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if _, err := io.Copy(tmp, io.NewSectionReader(f, 0, f.Size())); err != nil {
		return nil, fmt.Errorf("copy containerd metadata: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	db, err := bolt.Open(tmp.Name(), 0o400, &bolt.Options{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("containerd metadata is not a bbolt database: %w", err)
	}
	defer db.Close()
	out := map[string]descriptor{}
	err = db.View(func(tx *bolt.Tx) error {
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
	return out, err
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
func checkContent(root *nodefs.FS, t descriptor, arch string) (string, error) {
	m, where, err := readManifest(root, t)
	if err != nil {
		return where, err
	}
	if contains(indexTypes, t.MediaType) || len(m.Manifests) > 0 {
		var chosen *descriptor
		for i, d := range m.Manifests {
			if d.Platform != nil && d.Platform.OS == "linux" && d.Platform.Architecture == arch {
				chosen = &m.Manifests[i]
				break
			}
		}
		if chosen == nil {
			return where, fmt.Errorf("the index lists no linux/%s manifest", arch)
		}
		if m, where, err = readManifest(root, *chosen); err != nil {
			return where, err
		}
	}
	for _, d := range append([]descriptor{m.Config}, m.Layers...) {
		p, err := blobPath(d.Digest)
		if err != nil {
			return where, err
		}
		info, err := root.Stat(p)
		if err != nil {
			return p, fmt.Errorf("blob missing: %w", err)
		}
		if info.Size != d.Size {
			return p, fmt.Errorf("blob is %d bytes, the manifest says %d", info.Size, d.Size)
		}
	}
	return "", nil
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
