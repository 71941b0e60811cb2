package catalog

import (
	"strings"
	"testing"
)

func TestNames(t *testing.T) {
	if got := ObjectName("v1.30.2+vmware.1-tkg.1"); got != "v1.30.2---vmware.1-tkg.1" {
		t.Errorf("ObjectName = %s", got)
	}
	long := "v1.30.2+vmware.1-tkg.1-" + strings.Repeat("a", 60)
	if got := LabelValue(long); len(got) != 63 || ValidateLabelValue(got) != nil {
		t.Errorf("LabelValue(%q) = %q", long, got)
	}
	if got := LabelValue("v1.30.2+vmware.1-tkg.1-" + strings.Repeat("b", 37) + "-c"); strings.HasSuffix(got, "-") || ValidateLabelValue(got) != nil {
		t.Errorf("label value ends badly: %q", got)
	}
	if _, err := OSImageName(strings.Repeat("v1", 130), Key{OSName: "ubuntu", OSVersion: "2204", Arch: "amd64", ImageType: "ova"}); err == nil || !strings.Contains(err.Error(), "at most 253") {
		t.Errorf("long name accepted: %v", err)
	}
	if err := ValidateName("Bad_Name"); err == nil {
		t.Error("Bad_Name accepted")
	}
	if OSVersion("22.04") != "2204" {
		t.Error("OSVersion")
	}
}
