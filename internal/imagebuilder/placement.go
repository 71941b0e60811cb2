package imagebuilder

import (
	"path"
	"strconv"
	"strings"

	"github.com/imagegrid/imagegrid/internal/record"
)

// Placement variables are the packer variables that say where Image Builder builds a cell
// and who may see the result. imagegrid owns them: they come from the grid's settings (the
// cell's publish hints), never from upstream's defaults, which are unsafe for us.
const (
	// AMIGroups and SnapshotGroups are "all" in upstream's packer/ami/packer.json (v0.1.14 to
	// v0.1.55): every AMI would be public. imagegrid writes "" unless the grid sets
	// aws.public: true.
	AMIGroups      = "ami_groups"
	SnapshotGroups = "snapshot_groups"
	// AMIRegions defaults upstream to 15 regions; imagegrid writes "" (no copies: publish
	// copies to the grid's regions, shares and tags them).
	AMIRegions = "ami_regions"
	// AWSRegion is where the AMI is built (upstream default us-east-1): the first of the
	// grid's aws.regions.
	AWSRegion = "aws_region"
)

// SharingVars are the placement variables that decide who may use a cell's image: only the
// grid decides them (aws.public), and a var file that sets one would override that safety
// decision (ami_regions may be set: more copies are harmless, publish uses the one in its
// region).
func SharingVars(infra string) []string {
	if infra == record.InfraAWS {
		return []string{AMIGroups, SnapshotGroups}
	}
	return nil
}

// PlacementVars are the packer variables that place cell c's build, from the grid's
// settings:
//
//   - aws (upstream packer/ami/packer.json): private AMI and snapshot unless the grid asks
//     for public images, no copies by Image Builder, the build region.
//   - vsphere (upstream packer/ova/vsphere.json): datacenter, cluster or host,
//     resource_pool, datastore, folder (relative to the datacenter's VM folder, as
//     packer-plugin-vsphere's driver FindFolder resolves it), network, insecure_connection.
//
// Azure takes its placement from the environment (AzureEnv). Empty settings are left out,
// so a user var file can still provide them.
func PlacementVars(c record.Cell) map[string]string {
	vars := map[string]string{}
	switch c.Infra {
	case record.InfraAWS:
		h := c.Publish.AWS
		if h == nil {
			h = &record.AWSHints{}
		}
		groups := ""
		if h.Public {
			groups = "all"
		}
		vars[AMIGroups], vars[SnapshotGroups], vars[AMIRegions] = groups, groups, ""
		if len(h.Regions) > 0 {
			vars[AWSRegion] = h.Regions[0]
		}
	case record.InfraVSphere:
		h := c.Publish.VSphere
		if h == nil {
			return vars
		}
		set := func(k, v string) {
			if v != "" {
				vars[k] = v
			}
		}
		set("datacenter", h.Datacenter)
		set("cluster", h.Cluster)
		set("host", h.Host)
		set("resource_pool", h.ResourcePool)
		set("datastore", h.Datastore)
		set("folder", packerFolder(h.Datacenter, h.Folder))
		set("network", h.Network)
		vars["insecure_connection"] = strconv.FormatBool(h.InsecureConnection)
	}
	return vars
}

// packerFolder turns a grid folder, an inventory path ("/DC/vm/a/b") or a path relative to
// the datacenter's VM folder ("a/b"), into the relative form packer-plugin-vsphere wants: it
// joins the folder to "<datacenter>/vm" itself (builder/vsphere/driver/folder.go FindFolder).
func packerFolder(datacenter, folder string) string {
	if folder == "" {
		return ""
	}
	clean := path.Clean("/" + folder)
	if datacenter != "" {
		if rel, ok := strings.CutPrefix(clean, "/"+datacenter+"/vm"); ok && (rel == "" || rel[0] == '/') {
			clean = rel
		}
	}
	return strings.Trim(clean, "/")
}

// HasHostOrCluster reports whether merged packer variables place a vSphere build on a host
// or a cluster: packer-plugin-vsphere refuses a build with neither ("'host' or 'cluster' is
// required", builder/vsphere/common/config_location.go), and upstream's vsphere.json
// leaves both empty.
func HasHostOrCluster(vars map[string]any) bool {
	for _, k := range []string{"cluster", "host"} {
		if s, _ := vars[k].(string); s != "" {
			return true
		}
	}
	return false
}

// AzureEnv is the environment upstream's packer/azure/scripts/init-sig.sh reads to find the
// resource group, location and gallery of a Compute Gallery build; without them it uses a
// fixed resource group and location ("cluster-api-images" in "southcentralus" at v0.1.14,
// "cluster-api-gallery" in "northcentralus" at v0.1.55) and creates a new gallery
// "ClusterAPI<timestamp><random>" for every build. The location is the first of the
// grid's azure.regions.
func AzureEnv(c record.Cell) []string {
	h := c.Publish.Azure
	if c.Infra != record.InfraAzure || h == nil {
		return nil
	}
	var env []string
	add := func(k, v string) {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	add("RESOURCE_GROUP_NAME", h.ResourceGroup)
	if len(h.Regions) > 0 {
		add("AZURE_LOCATION", h.Regions[0])
	}
	add("GALLERY_NAME", h.Gallery)
	return env
}

// RequiredOSVars are the packer variables a cell of osName (its os.name) must set in its var
// files because upstream's defaults cannot build it: RHEL's OVA var files (packer/ova/
// rhel-8.json at v0.1.14, rhel-9.json at v0.1.55) name a placeholder ISO such as
// "file:///rhel-9.4-x86_64-dvd.iso" that exists nowhere; Red Hat's ISOs are not
// redistributable, so the grid has to say where its own is and what its checksum is.
func RequiredOSVars(osName string) []string {
	if osName == "rhel" {
		return []string{"iso_url", "iso_checksum"}
	}
	return nil
}
