// Command mknodedisk writes the raw disk of a node image for the Image Builder stand-in
// (testdata/imagebuilder): what Image Builder's ansible roles would have installed for the
// given versions, with the images kubeadm pulls from the given registry
// (ansible/roles/kubernetes/tasks/kubeadmpull.yml: kubeadm config images pull). STANDIN_NODE_BREAK
// (a comma-separated list of nodeimage.Breaks) makes a broken variant.
//
//	mknodedisk -out disk.raw -kubernetes v1.30.2 -series v1.30 -containerd 1.7.18 -registry registry.k8s.io
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/imagegrid/imagegrid/internal/inspect"
	"github.com/imagegrid/imagegrid/internal/testutil/nodeimage"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "mknodedisk:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("mknodedisk", flag.ContinueOnError)
	out := fs.String("out", "", "raw disk image to write")
	size := fs.Int("size-mib", 32, "disk size in MiB (at least 32: an ext4 root with a journal)")
	kube := fs.String("kubernetes", "", "kubernetes_semver")
	series := fs.String("series", "", "kubernetes_series")
	containerd := fs.String("containerd", "", "containerd_version")
	registry := fs.String("registry", inspect.DefaultRegistry, "kubernetes_container_registry")
	arch := fs.String("arch", "amd64", "distro_arch")
	table := fs.String("table", "gpt", "partition table: gpt or mbr")
	distro := fs.String("distro", "ubuntu", "distro_name: ubuntu, photon or rhel (where cloud-init lies)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || *kube == "" || *series == "" {
		return errors.New("-out, -kubernetes and -series are required")
	}
	images, err := inspect.KubeadmImages(*kube, *series, *registry, *registry != inspect.DefaultRegistry, nil)
	if err != nil {
		return err
	}
	spec := nodeimage.Spec{Kubernetes: *kube, Containerd: *containerd, Arch: *arch, Table: *table, Distro: *distro, SizeMiB: max(*size, 32)}
	for _, img := range images {
		tag := img.Tag
		if img.TagPrefix {
			tag += "12-0" // kubeadm's etcd and coredns tags within the minor, e.g. 3.5.12-0
		}
		spec.Images = append(spec.Images, img.Repository+":"+tag)
	}
	if b := os.Getenv("STANDIN_NODE_BREAK"); b != "" {
		spec.Breaks = strings.Split(b, ",")
	}
	return nodeimage.Write(*out, spec)
}
