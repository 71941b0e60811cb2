package record

import "time"

// Build statuses.
const (
	// BuildSucceeded: the image was built and every artifact verified against the cell.
	BuildSucceeded = "succeeded"
	// BuildValidated: a --validate-only run passed Image Builder's validate target.
	BuildValidated = "validated"
	// BuildFailed: the build or its verification failed; Failure says why.
	BuildFailed = "failed"
)

// Failure classes of a failed build.
const (
	// FailureTransient: worth retrying (SSH/WinRM timeouts, throttling, pull errors).
	FailureTransient = "transient"
	// FailurePermanent: retrying will not help (goss failure, bad variable, missing target).
	FailurePermanent = "permanent"
	// FailureTimeout: the build ran past its deadline and was stopped.
	FailureTimeout = "timeout"
	// FailureVerification: Image Builder succeeded but its output did not match the cell.
	FailureVerification = "verification"
)

// BuildRecord is what build writes for one cell, and all that publish needs to know about it.
// Paths in it are relative to the directory holding the record file, so a directory of records
// can be moved (as actions/download-artifact lays it out) and still be read.
type BuildRecord struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	// Cell is the cell as build received it.
	Cell Cell `json:"cell"`
	// BuildKey is a copy of Cell.BuildKey (Decode refuses a record where they differ); read
	// the key with Key.
	BuildKey string `json:"buildKey"`
	Status   string `json:"status"`
	// ValidateOnly is true for a --validate-only run, which has no artifacts.
	ValidateOnly bool      `json:"validateOnly,omitempty"`
	Started      time.Time `json:"started"`
	Finished     time.Time `json:"finished"`
	// ImageBuilderVersion is the version Image Builder reported (OVF IMAGE_BUILDER_VERSION,
	// manifest ib_version), else the cell's.
	ImageBuilderVersion string `json:"imageBuilderVersion"`
	// Attempts counts Image Builder runs, retries included.
	Attempts int      `json:"attempts"`
	ExitCode int      `json:"exitCode"`
	Failure  *Failure `json:"failure,omitempty"`
	// Log is the path of the kept Image Builder log.
	Log       string    `json:"log,omitempty"`
	Artifacts Artifacts `json:"artifacts,omitzero"`
	// NodeImage holds one report per source (goss, inspection) on what Cluster API expects
	// of the image.
	NodeImage []NodeImageReport `json:"nodeImage,omitempty"`
}

// Failure says why a build failed.
type Failure struct {
	// Class is one of the Failure* constants.
	Class string `json:"class"`
	// Reason is a one-line explanation, e.g. the log line that classified it.
	Reason string `json:"reason"`
}

// Artifacts are what a build produced, verified against its cell.
type Artifacts struct {
	OVA   *OVAArtifact    `json:"ova,omitempty"`
	AMI   []AMIArtifact   `json:"ami,omitempty"`
	Azure []AzureArtifact `json:"azure,omitempty"`
}

// OVAArtifact is a vSphere OVA.
type OVAArtifact struct {
	// Path is relative to the record's directory.
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// ManifestSHA256 is the SHA-256 of the OVA's manifest (.mf), which build checked every
	// member against: the anchor the vSphere import trusts the OVA through, member by member,
	// instead of hashing the whole file again. Empty when the OVA has no manifest or one with
	// SHA-1 digests; the import then checks SHA256.
	ManifestSHA256 string `json:"manifestSha256,omitempty"`
	// Version is the OVF VERSION property: what a TKG OSImage's ref.version must equal.
	Version string `json:"version,omitempty"`
	// Properties are every ProductSection property of the OVF, key → default value.
	Properties map[string]string `json:"properties"`
}

// AMIArtifact is one AMI in one region, as Image Builder produced it.
type AMIArtifact struct {
	Region string `json:"region"`
	ID     string `json:"id"`
}

// AzureArtifact is one Azure image Image Builder produced.
type AzureArtifact struct {
	// ID is the resource id: a Compute Gallery image version or a managed image.
	ID string `json:"id"`
	// Kind is "galleryImageVersion" or "managedImage".
	Kind string `json:"kind"`
}

// Key is the build key of the record's image: its cell's.
func (r BuildRecord) Key() string { return r.Cell.BuildKey }
