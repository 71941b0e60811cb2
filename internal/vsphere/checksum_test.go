package vsphere

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vmware/govmomi/simulator"

	"github.com/imagegrid/imagegrid/internal/syncbuf"
	"github.com/imagegrid/imagegrid/internal/testutil/vcsim"
)

// TestImportChecksWhatVCenterReceived imports an OVA, then one whose disk is not what its
// manifest says, into vCenters of two API versions: from 6.7 on, vCenter is asked for the
// SHA-256 of the disk it receives, and that digest is checked against the manifest (nothing
// hashes the disk here); before, or when vCenter refuses the request, the disk is hashed here
// as it streams, and the log says why. Either way the wrong disk is refused before it becomes
// a template.
func TestImportChecksWhatVCenterReceived(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		options []func(*simulator.Model)
		// refuse makes vCenter answer the request for SHA-256 with a fault, once.
		refuse  bool
		want    string
		notWant string
		// refusal is what the error says of the wrong disk.
		refusal string
	}{
		{
			name:    "vSphere 8.0 U3",
			want:    "-disk-0.vmdk: the SHA-256 vCenter computed of it matches the manifest",
			notWant: "hashing",
			refusal: "as vCenter received it: ",
		},
		{
			name:    "vSphere 6.5",
			options: []func(*simulator.Model){vcsim.APIVersion("6.5")},
			want:    "vCenter speaks vSphere API 6.5, whose uploads cannot be checked with SHA-256 (API 6.7 and later): hashing the OVA's files here instead",
			notWant: "vCenter computed",
			refusal: ".ova: tar member ",
		},
		{
			name:    "vSphere 8.0 U3 refusing to compute SHA-256",
			refuse:  true,
			want:    "vCenter refused to compute the SHA-256 of the uploads (",
			notWant: "vCenter computed",
			refusal: ".ova: tar member ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := newVCSim(t, tt.options...)
			if tt.refuse {
				sim.fault("HttpNfcLeaseSetManifestChecksumType", "HttpNfcLease", 2)
			}
			rec, dir := testRecord(t, 1<<20)
			log := &syncbuf.Buffer{}
			p := New(sim.cfg, testCreds, Options{Log: log})
			defer p.Close()
			if _, err := p.Publish(context.Background(), rec, dir); err != nil {
				t.Fatalf("publish: %v\n%s", err, log)
			}
			if !strings.Contains(log.String(), tt.want) || strings.Contains(log.String(), tt.notWant) {
				t.Errorf("log does not say %q, or says %q:\n%s", tt.want, tt.notWant, log)
			}

			rec, dir = testRecord(t, 1<<20)
			rec.Cell.BuildKey = strings.Repeat("e", 64) // not the template just made
			rewriteMembers(t, &rec, filepath.Join(dir, rec.Artifacts.OVA.Path), func(name string, data []byte) []byte {
				if strings.HasSuffix(name, ".vmdk") {
					data = append(data[:len(data):len(data)], "tampered"...)
				}
				return data
			})
			_, err := p.Publish(context.Background(), rec, dir)
			if err == nil || !strings.Contains(err.Error(), tt.refusal) || !strings.Contains(err.Error(), `-disk-0.vmdk" has SHA256 `) {
				t.Fatalf("publish error = %v; want the disk refused (%q)", err, tt.refusal)
			}
			if vms := vmsNamed(t, sim.client(t), TemplateName(rec.Cell)); len(vms) != 0 {
				t.Errorf("%d VMs left after a refused OVA", len(vms))
			}
		})
	}
}
