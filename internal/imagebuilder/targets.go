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

// release is the build targets of one range of Image Builder releases (from and to
// included), per infrastructure, without their prefix: "ubuntu-2204", "ubuntu-2204-efi",
// "ubuntu-2204-arm64", "ubuntu-2204-gen2".
type release struct {
	from, to string
	targets  map[string][]string
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

// Targets returns the build targets (without their prefix) Image Builder version v has on
// infra, from its Makefile (releases). A release newer than the newest in the table gets the
// newest one's targets: a target it dropped then fails as a missing make target.
func Targets(v, infra string) ([]string, error) {
	parsed, err := ParseVersion(v)
	if err != nil {
		return nil, err
	}
	if _, ok := targetPrefix[infra]; !ok {
		return nil, fmt.Errorf("infrastructure %q: want %s, %s or %s", infra, record.InfraVSphere, record.InfraAWS, record.InfraAzure)
	}
	for i, r := range releases {
		from, to := version.Must(version.NewVersion(r.from)), version.Must(version.NewVersion(r.to))
		if parsed.LessThan(from) {
			break
		}
		if !parsed.GreaterThan(to) || i == len(releases)-1 {
			return r.targets[infra], nil
		}
	}
	return nil, fmt.Errorf("image builder version %s: imagegrid knows the targets of v%s and later", v, releases[0].from)
}

// ReleasesWith lists the ranges of Image Builder releases (releases) whose infra targets
// include target, consecutive ranges merged: ["v0.1.13 … v0.1.55"].
func ReleasesWith(infra, target string) []string {
	var spans [][2]string
	for _, r := range releases {
		switch {
		case !slices.Contains(r.targets[infra], target):
		case len(spans) > 0 && spans[len(spans)-1][1] == previous(r.from):
			spans[len(spans)-1][1] = r.to
		default:
			spans = append(spans, [2]string{r.from, r.to})
		}
	}
	out := make([]string, len(spans))
	for i, s := range spans {
		out[i] = "v" + s[0]
		if s[1] != s[0] {
			out[i] += " … v" + s[1]
		}
	}
	return out
}

// previous is the table release before from: the one whose range ends just before it.
func previous(from string) string {
	for i, r := range releases {
		if r.from == from && i > 0 {
			return releases[i-1].to
		}
	}
	return ""
}

// Target returns the make target to run for cell c — its validate target when validate is
// true — after checking that the target has the shape Image Builder uses for the cell's
// infrastructure and OS, and, for upstream Image Builder, that the cell's version has it
// (the releases table, taken from upstream's Makefiles).
func Target(c record.Cell, validate bool) (string, error) {
	target, suffix, err := targetShape(c, validate)
	if err != nil || c.ImageBuilder.Flavor != record.FlavorUpstream {
		// Vendor builds (TKG's image-builder) follow their own target lists, which the grid
		// declares per Image Builder and matrix has already checked the cell against.
		return target, err
	}
	names, err := Targets(c.ImageBuilder.Version, c.Infra)
	if err != nil {
		return "", fmt.Errorf("cell %s: %w", c.ID, err)
	}
	if !slices.Contains(names, suffix) {
		return "", fmt.Errorf("cell %s: Image Builder %s has no target %s: its %s targets end in %s",
			c.ID, c.ImageBuilder.Version, target, c.Infra, strings.Join(names, ", "))
	}
	return target, nil
}

// CheckoutTarget is Target for the make executor: the checkout's own Makefile decides which
// targets exist (make fails with "No rule to make target" for one it lacks), so only the
// target's shape is checked, not the release table.
func CheckoutTarget(c record.Cell, validate bool) (string, error) {
	target, _, err := targetShape(c, validate)
	return target, err
}

// targetShape returns the cell's build (or validate) target and its part after the prefix,
// checking that it has the prefix of the cell's infrastructure.
func targetShape(c record.Cell, validate bool) (target, suffix string, err error) {
	prefix, ok := targetPrefix[c.Infra]
	if !ok {
		return "", "", fmt.Errorf("cell %s: infrastructure %q: want %s, %s or %s", c.ID, c.Infra, record.InfraVSphere, record.InfraAWS, record.InfraAzure)
	}
	target, field, want := c.Target.Build, "target.build", []string{prefix.build}
	if validate {
		target, field, want = c.Target.Validate, "target.validate", prefix.validate
	}
	for _, p := range want {
		if name, ok := strings.CutPrefix(target, p); ok {
			return target, name, nil
		}
	}
	return "", "", fmt.Errorf("cell %s: %s %q: a %s target starts with %s", c.ID, field, target, c.Infra, quoteAll(want))
}

func quoteAll(words []string) string {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = fmt.Sprintf("%q", w)
	}
	return strings.Join(quoted, " or ")
}
