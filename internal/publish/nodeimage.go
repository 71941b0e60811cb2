package publish

import (
	"fmt"
	"strings"

	"github.com/imagegrid/imagegrid/internal/record"
)

// CheckNodeImage refuses to publish an image that is not known to be what Cluster API expects
// of a node image: every node image report of the record (goss, the offline inspection, any
// other source) must have passed, and a TKG build must have goss's report. A failed or
// not-checked report is named with its reason and the checks that did not hold. The one
// exception is the offline inspection of a Windows image, which cannot read its NTFS disk
// and says so as not-checked: that says nothing against the image.
func CheckNodeImage(rec record.BuildRecord) error {
	var problems []string
	goss := false
	windows := rec.Cell.OS.Type == "windows"
	for _, rep := range rec.NodeImage {
		goss = goss || rep.Source == record.NodeImageSourceGoss
		if rep.Verdict == record.NodeImagePassed {
			continue
		}
		if windows && rep.Source == record.NodeImageSourceInspection && rep.Verdict == record.NodeImageNotChecked {
			continue
		}
		p := fmt.Sprintf("%s report is %s", rep.Source, rep.Verdict)
		if rep.Reason != "" {
			p += ": " + rep.Reason
		}
		var bad []string
		for _, ch := range rep.Checks {
			if !ch.OK {
				bad = append(bad, fmt.Sprintf("%s (expected %q, found %q at %s)", ch.Name, ch.Expected, ch.Found, ch.Where))
			}
		}
		if len(bad) > 0 {
			p += "; failed checks: " + strings.Join(bad, "; ")
		}
		problems = append(problems, p)
	}
	if !goss && rec.Cell.ImageBuilder.Flavor == record.FlavorTKG {
		problems = append(problems, "the record has no goss report: nothing says the image holds kubeadm, kubelet and kubectl at "+rec.Cell.Kubernetes.Semver+", containerd, the images kubeadm needs and cloud-init (cloudbase-init on Windows) (rebuild it with this build)")
	}
	if len(problems) > 0 {
		return fmt.Errorf("not a verified node image: %s", strings.Join(problems, "; "))
	}
	return nil
}
