package inspect

import (
	"fmt"
	"strings"

	"github.com/imagegrid/imagegrid/internal/imagebuilder"
	"github.com/imagegrid/imagegrid/internal/record"
)

// Expect is what a node image must hold to be a Cluster API node image for its cell.
type Expect struct {
	// Kubernetes is the gitVersion kubeadm, kubelet and kubectl must carry ("v1.30.2+vmware.1").
	Kubernetes string
	// Containerd is the containerd version the OVF announces (CONTAINERD_VERSION); "" when
	// it announces none (then any containerd passes).
	Containerd string
	// Arch is the node's architecture ("amd64").
	Arch string
	// Images are the images kubeadm init/join pull, which must be in containerd.
	Images []Image
}

// Image is an image kubeadm needs: a repository and a tag (or, with TagPrefix, any tag
// starting with Tag).
type Image struct {
	Repository string
	Tag        string
	TagPrefix  bool
}

func (i Image) String() string {
	if i.TagPrefix {
		return i.Repository + ":" + i.Tag + "*"
	}
	return i.Repository + ":" + i.Tag
}

// TKrImages are the image settings of a TanzuKubernetesRelease's spec.kubernetes.
type TKrImages struct {
	Repository string
	Etcd       string
	Pause      string
	CoreDNS    string
}

// kubeadmImages is, per Kubernetes minor, what kubeadm config images list pulls besides the
// control plane images (kubernetes/kubernetes cmd/kubeadm/app/constants/constants.go of each
// release-1.x branch: SupportedEtcdVersion, CoreDNSVersion, PauseVersion). kubeadm moves
// etcd and coredns to newer patch versions within a minor (v1.30.0 pulls etcd 3.5.12-0,
// v1.30.5 3.5.15-0), so those are fixed to their minor; pause is exact.
var kubeadmImages = map[string]struct{ etcd, coredns, pause string }{
	"v1.27": {"3.5.", "v1.10.", "3.9"},
	"v1.28": {"3.5.", "v1.10.", "3.9"},
	"v1.29": {"3.5.", "v1.11.", "3.9"},
	"v1.30": {"3.5.", "v1.11.", "3.9"},
	"v1.31": {"3.5.", "v1.11.", "3.10"},
	"v1.32": {"3.5.", "v1.11.", "3.10"},
	"v1.33": {"3.5.", "v1.12.", "3.10"},
	"v1.34": {"3.6.", "v1.12.", "3.10.1"},
}

// DefaultRegistry is kubeadm's (and Image Builder's kubernetes_container_registry) default.
const DefaultRegistry = "registry.k8s.io"

// ExpectFor works out what the image of cell c must hold. props are the OVA's OVF
// properties (nil for other artifacts); tkr is the TKr's spec.kubernetes for a TKG cell,
// or nil. Without a TKr, a TKG cell's etcd, coredns and pause tags are taken as any tag
// of the repository's etcd/coredns minor (TKG tags them v3.5.12_vmware.5, v1.11.1_vmware.9).
func ExpectFor(c record.Cell, props map[string]string, tkr *TKrImages) (Expect, error) {
	e := Expect{Kubernetes: c.Kubernetes.Semver, Containerd: props["CONTAINERD_VERSION"], Arch: c.OS.Arch}
	registry := DefaultRegistry
	if imagebuilder.IsTKG(c) {
		registry = imagebuilder.Registry(c.Kubernetes.ResourceBundle)
	}
	images, err := KubeadmImages(c.Kubernetes.Semver, c.Kubernetes.Series, registry, imagebuilder.IsTKG(c), tkr)
	if err != nil {
		return Expect{}, fmt.Errorf("cell %s: %w", c.ID, err)
	}
	e.Images = images
	return e, nil
}

// KubeadmImages are the images kubeadm init/join need for Kubernetes semver (of minor
// series): the control plane images at that version, kube-proxy, pause, etcd and coredns,
// from registry, the one Image Builder pulls them from (kubernetes_container_registry:
// registry.k8s.io upstream, the resource bundle's registry for TKG, whose etcd tags start
// with v), or from the TKr's imageRepository and tags when tkr is given. Tags use _ for +
// (OCI tags cannot hold +).
func KubeadmImages(semver, series, registry string, tkg bool, tkr *TKrImages) ([]Image, error) {
	t, ok := kubeadmImages[series]
	if !ok {
		return nil, fmt.Errorf("no kubeadm image table for Kubernetes %s; known: v1.27 to v1.34", series)
	}
	repo := registry
	etcd := Image{Tag: t.etcd, TagPrefix: true}
	coredns := Image{Tag: t.coredns, TagPrefix: true}
	pause := Image{Tag: t.pause}
	if tkg {
		etcd.Tag = "v" + etcd.Tag
	}
	if tkr != nil {
		repo = tkr.Repository
		etcd = Image{Tag: tkr.Etcd}
		coredns = Image{Tag: tkr.CoreDNS}
		pause = Image{Tag: tkr.Pause}
	}
	tag := strings.ReplaceAll(semver, "+", "_")
	var out []Image
	for _, name := range []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy"} {
		out = append(out, Image{Repository: repo + "/" + name, Tag: tag})
	}
	etcd.Repository, pause.Repository = repo+"/etcd", repo+"/pause"
	// kubeadm pulls coredns from <repository>/coredns/coredns from the default registry and
	// from <repository>/coredns elsewhere (cmd/kubeadm/app/images/images.go GetDNSImage).
	coredns.Repository = repo + "/coredns"
	if repo == DefaultRegistry {
		coredns.Repository = repo + "/coredns/coredns"
	}
	return append(out, pause, etcd, coredns), nil
}
