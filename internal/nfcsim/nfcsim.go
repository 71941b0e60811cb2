// Package nfcsim adds to govmomi's vCenter simulator what a vCenter does since vSphere API 6.7
// and the simulator does not: NFC leases that compute the checksum a client chooses of each
// file they receive. The local pipeline's vCenter and the tests' use it.
package nfcsim

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"path"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// APIVersion is the vSphere API a simulator with checksums reports (About.ApiVersion): that
// of vSphere 8.0 U3, which TKG 2.5 supports. govmomi's VPX model reports 6.5
// (simulator/vpx/service_content.go, v0.56.0), before the checksums.
const APIVersion = "8.0.3.0"

// ChecksumVersion is the first vSphere API whose NFC leases compute the checksum a client
// chooses (HttpNfcLeaseManifestEntry.checksum and checksumType,
// HttpNfcLeaseManifestEntryChecksumType: "Since vSphere API Release 6.7" in the vSphere Web
// Services API reference).
const ChecksumVersion = "6.7"

// Install makes a serving simulator's NFC leases compute the checksum a client chooses, as a
// vCenter of ChecksumVersion or later does. Call it once the model's server is started
// (model.Service.NewServer: its mux exists from then on; no lease exists before a client asks).
func Install(model *simulator.Model) {
	c := &checksums{leases: map[string]*checksumLease{}}
	model.Map().Handler = c.handler
	for _, method := range []string{http.MethodPut, http.MethodPost} {
		model.Service.ServeMux.HandleFunc(method+" /nfc/", c.serveNFC)
	}
}

// checksums models what govmomi's simulator lacks of a vCenter since API 6.7: the checksum an
// NFC lease computes of each file it receives, in the algorithm the client chose
// (HttpNfcLeaseSetManifestChecksumType: sha1 or sha256 per device key, "set before any
// transfer starts"), reported by HttpNfcLeaseGetManifest in checksum and checksumType, which
// govmomi's ovf/importer (ValidateChecksum, v0.56.0) compares with an OVA's manifest ("newer
// versions have moved to sha256"). govmomi's simulator (simulator/http_nfc_lease.go) computes
// the SHA-1 of every upload into sha1 and implements neither method's checksum; leases no
// client asked for a checksum type are still served by it alone, as govc import.ova's are.
// A lease asked for sha256 gets that checksum computed of each upload instead of the SHA-1:
// one digest per file, of the algorithm asked for.
type checksums struct {
	mu     sync.Mutex
	leases map[string]*checksumLease // by lease id, from the first checksum type set
}

// handler hands HttpNfcLeaseSetManifestChecksumType to the lease's checksumLease, made on
// the first call: the simulator dispatches a session's objects from the session's registry,
// so the lease is replaced there by a checksumLease around it, which answers every later call
// (the rest by the simulator's lease it embeds).
func (c *checksums) handler(ctx *simulator.Context, m *simulator.Method) (mo.Reference, types.BaseMethodFault) {
	if m.Name != "HttpNfcLeaseSetManifestChecksumType" || ctx.Session == nil {
		return nil, nil
	}
	lease, ok := ctx.Session.Get(m.This).(*simulator.HttpNfcLease)
	if !ok {
		return nil, nil
	}
	wrapped := &checksumLease{HttpNfcLease: lease, c: c, types: map[string]string{}, sums: map[string]types.HttpNfcLeaseManifestEntry{}}
	ctx.Session.Registry.Put(wrapped)
	c.mu.Lock()
	c.leases[m.This.Value] = wrapped
	c.mu.Unlock()
	return wrapped, nil
}

// serveNFC computes the checksum asked for of an upload to a lease that chose one; the
// simulator serves every other transfer.
func (c *checksums) serveNFC(w http.ResponseWriter, r *http.Request) {
	id, name := path.Base(path.Dir(r.URL.Path)), path.Base(r.URL.Path)
	c.mu.Lock()
	lease := c.leases[id]
	var key, alg string
	if lease != nil {
		key = lease.deviceKey(name)
		alg = lease.types[key]
	}
	c.mu.Unlock()
	if alg != string(types.HttpNfcLeaseManifestEntryChecksumTypeSha256) {
		simulator.ServeNFC(w, r)
		return
	}
	h := sha256.New()
	n, err := io.Copy(h, r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	c.mu.Lock()
	lease.sums[key] = types.HttpNfcLeaseManifestEntry{Key: key, Checksum: hex.EncodeToString(h.Sum(nil)), ChecksumType: alg, Size: n}
	c.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// checksumLease is a simulator lease whose client chose the checksum of some devices.
type checksumLease struct {
	*simulator.HttpNfcLease
	c *checksums
	// types is the algorithm chosen per device key, sums the checksums computed (both under c.mu).
	types map[string]string
	sums  map[string]types.HttpNfcLeaseManifestEntry
}

// deviceKey is the key of the lease's device whose URL ends in name ("" when none does).
func (l *checksumLease) deviceKey(name string) string {
	for _, u := range l.Info.DeviceUrl {
		if u.TargetId == name {
			return u.Key
		}
	}
	return ""
}

// HttpNfcLeaseSetManifestChecksumType records the algorithm chosen for each device key; an
// unknown key or algorithm, or a device already transferred, is refused.
func (l *checksumLease) HttpNfcLeaseSetManifestChecksumType(ctx *simulator.Context, req *types.HttpNfcLeaseSetManifestChecksumType) soap.HasFault {
	body := new(methods.HttpNfcLeaseSetManifestChecksumTypeBody)
	l.c.mu.Lock()
	defer l.c.mu.Unlock()
	for _, kv := range req.DeviceUrlsToChecksumTypes {
		var err string
		switch {
		case !l.hasDevice(kv.Key):
			err = fmt.Sprintf("no device URL with key %q in lease %s", kv.Key, l.Self.Value)
		case kv.Value != string(types.HttpNfcLeaseManifestEntryChecksumTypeSha1) && kv.Value != string(types.HttpNfcLeaseManifestEntryChecksumTypeSha256):
			err = fmt.Sprintf("checksum type %q: want sha1 or sha256", kv.Value)
		case l.sums[kv.Key] != (types.HttpNfcLeaseManifestEntry{}):
			err = fmt.Sprintf("device %q was already transferred", kv.Key)
		}
		if err != "" {
			body.Fault_ = simulator.Fault(err, &types.InvalidArgument{InvalidProperty: "deviceUrlsToChecksumTypes"})
			return body
		}
		l.types[kv.Key] = kv.Value
	}
	body.Res = new(types.HttpNfcLeaseSetManifestChecksumTypeResponse)
	return body
}

func (l *checksumLease) hasDevice(key string) bool {
	for _, u := range l.Info.DeviceUrl {
		if u.Key == key {
			return true
		}
	}
	return false
}

// HttpNfcLeaseGetManifest reports the simulator's entries (SHA-1) with the checksums this
// lease computed in their place, checksumType set on every entry whose type was chosen.
func (l *checksumLease) HttpNfcLeaseGetManifest(ctx *simulator.Context, req *types.HttpNfcLeaseGetManifest) soap.HasFault {
	body := l.HttpNfcLease.HttpNfcLeaseGetManifest(ctx, req).(*methods.HttpNfcLeaseGetManifestBody)
	l.c.mu.Lock()
	defer l.c.mu.Unlock()
	entries := body.Res.Returnval[:0]
	for _, e := range body.Res.Returnval {
		if _, computed := l.sums[e.Key]; computed {
			continue
		}
		if l.types[e.Key] == string(types.HttpNfcLeaseManifestEntryChecksumTypeSha1) {
			e.Checksum, e.ChecksumType = e.Sha1, l.types[e.Key]
		}
		entries = append(entries, e)
	}
	for _, e := range l.sums {
		entries = append(entries, e)
	}
	body.Res.Returnval = entries
	return body
}

// HttpNfcLeaseComplete completes the lease and forgets its checksums.
func (l *checksumLease) HttpNfcLeaseComplete(ctx *simulator.Context, req *types.HttpNfcLeaseComplete) soap.HasFault {
	l.forget()
	return l.HttpNfcLease.HttpNfcLeaseComplete(ctx, req)
}

// HttpNfcLeaseAbort aborts the lease and forgets its checksums.
func (l *checksumLease) HttpNfcLeaseAbort(ctx *simulator.Context, req *types.HttpNfcLeaseAbort) soap.HasFault {
	l.forget()
	return l.HttpNfcLease.HttpNfcLeaseAbort(ctx, req)
}

func (l *checksumLease) forget() {
	l.c.mu.Lock()
	delete(l.c.leases, l.Self.Value)
	l.c.mu.Unlock()
}
