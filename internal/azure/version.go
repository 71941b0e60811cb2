package azure

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/imagegrid/imagegrid/internal/imagebuilder"
	"github.com/imagegrid/imagegrid/internal/record"
)

// versionID is a Compute Gallery image version's resource id, in its parts.
type versionID struct {
	Subscription, ResourceGroup, Gallery, Image, Name string
}

var versionIDPattern = regexp.MustCompile(`(?i)^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.Compute/galleries/([^/]+)/images/([^/]+)/versions/([^/]+)$`)

// parseVersionID reads a gallery image version's resource id.
func parseVersionID(id string) (versionID, error) {
	m := versionIDPattern.FindStringSubmatch(id)
	if m == nil {
		return versionID{}, fmt.Errorf("%q is not a Compute Gallery image version id (/subscriptions/…/resourceGroups/…/providers/Microsoft.Compute/galleries/…/images/…/versions/…)", id)
	}
	return versionID{m[1], m[2], m[3], m[4], m[5]}, nil
}

func (v versionID) String() string {
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/galleries/%s/images/%s/versions/%s",
		v.Subscription, v.ResourceGroup, v.Gallery, v.Image, v.Name)
}

// withName is the version of the same image named name.
func (v versionID) withName(name string) versionID {
	v.Name = name
	return v
}

// sourceVersion is the gallery image version a build recorded: packer-plugin-azure's
// ManagedImageSharedImageGalleryId, as build reads it (imagebuilder.WithGalleryImageVersion),
// never the managed image packer also leaves behind.
func sourceVersion(rec record.BuildRecord) (versionID, error) {
	for _, a := range rec.Artifacts.Azure {
		if a.Kind == imagebuilder.AzureGalleryImageVersion {
			return parseVersionID(a.ID)
		}
	}
	return versionID{}, fmt.Errorf("build record of %s has no Compute Gallery image version (artifacts of kind %s)", rec.Cell.ID, imagebuilder.AzureGalleryImageVersion)
}

// normRegion is a region's name as Azure compares them: "East US" and "eastus" are one.
func normRegion(name string) string {
	return strings.ToLower(strings.ReplaceAll(name, " ", ""))
}
