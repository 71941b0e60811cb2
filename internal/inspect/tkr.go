package inspect

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ReadTKr reads the image settings of the TanzuKubernetesRelease in file (a TKr package's
// config/TanzuKubernetesRelease.yml, possibly among other documents): spec.kubernetes'
// imageRepository and the etcd, pause and coredns image tags. Its spec.kubernetes.version
// must be semver, the cell's Kubernetes version. Errors name the file, line and field.
func ReadTKr(file, semver string) (*TKrImages, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read TKr: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: no TanzuKubernetesRelease document", file)
		} else if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if len(doc.Content) == 0 || value(doc.Content[0], "kind") == nil || value(doc.Content[0], "kind").Value != "TanzuKubernetesRelease" {
			continue
		}
		return tkrImages(file, doc.Content[0], semver)
	}
}

// tkrImages reads the image settings of the TanzuKubernetesRelease tkr of file, whose
// Kubernetes version must be semver.
func tkrImages(file string, tkr *yaml.Node, semver string) (*TKrImages, error) {
	k := value(tkr, "spec", "kubernetes")
	if k == nil {
		return nil, fmt.Errorf("%s:%d: TanzuKubernetesRelease has no spec.kubernetes", file, tkr.Line)
	}
	if v := value(k, "version"); v == nil || v.Value != semver {
		line, got := k.Line, ""
		if v != nil {
			line, got = v.Line, v.Value
		}
		return nil, fmt.Errorf("%s:%d: spec.kubernetes.version is %q; the cell builds Kubernetes %s", file, line, got, semver)
	}
	var t TKrImages
	for _, f := range []struct {
		dst  *string
		want string
		path []string
	}{
		{&t.Repository, "the image repository, e.g. projects.registry.vmware.com/tkg", []string{"imageRepository"}},
		{&t.Etcd, "the etcd image tag, e.g. v3.5.12_vmware.5", []string{"etcd", "imageTag"}},
		{&t.Pause, "the pause image tag, e.g. \"3.9\"", []string{"pause", "imageTag"}},
		{&t.CoreDNS, "the coredns image tag, e.g. v1.11.1_vmware.9", []string{"coredns", "imageTag"}},
	} {
		n := value(k, f.path...)
		if n == nil || n.Kind != yaml.ScalarNode || n.Value == "" {
			return nil, fmt.Errorf("%s:%d: spec.kubernetes.%s is missing; want %s", file, k.Line, strings.Join(f.path, "."), f.want)
		}
		*f.dst = n.Value
	}
	return &t, nil
}

// value follows mapping keys from n; nil when one is missing.
func value(n *yaml.Node, keys ...string) *yaml.Node {
	for _, key := range keys {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				next = n.Content[i+1]
			}
		}
		n = next
	}
	return n
}
