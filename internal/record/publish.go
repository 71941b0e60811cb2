package record

import "time"

// Publish statuses, for a whole record and for each placement in it.
const (
	// PublishSucceeded: the image is usable where the record says.
	PublishSucceeded = "published"
	// PublishReused: an image with the same build key was already there and was kept.
	PublishReused = "reused"
	// PublishFailed: the image could not be published there; Error says why.
	PublishFailed = "failed"
	// PublishSkipped: nothing was done (failed build, dry run); Error says why.
	PublishSkipped = "skipped"
)

// PublishRecord says where one build's image now lives. The catalog step reads these. Its
// BuildKey is a copy of Cell.BuildKey, as in the build record: Decode refuses a record where
// they differ, and the key is read with Key.
type PublishRecord struct {
	APIVersion string    `json:"apiVersion"`
	Kind       string    `json:"kind"`
	Cell       Cell      `json:"cell"`
	BuildKey   string    `json:"buildKey"`
	Status     string    `json:"status"`
	Error      string    `json:"error,omitempty"`
	Started    time.Time `json:"started"`
	Finished   time.Time `json:"finished"`
	// BuiltAt and ImageBuilderVersion come from the build record (provenance for the catalog).
	BuiltAt             time.Time         `json:"builtAt"`
	ImageBuilderVersion string            `json:"imageBuilderVersion"`
	VSphere             *VSpherePlacement `json:"vsphere,omitempty"`
	AMIs                []AMIPlacement    `json:"amis,omitempty"`
	Azure               []AzurePlacement  `json:"azure,omitempty"`
	Catalog             []CatalogChange   `json:"catalog,omitempty"`
	// NodeImage are the build record's node image reports, carried to the catalog's pull
	// request.
	NodeImage []NodeImageReport `json:"nodeImage,omitempty"`
}

// Key is the build key of the record's image: its cell's.
func (r PublishRecord) Key() string { return r.Cell.BuildKey }

// VSpherePlacement is a vSphere VM template (and optionally a content library item).
type VSpherePlacement struct {
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	// VCenter is the host name of the vCenter.
	VCenter    string `json:"vcenter"`
	Datacenter string `json:"datacenter"`
	// Template is the inventory path of the template; MoRef its managed object id ("vm-42").
	Template string `json:"template"`
	MoRef    string `json:"moref"`
	// Version is the OVF VERSION property the template carries.
	Version        string              `json:"version,omitempty"`
	ContentLibrary *ContentLibraryItem `json:"contentLibrary,omitempty"`
}

// ContentLibraryItem is an OVF template item in a vSphere content library.
type ContentLibraryItem struct {
	Library string `json:"library"`
	Item    string `json:"item"`
	ItemID  string `json:"itemId"`
}

// AMIPlacement is the AMI in one region.
type AMIPlacement struct {
	Region string `json:"region"`
	ID     string `json:"id,omitempty"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	// Source is the AMI it was copied from ("us-east-1:ami-0a1b").
	Source string      `json:"source,omitempty"`
	Shared *AMISharing `json:"shared,omitempty"`
}

// AMISharing is the launch permission set on an AMI and its snapshots.
type AMISharing struct {
	Accounts            []string `json:"accounts,omitempty"`
	Organizations       []string `json:"organizations,omitempty"`
	OrganizationalUnits []string `json:"organizationalUnits,omitempty"`
	Public              bool     `json:"public,omitempty"`
}

// AzurePlacement is a Compute Gallery image version in one region: a version replicated to
// three regions has three placements, each with its own status.
type AzurePlacement struct {
	// ID is the gallery image version's resource id.
	ID     string `json:"id,omitempty"`
	Region string `json:"region,omitempty"`
	// ReplicaCount and StorageAccountType are the replicas asked for in the region.
	ReplicaCount       int    `json:"replicaCount,omitempty"`
	StorageAccountType string `json:"storageAccountType,omitempty"`
	Status             string `json:"status"`
	Error              string `json:"error,omitempty"`
	// Shared is how the version's gallery is shared, when it is.
	Shared *AzureSharing `json:"shared,omitempty"`
}

// AzureSharing is the sharing profile of a Compute Gallery: sharing is per gallery in Azure,
// so it applies to every version in it.
type AzureSharing struct {
	Subscriptions []string `json:"subscriptions,omitempty"`
	Tenants       []string `json:"tenants,omitempty"`
	Community     bool     `json:"community,omitempty"`
}

// CatalogChange is one edit the catalog step made for this record.
type CatalogChange struct {
	// File is the catalog file changed, relative to the catalog root.
	File string `json:"file"`
	// Object is "OSImage/<name>", "TanzuKubernetesRelease/<name>" or "BOM/<release>".
	Object string `json:"object"`
	// Action is "created", "updated", "replaced" (a reference to a default image swapped for
	// this one) or "deleted" (a replaced default removed by --prune).
	Action string `json:"action"`
	// Replaces is the object whose reference this image replaced, if any.
	Replaces string `json:"replaces,omitempty"`
}
