// Package vcsim runs govmomi's vCenter simulator (VPX model: datacenter DC0, cluster DC0_C0,
// datastore LocalDS_0, network "VM Network", with the vAPI for content libraries) in-process
// over TLS for tests.
package vcsim

import (
	"crypto/tls"
	"testing"

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

// Start creates and serves a simulated vCenter.
func Start(tb testing.TB) *VCenter {
	tb.Helper()
	model := simulator.VPX()
	if err := model.Create(); err != nil {
		tb.Fatal(err)
	}
	model.Service.TLS = new(tls.Config)
	model.Service.RegisterEndpoints = true
	server := model.Service.NewServer()
	tb.Cleanup(func() {
		server.Close()
		model.Remove()
	})
	return &VCenter{Model: model, Host: server.URL.Host, Thumbprint: server.CertificateInfo().ThumbprintSHA1}
}
