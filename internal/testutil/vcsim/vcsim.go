// Package vcsim runs govmomi's vCenter simulator (VPX model: datacenter DC0, cluster DC0_C0,
// datastore LocalDS_0, network "VM Network", with the vAPI for content libraries) in-process
// over TLS for tests.
package vcsim

import (
	"crypto/tls"
	"fmt"
	"testing"

	"github.com/hashicorp/go-version"

	"github.com/imagegrid/imagegrid/internal/nfcsim"
	"github.com/vmware/govmomi/simulator"
	_ "github.com/vmware/govmomi/vapi/simulator" // content libraries and the rest of the vAPI
)

// VCenter is a running simulator, stopped when the test ends.
type VCenter struct {
	Model *simulator.Model
	// Host is host:port of the SDK endpoint; Thumbprint the SHA-1 fingerprint of its
	// self-signed certificate.
	Host, Thumbprint string
}

// Start creates and serves a simulated vCenter, stopped when the test ends. Options change
// the model before it is created (e.g. Machines, APIVersion). It reports vSphere API 8.0.3
// unless told otherwise, and from API 6.7 on its NFC leases compute the checksum a client
// chooses of what they receive (nfcsim).
func Start(tb testing.TB, options ...func(*simulator.Model)) *VCenter {
	tb.Helper()
	vc, stop, err := Serve(options...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(stop)
	return vc
}

// Serve creates and serves a simulated vCenter until stop is called: for a simulator that
// outlives one test (a large inventory that benchmarks share).
func Serve(options ...func(*simulator.Model)) (vc *VCenter, stop func(), err error) {
	model := simulator.VPX()
	model.ServiceContent.About.ApiVersion = nfcsim.APIVersion
	for _, o := range options {
		o(model)
	}
	v, err := version.NewVersion(model.ServiceContent.About.ApiVersion)
	if err != nil {
		return nil, nil, fmt.Errorf("vSphere API version: %w", err)
	}
	if err := model.Create(); err != nil {
		return nil, nil, err
	}
	model.Service.TLS = new(tls.Config)
	model.Service.RegisterEndpoints = true
	server := model.Service.NewServer()
	if !v.LessThan(version.Must(version.NewVersion(nfcsim.ChecksumVersion))) {
		nfcsim.Install(model)
	}
	stop = func() {
		server.Close()
		model.Remove()
	}
	return &VCenter{Model: model, Host: server.URL.Host, Thumbprint: server.CertificateInfo().ThumbprintSHA1}, stop, nil
}

// Machines makes the model's inventory n VMs, all in the cluster DC0_C0 (no standalone
// host, so none elsewhere), besides what the test imports.
func Machines(n int) func(*simulator.Model) {
	return func(m *simulator.Model) {
		m.Host = 0
		m.Machine = n
	}
}

// APIVersion makes the simulator report the vSphere API version v (e.g. "6.5"); below 6.7 its
// NFC leases cannot be asked for a SHA-256 of what they receive, as govmomi's simulator's cannot.
func APIVersion(v string) func(*simulator.Model) {
	return func(m *simulator.Model) { m.ServiceContent.About.ApiVersion = v }
}
