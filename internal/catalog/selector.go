package catalog

import (
	"fmt"
	"maps"
	"strings"

	"github.com/imagegrid/imagegrid/internal/record"
)

// Labels TKG's resolver derives from an OSImage's spec (apis/run/v1alpha3/osimage_types.go,
// tanzu-framework v0.29.0).
const (
	LabelImageType = "image-type"
	LabelOSType    = "os-type"
	LabelOSName    = "os-name"
	LabelOSVersion = "os-version"
	LabelOSArch    = "os-arch"
)

// Selector is the label keys of one OSImage selector that clusters resolve with: the keys of
// a cluster template's run.tanzu.vmware.com/resolve-os-image annotation
// ("image-type=ova,os-name=ubuntu" has the keys image-type and os-name). The values come from
// the cluster's OS, so two OSImages of one TKr that agree on every key are both matched by
// the clusters that ask for that OS.
type Selector []string

func (s Selector) String() string { return strings.Join(s, ",") }

// Selectors are, per infrastructure (record.InfraVSphere, InfraAWS, InfraAzure), the
// selectors its clusters resolve OSImages with. A TKr must never list two OSImages of one
// infrastructure that one of them matches both: TKG's resolution fails unless exactly one
// OSImage matches (isUnresolved in tkr/webhook/cluster/tkr-resolver/cluster/cluster.go,
// tanzu-framework v0.29.0).
type Selectors map[string][]Selector

// DefaultSelectors are the selectors of tanzu-framework v0.28.0 to v0.29.0 (TKG 2.1, 2.2), as
// its ClusterClass cluster templates write them for the control plane and every machine
// deployment:
//
//   - vsphere: "image-type=ova,os-name=<OS_NAME>"
//     (providers/infrastructure-vsphere/v1.5.3/yttcc/overlay.yaml);
//   - aws: "ami-region=<AWS_REGION>,os-name=<OS_NAME>,os-arch=<OS_ARCH>"
//     (providers/infrastructure-aws/v2.0.2/yttcc/overlay.yaml);
//   - azure: "os-name=<OS_NAME>,os-version=<1804 or 2004>", its get_azure_os_version
//     turning every OS_VERSION but 18.04 into 2004
//     (providers/infrastructure-azure/v1.6.3/yttcc/overlay.yaml).
//
// Older releases differ (v0.25.0 to v0.27.0 resolve the AWS control plane with
// "ami-region,os-name" only); the publish config overrides them per infrastructure.
func DefaultSelectors() Selectors {
	return Selectors{
		record.InfraVSphere: {{LabelImageType, LabelOSName}},
		record.InfraAWS:     {{"ami-region", LabelOSName, LabelOSArch}},
		record.InfraAzure:   {{LabelOSName, LabelOSVersion}},
	}
}

// infraOf is the infrastructure of each image type.
var infraOf = map[string]string{ImageOVA: record.InfraVSphere, ImageAMI: record.InfraAWS, ImageAzure: record.InfraAzure}

// imageTypeOf is the image type of each infrastructure.
var imageTypeOf = map[string]string{record.InfraVSphere: ImageOVA, record.InfraAWS: ImageAMI, record.InfraAzure: ImageAzure}

// With returns s with the selectors of the infrastructures in override replacing its own.
func (s Selectors) With(override Selectors) Selectors {
	out := Selectors{}
	maps.Copy(out, s)
	maps.Copy(out, override)
	return out
}

// Clash returns the selector, with the values filled in ("image-type=ova,os-name=ubuntu"),
// that matches two images of the same image type, given the labels the resolver sees on
// them; ok is false when every selector tells them apart. Images of different types never
// clash: TKG installs one TKr repository per infrastructure (tkrRepoImagePath in
// tkg/managementcomponents/helper.go, tanzu-framework v0.29.0), so a cluster only ever sees
// the OSImages of its own infrastructure.
func (s Selectors) Clash(imageType string, a, b map[string]string) (selector string, ok bool) {
	if a[LabelImageType] != imageType || b[LabelImageType] != imageType {
		return "", false
	}
	for _, sel := range s[infraOf[imageType]] {
		if matchesBoth(sel, a, b) {
			pairs := make([]string, len(sel))
			for i, k := range sel {
				pairs[i] = k + "=" + a[k]
			}
			return strings.Join(pairs, ","), true
		}
	}
	return "", false
}

// matchesBoth reports whether a and b both carry every key of sel, with the same values: an
// OSImage without one of the keys is matched by no selector that has it.
func matchesBoth(sel Selector, a, b map[string]string) bool {
	for _, k := range sel {
		va, oka := a[k]
		vb, okb := b[k]
		if !oka || !okb || va != vb {
			return false
		}
	}
	return len(sel) > 0
}

// resolverLabels are the labels TKG's resolver matches selectors against: the OSImage's own
// labels, overridden by those it derives from the spec — os-type, os-name, os-version (as
// written, dots included), os-arch, image-type, and <image type>-<ref field> for every field
// of the ref, nested fields joined with "-" (augmentOSImage in
// tkr/resolver/internal/resolver_impl.go and SetRefLabels in tkr/util/osimage/osimage.go,
// tanzu-framework v0.29.0).
func resolverLabels(own map[string]string, os osInfo, imageType string, ref map[string]any) map[string]string {
	out := make(map[string]string, len(own)+5+len(ref))
	for k, v := range own {
		out[k] = v
	}
	out[LabelOSType] = os.Type
	out[LabelOSName] = os.Name
	out[LabelOSVersion] = os.Version
	out[LabelOSArch] = os.Arch
	out[LabelImageType] = imageType
	setRefLabels(out, imageType, ref)
	return out
}

func setRefLabels(out map[string]string, prefix string, ref map[string]any) {
	for k, v := range ref {
		if m, ok := v.(map[string]any); ok {
			setRefLabels(out, prefix+"-"+k, m)
			continue
		}
		out[prefix+"-"+k] = labelFormat(fmt.Sprint(v))
	}
}

// clash is two OSImages of a TKr that one selector matches both.
type clash struct {
	a, b *OSImage
	// selector is the selector with its values ("image-type=ova,os-name=ubuntu").
	selector string
}

// clashes lists the clashing pairs among the OSImages a TKr lists, in the TKr's order.
func (c *Catalog) clashes(t *TKr) []clash {
	var out []clash
	for i, a := range t.OSImages {
		oa := c.OSImage(a)
		if oa == nil {
			continue
		}
		for _, b := range t.OSImages[i+1:] {
			ob := c.OSImage(b)
			if ob == nil || a == b {
				continue
			}
			if sel, ok := c.selectors.Clash(oa.Key.ImageType, oa.Resolved, ob.Resolved); ok {
				out = append(out, clash{a: oa, b: ob, selector: sel})
			}
		}
	}
	return out
}

// describe names the selectors of imageType's infrastructure, for messages.
func (s Selectors) describe(imageType string) string {
	infra := infraOf[imageType]
	sels := make([]string, len(s[infra]))
	for i, sel := range s[infra] {
		sels[i] = `"` + sel.String() + `"`
	}
	return fmt.Sprintf("%s clusters resolve with %s", infra, strings.Join(sels, " and "))
}
