package imagebuilder

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/imagegrid/imagegrid/internal/record"
)

// Manifest is a packer manifest (the manifest post-processor's output). Packer appends to an
// existing file, so it can hold builds of earlier runs.
type Manifest struct {
	Builds      []ManifestBuild `json:"builds"`
	LastRunUUID string          `json:"last_run_uuid"`
}

// ManifestBuild is one build in a packer manifest.
type ManifestBuild struct {
	Name          string            `json:"name"`
	BuilderType   string            `json:"builder_type"`
	BuildTime     int64             `json:"build_time"`
	Files         []ManifestFile    `json:"files"`
	ArtifactID    string            `json:"artifact_id"`
	PackerRunUUID string            `json:"packer_run_uuid"`
	CustomData    map[string]string `json:"custom_data"`
}

// ManifestFile is one file of a build.
type ManifestFile struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
}

// ReadManifest reads a packer manifest. A missing file is an error wrapping os.ErrNotExist.
func ReadManifest(path string) (Manifest, error) {
	var m Manifest
	data, err := os.ReadFile(path)
	if err != nil {
		return m, fmt.Errorf("read packer manifest: %w", err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("packer manifest %s: %w", path, err)
	}
	return m, nil
}

// ThisRun returns the build of the run that wrote the manifest: the last build whose
// packer_run_uuid is last_run_uuid. build empties the output dir before every attempt, so the
// manifest holds this run's builds only, as Image Builder's hack/image-build-ova.py (which
// reads builds[0]) needs. path names the file in errors.
func (m Manifest) ThisRun(path string) (ManifestBuild, error) {
	if m.LastRunUUID == "" {
		return ManifestBuild{}, fmt.Errorf("packer manifest %s has no last_run_uuid", path)
	}
	for i := len(m.Builds) - 1; i >= 0; i-- {
		if m.Builds[i].PackerRunUUID == m.LastRunUUID {
			return m.Builds[i], nil
		}
	}
	return ManifestBuild{}, fmt.Errorf("packer manifest %s has no build with packer_run_uuid %s (its last_run_uuid)", path, m.LastRunUUID)
}

var amiPattern = regexp.MustCompile(`^ami-[0-9a-f]{8,17}$`)

// AMIs reads an amazon-ebs artifact_id: "region:ami-id" pairs joined by ",".
func AMIs(artifactID string) ([]record.AMIArtifact, error) {
	var amis []record.AMIArtifact
	seen := map[string]bool{}
	for _, pair := range strings.Split(artifactID, ",") {
		region, id, ok := strings.Cut(strings.TrimSpace(pair), ":")
		if !ok || !record.IsAWSRegion(region) || !amiPattern.MatchString(id) {
			return nil, fmt.Errorf("artifact_id %q: %q is not region:ami-id (e.g. us-east-1:ami-0a1b2c3d4e5f67890)", artifactID, pair)
		}
		if seen[region] {
			return nil, fmt.Errorf("artifact_id %q: region %s appears twice", artifactID, region)
		}
		seen[region] = true
		amis = append(amis, record.AMIArtifact{Region: region, ID: id})
	}
	return amis, nil
}

var (
	galleryVersionPattern = regexp.MustCompile(`(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Compute/galleries/[^/]+/images/[^/]+/versions/[^/]+$`)
	managedImagePattern   = regexp.MustCompile(`(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Compute/images/[^/]+$`)
)

// Azure kinds of record.AzureArtifact.
const (
	AzureGalleryImageVersion = "galleryImageVersion"
	AzureManagedImage        = "managedImage"
)

// AzureImages reads an azure-arm artifact_id: one or more resource ids joined by ",", each a
// Compute Gallery image version or a managed image.
func AzureImages(artifactID string) ([]record.AzureArtifact, error) {
	var images []record.AzureArtifact
	for _, id := range strings.Split(artifactID, ",") {
		id = strings.TrimSpace(id)
		switch {
		case galleryVersionPattern.MatchString(id):
			images = append(images, record.AzureArtifact{ID: id, Kind: AzureGalleryImageVersion})
		case managedImagePattern.MatchString(id):
			images = append(images, record.AzureArtifact{ID: id, Kind: AzureManagedImage})
		default:
			return nil, fmt.Errorf("artifact_id %q: %q is neither a gallery image version nor a managed image resource id", artifactID, id)
		}
	}
	return images, nil
}

// KubernetesKey is the packer manifest custom_data key that holds the Kubernetes version a
// build of infra installed: upstream's packer/ami/packer.json writes kubernetes_version (its
// AMI tags' name), packer/ova/packer-node.json and packer/azure/packer.json write
// kubernetes_semver (v0.1.14 to v0.1.55).
func KubernetesKey(infra string) string {
	if infra == record.InfraAWS {
		return "kubernetes_version"
	}
	return "kubernetes_semver"
}

// CheckKubernetes verifies that a manifest build of cell c installed the cell's Kubernetes.
func (b ManifestBuild) CheckKubernetes(c record.Cell) error {
	key := KubernetesKey(c.Infra)
	got, ok := b.CustomData[key]
	if !ok {
		return fmt.Errorf("its custom_data has no %s, which Image Builder's %s template writes", key, c.Infra)
	}
	if got != c.Kubernetes.Semver {
		return fmt.Errorf("this run built %s %q, the cell wants %q", key, got, c.Kubernetes.Semver)
	}
	return nil
}

// sigArtifactLine is the line packer-plugin-azure's artifact prints for the Compute Gallery
// image version it published (builder/azure/arm/artifact.go, String:
// "ManagedImageSharedImageGalleryId: <id>"). Its artifact id, which the packer manifest
// records, is the managed image whenever there is one (Artifact.Id), and Image Builder's
// packer/azure/packer.json always makes one: the gallery image version is only in this line.
var sigArtifactLine = regexp.MustCompile(`ManagedImageSharedImageGalleryId: (\S+)`)

// GalleryImageVersionLine returns the gallery image version id an azure-arm build printed
// on line, if it is that line of its artifact.
func GalleryImageVersionLine(line string) (string, bool) {
	m := sigArtifactLine.FindStringSubmatch(line)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// WithGalleryImageVersion adds the gallery image version id that the build printed to the
// images its manifest listed, and refuses a build without one: publish and the catalog
// need the gallery image version, not the managed image.
func WithGalleryImageVersion(images []record.AzureArtifact, printed string) ([]record.AzureArtifact, error) {
	if printed != "" {
		if !galleryVersionPattern.MatchString(printed) {
			return nil, fmt.Errorf("ManagedImageSharedImageGalleryId %q is not a gallery image version resource id", printed)
		}
		if !slices.ContainsFunc(images, func(a record.AzureArtifact) bool { return strings.EqualFold(a.ID, printed) }) {
			images = append(images, record.AzureArtifact{ID: printed, Kind: AzureGalleryImageVersion})
		}
	}
	if !slices.ContainsFunc(images, func(a record.AzureArtifact) bool { return a.Kind == AzureGalleryImageVersion }) {
		return nil, fmt.Errorf("no Compute Gallery image version: the manifest's artifact_id has none and the build printed no ManagedImageSharedImageGalleryId")
	}
	return images, nil
}
