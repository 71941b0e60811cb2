// Package record holds the versioned JSON formats that imagegrid's commands pass to each other:
// cells (matrix → build), build records (build → publish), publish records (publish → catalog)
// and the ledger of published images (catalog → matrix). Every format carries an apiVersion and
// a kind and is decoded strictly: unknown fields are errors that name the file and the field.
package record

import (
	"encoding/hex"
	"fmt"
	"regexp"
)

// APIVersion is the apiVersion of every format in this package.
const APIVersion = "imagegrid.io/v1alpha1"

// Kinds of the formats in this package.
const (
	KindCell            = "Cell"
	KindBuildRecord     = "BuildRecord"
	KindPublishRecord   = "PublishRecord"
	KindPublishedImages = "PublishedImages"
)

// Infrastructures a cell can target.
const (
	InfraVSphere = "vsphere"
	InfraAWS     = "aws"
	InfraAzure   = "azure"
)

// Image Builder flavors.
const (
	FlavorUpstream = "upstream"
	FlavorTKG      = "tkg"
)

// Cell is one image to build: one OS × Kubernetes release × infrastructure × architecture,
// with everything the build and publish steps need to make and place it.
type Cell struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	// ID is stable across runs and safe as a file, artifact and job name ([a-z0-9._-]).
	ID string `json:"id"`
	// Name is for people: "vsphere ubuntu-2204 amd64 v1.30.2+vmware.1".
	Name string `json:"name"`
	// Grid is the name of the grid the cell belongs to (names the catalog branch).
	Grid  string `json:"grid"`
	Infra string `json:"infra"`
	OS    OS     `json:"os"`
	// Target is the Image Builder make target for this cell.
	Target     Target     `json:"target"`
	Kubernetes Kubernetes `json:"kubernetes"`
	// ImageBuilder is the Image Builder release that builds this cell.
	ImageBuilder ImageBuilder `json:"imageBuilder"`
	// VarFiles are passed to Image Builder after imagegrid's own, in this order (later wins).
	VarFiles []VarFile `json:"varFiles,omitempty"`
	// Vars are extra Packer variables, written to a var file after VarFiles.
	Vars map[string]string `json:"vars,omitempty"`
	// TKGConfig is the TKG Image Builder configuration of the cell's TKr (tkg.json, the tkg/
	// Ansible roles, the goss spec), for TKG cells.
	TKGConfig *Folder `json:"tkgConfig,omitempty"`
	// Roles are Ansible roles of the user's repository that Image Builder runs after it
	// installed Kubernetes, in this order, each once.
	Roles []Folder `json:"roles,omitempty"`
	// Windows holds what a Windows cell needs beside its var files: the datastore paths of
	// the Windows and VMware Tools ISOs and the answer file (Windows cells only).
	Windows *Windows `json:"windows,omitempty"`
	// ReplacesDefault says the image replaces the default TKG image of the same
	// (TKr, OS name, OS version, arch, infrastructure[, region]) in the catalog.
	ReplacesDefault bool `json:"replacesDefault,omitempty"`
	// BuildKey is the sha256 (hex) over everything that determines the image.
	BuildKey string `json:"buildKey"`
	// Publish holds where the image goes once built.
	Publish PublishHints `json:"publish,omitzero"`
	// Sources are the declaration files (grid files, var files) the cell was made from,
	// slash-separated and relative to the directory matrix ran in.
	Sources []string `json:"sources"`
}

// OS describes the operating system of a cell.
type OS struct {
	// ID is the Image Builder OS name, as in its make targets: "ubuntu-2204", "photon-5".
	ID string `json:"id"`
	// Name, Version and Arch are as the image reports them (OVF DISTRO_NAME, DISTRO_VERSION,
	// DISTRO_ARCH): "ubuntu", "22.04", "amd64".
	Name    string `json:"name"`
	Version string `json:"version"`
	Arch    string `json:"arch"`
	// Type is "linux" or "windows".
	Type string `json:"type"`
}

// Target holds the Image Builder make targets of a cell.
type Target struct {
	Build    string `json:"build"`
	Validate string `json:"validate"`
}

// Kubernetes holds the Kubernetes versions of a cell, in the forms Image Builder takes.
type Kubernetes struct {
	// Semver is kubernetes_semver: "v1.30.2" or "v1.30.2+vmware.1".
	Semver string `json:"semver"`
	// Series is kubernetes_series: "v1.30".
	Series string `json:"series"`
	// DebVersion is kubernetes_deb_version: "1.30.2-1.1".
	DebVersion string `json:"debVersion"`
	// RPMVersion is kubernetes_rpm_version: "1.30.2".
	RPMVersion string `json:"rpmVersion"`
	// TKr is the TanzuKubernetesRelease version for TKG builds: "v1.30.2+vmware.1-tkg.1".
	TKr string `json:"tkr,omitempty"`
	// ResourceBundle is the TKG resource bundle image serving the Kubernetes, CNI and
	// containerd artifacts (TKG flavor only): the TKr's linux-resource-bundle, or its
	// windows-resource-bundle for a Windows cell.
	ResourceBundle string `json:"resourceBundle,omitempty"`
}

// Windows is what Image Builder's Windows OVA build takes from the user (upstream
// packer/ova/windows-2019.json only names placeholders for it): the ISOs, already in a
// datastore, and the answer file Windows Setup reads.
type Windows struct {
	// ISOPath and VMToolsISOPath are os_iso_path and vmtools_iso_path: datastore paths such
	// as "[vsanDatastore] ISO/windows-2019.iso".
	ISOPath        string `json:"isoPath"`
	VMToolsISOPath string `json:"vmToolsIsoPath"`
	// AnswerFile is the autounattend.xml of the user's repository, with its digest; it may
	// hold a product key, so it is never printed.
	AnswerFile VarFile `json:"answerFile"`
}

// ImageBuilder names the Image Builder release that builds a cell.
type ImageBuilder struct {
	// Image is the container image reference.
	Image string `json:"image"`
	// Version is the Image Builder version (the image tag unless declared): "v0.1.55".
	Version string `json:"version"`
	// Flavor is "upstream" or "tkg".
	Flavor string `json:"flavor"`
}

// VarFile is a Packer var file a cell uses, with the digest it had when the cell was made.
type VarFile struct {
	// Path is slash-separated and relative to the directory matrix ran in.
	Path string `json:"path"`
	// SHA256 is the hex digest of the file's bytes; build refuses a file that changed since.
	SHA256 string `json:"sha256"`
}

// Folder is a folder of the user's repository a cell hands to Image Builder whole, with the
// digest its files had when the cell was made (see package tree).
type Folder struct {
	// Path is slash-separated and relative to the directory matrix ran in.
	Path string `json:"path"`
	// SHA256 is the tree digest; build refuses a folder whose files changed since.
	SHA256 string `json:"sha256"`
}

// PublishHints say where a cell's image is published.
type PublishHints struct {
	AWS     *AWSHints     `json:"aws,omitempty"`
	VSphere *VSphereHints `json:"vsphere,omitempty"`
	Azure   *AzureHints   `json:"azure,omitempty"`
}

// AWSTarget is where AMIs are copied to and who may launch them. It is declared here once
// for the three places that say it: a grid's settings (aws:), a cell's publish hints and the
// publish configuration (aws:) embed it. Public is left to each of them, as they differ in
// what leaving it out means.
type AWSTarget struct {
	// Regions the AMI is copied to.
	Regions []string `json:"regions,omitempty"`
	// Accounts, Organizations (ARNs) and OrganizationalUnits (ARNs) get launch permission.
	Accounts            []string `json:"accounts,omitempty"`
	Organizations       []string `json:"organizations,omitempty"`
	OrganizationalUnits []string `json:"organizationalUnits,omitempty"`
}

// awsRegionPattern is the shape of an AWS region name ("us-east-1", "ap-southeast-2").
var awsRegionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

// IsAWSRegion reports whether name has the shape of an AWS region name, like us-east-1.
func IsAWSRegion(name string) bool { return awsRegionPattern.MatchString(name) }

// VSphereTarget is where in a vCenter an image is placed. It is declared here once for the
// three places that say it: a grid's settings (vsphere:), a cell's publish hints and the
// publish configuration (vsphere:) embed it.
type VSphereTarget struct {
	Datacenter   string `json:"datacenter,omitempty"`
	Cluster      string `json:"cluster,omitempty"`
	ResourcePool string `json:"resourcePool,omitempty"`
	Datastore    string `json:"datastore,omitempty"`
	// Folder is the VM folder: an inventory path, or relative to the datacenter's VM folder.
	// Empty means the VM folder itself.
	Folder string `json:"folder,omitempty"`
	// Network is the port group every OVF network is mapped to.
	Network string `json:"network,omitempty"`
}

// AWSHints place and share an AMI.
type AWSHints struct {
	AWSTarget
	// Public makes the AMI public; only when declared explicitly.
	Public bool `json:"public,omitempty"`
}

// VSphereHints place a vSphere template. Empty fields fall back to the publish config.
type VSphereHints struct {
	VSphereTarget
	// Host is the ESXi host the build VM runs on, for a build without a cluster.
	Host           string `json:"host,omitempty"`
	ContentLibrary string `json:"contentLibrary,omitempty"`
	// InsecureConnection lets the build (packer-plugin-vsphere) skip vCenter's TLS
	// verification; only when the grid says so.
	InsecureConnection bool `json:"insecureConnection,omitempty"`
}

// AzureHints place an Azure Compute Gallery image and say who may use it.
type AzureHints struct {
	ResourceGroup string `json:"resourceGroup,omitempty"`
	Gallery       string `json:"gallery,omitempty"`
	// Regions the gallery image version is replicated to; the first is where it is built.
	Regions []string `json:"regions,omitempty"`
	// ReplicaCount is the replicas of the version in each region (Azure's default: 1).
	ReplicaCount int `json:"replicaCount,omitempty"`
	// StorageAccountType is the replicas' storage: Standard_LRS, Standard_ZRS or
	// Premium_LRS (Azure's default: Standard_LRS).
	StorageAccountType string `json:"storageAccountType,omitempty"`
	// Subscriptions and Tenants the gallery is shared with (direct shared gallery).
	Subscriptions []string `json:"subscriptions,omitempty"`
	Tenants       []string `json:"tenants,omitempty"`
	// Community makes the gallery a community gallery: anyone may use its images. Only
	// when declared explicitly.
	Community bool `json:"community,omitempty"`
}

// ShortKey is the first 12 hex digits of the build key, used in names.
func (c Cell) ShortKey() string {
	if len(c.BuildKey) < 12 {
		return c.BuildKey
	}
	return c.BuildKey[:12]
}

var cellIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// CheckID refuses a cell id that is not safe as a file, directory, artifact and job name.
func (c Cell) CheckID() error {
	if !cellIDPattern.MatchString(c.ID) {
		return fmt.Errorf("cell id %q: want lower-case letters, digits, '.', '_' and '-'", c.ID)
	}
	return nil
}

// CheckKey refuses a build key that is not a sha256 as 64 hex digits.
func (c Cell) CheckKey() error {
	if key, err := hex.DecodeString(c.BuildKey); err != nil || len(key) != 32 {
		return fmt.Errorf("cell %s: buildKey %q: want a sha256 as 64 hex digits", c.ID, c.BuildKey)
	}
	return nil
}
