package grid

import (
	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/yamldecode"
)

// The declaration, as written in matrices/*.yaml. Documented for users in docs/grid.md and as
// JSON Schema in matrices/grid.schema.json. It is decoded by package yamldecode, which also
// collects the problems found in it.
type (
	// Pos is a place in a declaration file.
	Pos = yamldecode.Pos
	// Located is embedded in the declaration structs: where each of their keys stands.
	Located = yamldecode.Located
	// Scalar is a value with its position.
	Scalar = yamldecode.Scalar
	// List is a value written as one scalar or as a list of them.
	List = yamldecode.List
	// Errors are every problem found in a declaration, with its file:line:col.
	Errors = yamldecode.Errors
)

// fileDecl is one declaration file.
type fileDecl struct {
	Located
	APIVersion      string                      `yaml:"apiVersion"`
	Kind            string                      `yaml:"kind"`
	Name            string                      `yaml:"name"`
	ImageBuilders   map[string]imageBuilderDecl `yaml:"imageBuilders"`
	Kubernetes      []releaseDecl               `yaml:"kubernetes"`
	Infrastructures map[string]infraDecl        `yaml:"infrastructures"`
	Include         []includeRule               `yaml:"include"`
	Exclude         []matchRule                 `yaml:"exclude"`
	Settings        []settingsRule              `yaml:"settings"`
}

// imageBuilderDecl is an Image Builder release and the targets it has.
type imageBuilderDecl struct {
	Located
	Image   string `yaml:"image"`
	Version string `yaml:"version"`
	Flavor  string `yaml:"flavor"`
	// Targets lists, per infrastructure, the OS ids this release can build.
	Targets map[string]List `yaml:"targets"`
}

// releaseDecl is one Kubernetes release of the grid.
type releaseDecl struct {
	Located
	Version        string `yaml:"version"`
	TKr            string `yaml:"tkr"`
	ImageBuilder   string `yaml:"imageBuilder"`
	ResourceBundle string `yaml:"resourceBundle"`
	// WindowsResourceBundle serves the release's Windows cells (default: the TKr's
	// windows-resource-bundle).
	WindowsResourceBundle string `yaml:"windowsResourceBundle"`
	// TKGConfig is the folder of the TKr's TKG Image Builder configuration, relative to the
	// declaring file's folder.
	TKGConfig  Scalar `yaml:"tkgConfig"`
	DebVersion string `yaml:"debVersion"`
	RPMVersion string `yaml:"rpmVersion"`
}

// infraDecl lists the OS ids and architectures built for one infrastructure.
type infraDecl struct {
	Located
	OS   []Scalar `yaml:"os"`
	Arch List     `yaml:"arch"`
}

// matchRule selects cells: each given axis must match (lists are any-of; kubernetes is a
// version constraint such as ">= 1.29, < 1.31").
type matchRule struct {
	Located
	Infra        List   `yaml:"infra"`
	OS           List   `yaml:"os"`
	Arch         List   `yaml:"arch"`
	Kubernetes   string `yaml:"kubernetes"`
	ImageBuilder List   `yaml:"imageBuilder"`
}

// includeRule adds cells outside the infrastructures' lists: infra and os are required.
type includeRule = matchRule

// settingsRule applies settings to the cells it matches, in declaration order (later wins).
type settingsRule struct {
	Located
	Match           matchRule         `yaml:"match"`
	VarFiles        []Scalar          `yaml:"varFiles"`
	Roles           []Scalar          `yaml:"roles"`
	Vars            map[string]Scalar `yaml:"vars"`
	ReplacesDefault *bool             `yaml:"replacesDefault"`
	AWS             *awsDecl          `yaml:"aws"`
	VSphere         *vsphereDecl      `yaml:"vsphere"`
	Azure           *azureDecl        `yaml:"azure"`
	Windows         *windowsDecl      `yaml:"windows"`
}

type awsDecl struct {
	Located
	record.AWSTarget
	Public *bool `yaml:"public"`
}

type vsphereDecl struct {
	Located
	record.VSphereTarget
	Host           string `yaml:"host"`
	ContentLibrary string `yaml:"contentLibrary"`
	// InsecureConnection is the build's insecure_connection (no TLS verification of vCenter).
	InsecureConnection *bool `yaml:"insecureConnection"`
}

type azureDecl struct {
	Located
	ResourceGroup      string   `yaml:"resourceGroup"`
	Gallery            string   `yaml:"gallery"`
	Regions            []string `yaml:"regions"`
	ReplicaCount       *int     `yaml:"replicaCount"`
	StorageAccountType string   `yaml:"storageAccountType"`
	Subscriptions      []string `yaml:"subscriptions"`
	Tenants            []string `yaml:"tenants"`
	// Community makes the gallery a community gallery (anyone may use its images).
	Community *bool `yaml:"community"`
}

// windowsDecl is what a Windows cell takes from the user: the datastore paths of the Windows
// and VMware Tools ISOs, and the answer file (relative to the declaring file's folder).
type windowsDecl struct {
	Located
	ISOPath        Scalar `yaml:"isoPath"`
	VMToolsISOPath Scalar `yaml:"vmToolsIsoPath"`
	AnswerFile     Scalar `yaml:"answerFile"`
}
