// Package imagebuilder is imagegrid's contract with Kubernetes Image Builder (images/capi):
// which make targets a release has, the variables and environment a build gets, and how to
// read what it produced (packer manifest, AMI and Azure artifact ids, OVF properties).
package imagebuilder

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/go-version"
	"github.com/imagegrid/imagegrid/internal/record"
)

// targetPrefix is the make target prefix of each infrastructure's build target, and the
// prefixes its validate target may have. Image Builder's Makefile validates OVA templates
// with validate-node-ova-local-<os> (the vSphere build uses the same packer-node.json).
var targetPrefix = map[string]struct {
	build    string
	validate []string
}{
	record.InfraVSphere: {"build-node-ova-vsphere-", []string{"validate-node-ova-local-", "validate-node-ova-vsphere-"}},
	record.InfraAWS:     {"build-ami-", []string{"validate-ami-"}},
	record.InfraAzure:   {"build-azure-sig-", []string{"validate-azure-sig-"}},
}

// release lists the OS names of one range of Image Builder releases, per infrastructure.
type release struct {
	constraint string
	os         map[string][]string
}

// releases are the OS names of Image Builder's images/capi Makefile, by release range. Older
// releases (used by TKG's v0.1.13_vmware.x images) know ubuntu-2004/photon-3; recent ones
// add ubuntu-2204/2404, photon-4/5, rhel-9 and rockylinux. The boundary is coarse: a target
// this table allows but a checkout lacks fails as a permanent "missing make target".
var releases = []release{
	{
		constraint: "< 0.1.20",
		os: map[string][]string{
			record.InfraVSphere: {"centos-7", "photon-3", "rhel-7", "rhel-8", "ubuntu-1804", "ubuntu-2004", "windows-2019"},
			record.InfraAWS:     {"amazon-2", "centos-7", "flatcar", "ubuntu-1804", "ubuntu-2004", "windows-2019"},
			record.InfraAzure:   {"centos-7", "ubuntu-1804", "ubuntu-2004", "windows-2019"},
		},
	},
	{
		constraint: ">= 0.1.20",
		os: map[string][]string{
			record.InfraVSphere: {"flatcar", "photon-4", "photon-5", "rhel-8", "rhel-9", "rockylinux-8", "rockylinux-9", "ubuntu-2004", "ubuntu-2204", "ubuntu-2404", "windows-2019", "windows-2022"},
			record.InfraAWS:     {"amazon-2", "amazon-2023", "flatcar", "rhel-8", "rockylinux-8", "ubuntu-2004", "ubuntu-2204", "ubuntu-2404", "windows-2019", "windows-2022"},
			record.InfraAzure:   {"azurelinux-3", "mariner-2", "ubuntu-2004", "ubuntu-2204", "ubuntu-2404", "windows-2019-containerd", "windows-2022-containerd"},
		},
	},
}

// variants are the suffixes a target may carry after the OS name, per infrastructure.
var variants = map[string][]string{
	record.InfraVSphere: {"", "-efi"},
	record.InfraAWS:     {""},
	record.InfraAzure:   {"", "-gen2", "-cvm"},
}

// ParseVersion reads an Image Builder version such as "v0.1.55" or TKG's "v0.1.13_vmware.2"
// (the part after "_" or "+" is a vendor suffix and is ignored).
func ParseVersion(v string) (*version.Version, error) {
	core := strings.TrimPrefix(v, "v")
	if i := strings.IndexAny(core, "_+"); i >= 0 {
		core = core[:i]
	}
	parsed, err := version.NewVersion(core)
	if err != nil {
		return nil, fmt.Errorf("image builder version %q: want vMAJOR.MINOR.PATCH, optionally with a _vendor suffix", v)
	}
	return parsed, nil
}

// OSNames returns the OS names Image Builder version v has targets for on infra.
func OSNames(v, infra string) ([]string, error) {
	parsed, err := ParseVersion(v)
	if err != nil {
		return nil, err
	}
	if _, ok := targetPrefix[infra]; !ok {
		return nil, fmt.Errorf("infrastructure %q: want %s, %s or %s", infra, record.InfraVSphere, record.InfraAWS, record.InfraAzure)
	}
	for _, r := range releases {
		c, err := version.NewConstraint(r.constraint)
		if err != nil {
			return nil, fmt.Errorf("release table: %w", err)
		}
		if c.Check(parsed) {
			return r.os[infra], nil
		}
	}
	return nil, fmt.Errorf("image builder version %s: no known release range", v)
}

// Target returns the make target to run for cell c — its validate target when validate is
// true — after checking that the target has the shape Image Builder uses for the cell's
// infrastructure and OS, and, for upstream Image Builder, that the cell's version has it.
func Target(c record.Cell, validate bool) (string, error) {
	prefix, ok := targetPrefix[c.Infra]
	if !ok {
		return "", fmt.Errorf("cell %s: infrastructure %q: want %s, %s or %s", c.ID, c.Infra, record.InfraVSphere, record.InfraAWS, record.InfraAzure)
	}
	target, field, want := c.Target.Build, "target.build", []string{prefix.build}
	if validate {
		target, field, want = c.Target.Validate, "target.validate", prefix.validate
	}
	var osName string
	found := false
	for _, p := range want {
		if name, ok := strings.CutPrefix(target, p); ok {
			osName, found = name, true
			break
		}
	}
	if !found {
		return "", fmt.Errorf("cell %s: %s %q: a %s target starts with %s", c.ID, field, target, c.Infra, quoteAll(want))
	}
	if c.ImageBuilder.Flavor != record.FlavorUpstream {
		// Vendor builds (TKG's image-builder) follow their own OS lists, which the grid
		// declares per Image Builder and matrix has already checked the cell against.
		return target, nil
	}
	names, err := OSNames(c.ImageBuilder.Version, c.Infra)
	if err != nil {
		return "", fmt.Errorf("cell %s: %w", c.ID, err)
	}
	for _, name := range names {
		for _, v := range variants[c.Infra] {
			if osName == name+v {
				return target, nil
			}
		}
	}
	return "", fmt.Errorf("cell %s: Image Builder %s has no target %s: its %s OS names are %s",
		c.ID, c.ImageBuilder.Version, target, c.Infra, strings.Join(slices.Sorted(slices.Values(names)), ", "))
}

func quoteAll(words []string) string {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = fmt.Sprintf("%q", w)
	}
	return strings.Join(quoted, " or ")
}
