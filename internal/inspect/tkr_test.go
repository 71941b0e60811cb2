package inspect_test

import (
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/inspect"
	"github.com/imagegrid/imagegrid/internal/record"
)

func TestReadTKr(t *testing.T) {
	t.Parallel()
	got, err := inspect.ReadTKr("testdata/tkr.yml", "v1.30.2+vmware.1")
	if err != nil {
		t.Fatal(err)
	}
	want := inspect.TKrImages{Repository: "projects.registry.vmware.com/tkg", Etcd: "v3.5.12_vmware.5", Pause: "3.9", CoreDNS: "v1.11.1_vmware.9"}
	if *got != want {
		t.Fatalf("got %+v, want %+v", *got, want)
	}
	tkg := record.Cell{ID: "c", Kubernetes: record.Kubernetes{Semver: "v1.30.2+vmware.1", Series: "v1.30", ResourceBundle: "projects.registry.vmware.com/tkg/linux-resource-bundle:v1.30.2_vmware.1-tkg.1"},
		ImageBuilder: record.ImageBuilder{Flavor: record.FlavorTKG}, OS: record.OS{Arch: "amd64"}}
	e, err := inspect.ExpectFor(tkg, nil, got)
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, img := range e.Images {
		refs = append(refs, img.String())
	}
	wantRefs := "projects.registry.vmware.com/tkg/kube-apiserver:v1.30.2_vmware.1 projects.registry.vmware.com/tkg/kube-controller-manager:v1.30.2_vmware.1 " +
		"projects.registry.vmware.com/tkg/kube-scheduler:v1.30.2_vmware.1 projects.registry.vmware.com/tkg/kube-proxy:v1.30.2_vmware.1 " +
		"projects.registry.vmware.com/tkg/pause:3.9 projects.registry.vmware.com/tkg/etcd:v3.5.12_vmware.5 projects.registry.vmware.com/tkg/coredns:v1.11.1_vmware.9"
	if strings.Join(refs, " ") != wantRefs {
		t.Errorf("images %s\nwant %s", strings.Join(refs, " "), wantRefs)
	}

	for _, tc := range []struct{ file, semver, want string }{
		{"testdata/tkr.yml", "v1.29.6+vmware.1", `testdata/tkr.yml:15: spec.kubernetes.version is "v1.30.2+vmware.1"; the cell builds Kubernetes v1.29.6+vmware.1`},
		{"testdata/tkr-no-etcd.yml", "v1.30.2+vmware.1", "testdata/tkr-no-etcd.yml:15: spec.kubernetes.etcd.imageTag is missing; want the etcd image tag"},
		{"testdata/missing.yml", "v1.30.2", "read TKr: open testdata/missing.yml"},
	} {
		if _, err := inspect.ReadTKr(tc.file, tc.semver); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.file, err, tc.want)
		}
	}
}
