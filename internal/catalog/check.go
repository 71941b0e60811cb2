package catalog

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// Violation is one broken invariant, naming where and what.
type Violation struct {
	// Where is "file:line" of the object at fault.
	Where string
	// Object is "Kind/name".
	Object  string
	Message string
}

func (v Violation) String() string { return fmt.Sprintf("%s: %s: %s", v.Where, v.Object, v.Message) }

// Violations is the error Check returns.
type Violations []Violation

func (vs Violations) Error() string {
	lines := make([]string, len(vs))
	for i, v := range vs {
		lines[i] = v.String()
	}
	return fmt.Sprintf("catalog invariants broken (%d):\n  %s", len(vs), strings.Join(lines, "\n  "))
}

// Check verifies the invariants TKG's image resolution relies on and returns them broken as
// Violations, or nil:
//   - every name a TKr lists in spec.osImages is an OSImage of the catalog;
//   - no TKr lists two OSImages of one infrastructure that one of the catalog's selectors
//     matches both (Selectors.Clash), and no BOM has two entries of one image type with the
//     same osinfo (and region, for AMIs);
//   - OVA versions (ref.version) are unique;
//   - each OSImage's kubernetesVersion is its TKr's;
//   - object names are unique valid DNS-1123 names, label values valid.
func (c *Catalog) Check() error {
	var vs Violations
	add := func(where, object, format string, args ...any) {
		vs = append(vs, Violation{Where: where, Object: object, Message: fmt.Sprintf(format, args...)})
	}
	ovaVersions := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(c.osImages)) {
		ls := c.osImages[name]
		for _, l := range ls[1:] {
			add(l.obj.Where, "OSImage/"+name, "the name is also used at %s", ls[0].obj.Where)
		}
		o := ls[0].obj
		if err := ValidateName(name); err != nil {
			add(o.Where, "OSImage/"+name, "%v", err)
		}
		for _, k := range slices.Sorted(maps.Keys(o.Labels)) {
			if err := ValidateLabelValue(o.Labels[k]); err != nil {
				add(o.Where, "OSImage/"+name, "label %s: %v", k, err)
			}
		}
		if o.Key.ImageType != ImageOVA {
			continue
		}
		v := o.Ref["version"]
		if v == "" {
			add(o.Where, "OSImage/"+name, "an ova image needs spec.image.ref.version (the OVA's VERSION property)")
		} else if other, ok := ovaVersions[v]; ok {
			add(o.Where, "OSImage/"+name, "OVA version %s is also the version of OSImage/%s; vSphere could not tell their templates apart", v, other)
		} else {
			ovaVersions[v] = name
		}
	}
	for _, version := range slices.Sorted(maps.Keys(c.tkrs)) {
		for _, l := range c.tkrs[version] {
			vs = append(vs, c.checkTKr(l.obj)...)
		}
	}
	for _, release := range slices.Sorted(maps.Keys(c.boms)) {
		for _, l := range c.boms[release] {
			vs = append(vs, checkBOM(l.obj)...)
		}
	}
	if len(vs) == 0 {
		return nil
	}
	sort.SliceStable(vs, func(i, j int) bool { return vs[i].Where < vs[j].Where })
	return vs
}

func (c *Catalog) checkTKr(t *TKr) Violations {
	var vs Violations
	object := "TanzuKubernetesRelease/" + t.Name
	add := func(format string, args ...any) {
		vs = append(vs, Violation{Where: t.Where, Object: object, Message: fmt.Sprintf(format, args...)})
	}
	if err := ValidateName(t.Name); err != nil {
		add("%v", err)
	}
	if want := ObjectName(t.Version); t.Name != want {
		add("name should be %s for spec.version %s", want, t.Version)
	}
	for i, name := range t.OSImages {
		o := c.OSImage(name)
		if o == nil {
			add("spec.osImages[%d] names OSImage/%s, which is not in the catalog", i, name)
			continue
		}
		if o.KubernetesVersion != t.KubernetesVersion {
			add("OSImage/%s (%s) has kubernetesVersion %s, but the TKr's is %s", name, o.Where, o.KubernetesVersion, t.KubernetesVersion)
		}
	}
	for _, cl := range c.clashes(t) {
		add("OSImage/%s (%s) and OSImage/%s (%s) both match the selector %s (%s): TKG resolution fails unless exactly one OSImage matches; remove one of them from spec.osImages",
			cl.a.Name, cl.a.Where, cl.b.Name, cl.b.Where, cl.selector, c.selectors.describe(cl.a.Key.ImageType))
	}
	return vs
}

func checkBOM(b *BOM) Violations {
	var vs Violations
	seen := map[Key]int{}
	versions := map[string]int{}
	for _, e := range b.Entries {
		where := fmt.Sprintf("%s:%d", b.Where[:strings.LastIndex(b.Where, ":")], e.Line)
		if line, ok := seen[e.Key]; ok {
			vs = append(vs, Violation{Where: where, Object: "BOM/" + b.Release, Message: fmt.Sprintf("two %s entries for %s (the other at line %d)", e.Key.ImageType, e.Key, line)})
		}
		seen[e.Key] = e.Line
		if v := e.Ref["version"]; e.Key.ImageType == ImageOVA && v != "" {
			if line, ok := versions[v]; ok {
				vs = append(vs, Violation{Where: where, Object: "BOM/" + b.Release, Message: fmt.Sprintf("OVA version %s is also used at line %d", v, line)})
			}
			versions[v] = e.Line
		}
	}
	return vs
}
