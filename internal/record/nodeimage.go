package record

// Node image report verdicts.
const (
	// NodeImagePassed: every check of the report held.
	NodeImagePassed = "passed"
	// NodeImageFailed: at least one check did not hold; publish refuses the image.
	NodeImageFailed = "failed"
	// NodeImageNotChecked: the source could not check this image (Reason says why). It is
	// never a pass: publish treats it as a missing report.
	NodeImageNotChecked = "not-checked"
)

// Node image report sources.
const (
	// NodeImageSourceGoss: Image Builder's goss run inside the build VM.
	NodeImageSourceGoss = "goss"
	// NodeImageSourceInspection: imagegrid's offline reading of the built disk.
	NodeImageSourceInspection = "inspection"
)

// NodeImageReport says, from one source, whether the built image is what Cluster API expects
// of a node image: kubeadm, kubelet and kubectl at the cell's version, containerd, the images
// kubeadm init/join need, and cloud-init ready to take the bootstrap data.
type NodeImageReport struct {
	// Source is one of the NodeImageSource* constants.
	Source string `json:"source"`
	// Verdict is one of the NodeImage* verdict constants.
	Verdict string `json:"verdict"`
	// Reason explains a failed or not-checked verdict in one line.
	Reason string           `json:"reason,omitempty"`
	Checks []NodeImageCheck `json:"checks,omitempty"`
}

// NodeImageCheck is one expectation and what the source found.
type NodeImageCheck struct {
	// Name says what was checked: "kubeadm", "kubelet", "kubectl", "containerd",
	// "image <reference>", "cloud-init".
	Name string `json:"name"`
	// Expected is what the cell asks for (a version, a tag), if anything.
	Expected string `json:"expected,omitempty"`
	// Found is what the source saw (a version, a digest, "enabled").
	Found string `json:"found,omitempty"`
	// Where is the path (or goss resource) the finding was read from.
	Where string `json:"where,omitempty"`
	OK    bool   `json:"ok"`
}
