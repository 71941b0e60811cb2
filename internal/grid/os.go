package grid

import (
	"slices"
	"strings"

	"github.com/imagegrid/imagegrid/internal/record"
)

// osInfo is what an Image Builder OS id means: the distribution as the image reports it.
type osInfo struct {
	name, version, typ string
}

// knownOS maps the Image Builder OS ids (as in its make targets) to their distribution.
// Which of them a given Image Builder release can build is declared in the grid.
var knownOS = map[string]osInfo{
	"ubuntu-1804":  {"ubuntu", "18.04", "linux"},
	"ubuntu-2004":  {"ubuntu", "20.04", "linux"},
	"ubuntu-2204":  {"ubuntu", "22.04", "linux"},
	"ubuntu-2404":  {"ubuntu", "24.04", "linux"},
	"photon-3":     {"photon", "3", "linux"},
	"photon-4":     {"photon", "4", "linux"},
	"photon-5":     {"photon", "5", "linux"},
	"rhel-7":       {"rhel", "7", "linux"},
	"rhel-8":       {"rhel", "8", "linux"},
	"rhel-9":       {"rhel", "9", "linux"},
	"rockylinux-8": {"rockylinux", "8", "linux"},
	"rockylinux-9": {"rockylinux", "9", "linux"},
	"centos-7":     {"centos", "7", "linux"},
	"amazon-2":     {"amazon", "2", "linux"},
	"amazon-2023":  {"amazon", "2023", "linux"},
	"flatcar":      {"flatcar", "stable", "linux"},
	"azurelinux-3": {"azurelinux", "3", "linux"},
	"windows-2019": {"windows", "2019", "windows"},
	"windows-2022": {"windows", "2022", "windows"},
}

// knownArch are the architectures a cell can have.
var knownArch = []string{"amd64", "arm64"}

// infraTargets gives the make target prefixes of each infrastructure (REFERENCE.md §1).
var infraTargets = map[string]record.Target{
	// Image Builder validates OVA templates with its local-hypervisor target: it has no
	// validate-node-ova-vsphere-<os>.
	record.InfraVSphere: {Build: "build-node-ova-vsphere-", Validate: "validate-node-ova-local-"},
	record.InfraAWS:     {Build: "build-ami-", Validate: "validate-ami-"},
	record.InfraAzure:   {Build: "build-azure-sig-", Validate: "validate-azure-sig-"},
}

// targetOS is the OS part of the make target: the OS id, suffixed with the architecture
// when it is not amd64 ("ubuntu-2204-arm64").
func targetOS(osID, arch string) string {
	if arch == "amd64" {
		return osID
	}
	return osID + "-" + arch
}

func knownOSIDs() string {
	ids := make([]string, 0, len(knownOS))
	for id := range knownOS {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return strings.Join(ids, ", ")
}

func knownInfras() string {
	return strings.Join([]string{record.InfraAWS, record.InfraAzure, record.InfraVSphere}, ", ")
}
