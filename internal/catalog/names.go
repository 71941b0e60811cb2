package catalog

import (
	"fmt"
	"strings"
)

// Limits of Kubernetes names and label values.
const (
	// MaxNameLength is the longest DNS-1123 subdomain, the rule for TKr and OSImage names.
	MaxNameLength = 253
	// MaxLabelLength is the longest label value.
	MaxLabelLength = 63
)

// ObjectName turns a version or a name made of versions into a Kubernetes object name the way
// TKG does: "+" becomes "---" ("v1.30.2+vmware.1-tkg.1" → "v1.30.2---vmware.1-tkg.1").
func ObjectName(s string) string {
	return strings.ReplaceAll(s, "+", "---")
}

// ValidateName reports why name is not a valid DNS-1123 subdomain, or nil.
func ValidateName(name string) error {
	if len(name) > MaxNameLength {
		return fmt.Errorf("name %q is %d characters long; at most %d are allowed", name, len(name), MaxNameLength)
	}
	if !isDNS1123(name) {
		return fmt.Errorf("name %q is not a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', starting and ending with a letter or digit)", name)
	}
	return nil
}

// LabelValue turns s into a valid label value as TKG derives them (labelFormat), never
// ending in a character a label value may not end with.
func LabelValue(s string) string {
	return strings.TrimRight(labelFormat(s), "-_.")
}

// labelFormat is how TKG's resolver turns a ref field into a label value: "+" becomes "---"
// and the result is cut to 63 characters (tkr/util/osimage/osimage.go, tanzu-framework
// v0.29.0).
func labelFormat(s string) string {
	v := ObjectName(s)
	if len(v) > MaxLabelLength {
		v = v[:MaxLabelLength]
	}
	return v
}

// ValidateLabelValue reports why v is not a valid label value, or nil.
func ValidateLabelValue(v string) error {
	if len(v) > MaxLabelLength {
		return fmt.Errorf("label value %q is %d characters long; at most %d are allowed", v, len(v), MaxLabelLength)
	}
	if !isLabelValue(v) {
		return fmt.Errorf("label value %q may hold only letters, digits, '-', '_' and '.', and must start and end with a letter or digit", v)
	}
	return nil
}

// OSImageName is the deterministic name imagegrid gives the OSImage of one combination:
// "<TKr name>-<os>-<version without dots>-<arch>-<image type>[-<region>]-imagegrid".
// The suffix keeps it apart from the TKr's default OSImages, which it may replace.
func OSImageName(tkrVersion string, key Key) (string, error) {
	parts := []string{ObjectName(tkrVersion), key.OSName, key.OSVersion, key.Arch, key.ImageType}
	if key.Region != "" {
		parts = append(parts, key.Region)
	}
	name := strings.ToLower(strings.Join(append(parts, "imagegrid"), "-"))
	if err := ValidateName(name); err != nil {
		return "", fmt.Errorf("OSImage for TKr %s: %w", tkrVersion, err)
	}
	return name, nil
}

// OSVersion returns an OS version as OSImages carry it: without dots ("22.04" → "2204").
func OSVersion(v string) string {
	return strings.ReplaceAll(v, ".", "")
}

// isDNS1123 reports whether s is a DNS-1123 subdomain: dot-separated labels of lower-case
// letters, digits and '-', each starting and ending with a letter or digit.
func isDNS1123(s string) bool {
	for _, label := range strings.Split(s, ".") {
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range []byte(label) {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// isLabelValue reports whether s is empty or letters, digits, '-', '_' and '.', starting and
// ending with a letter or digit.
func isLabelValue(s string) bool {
	alnum := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' }
	if s == "" {
		return true
	}
	if !alnum(s[0]) || !alnum(s[len(s)-1]) {
		return false
	}
	for _, c := range []byte(s) {
		if !alnum(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}
