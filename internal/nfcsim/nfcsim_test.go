package nfcsim

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/nfc"
	"github.com/vmware/govmomi/ovf"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// TestLeasesComputeTheChosenChecksum imports a one-disk OVF into a simulator with Install,
// choosing (or not) the disk's checksum before uploading it: the lease's manifest reports the
// algorithm chosen, computed of the bytes received, the simulator's SHA-1 when none was, and
// a choice of an unknown device or algorithm, or made after the transfer, is refused.
func TestLeasesComputeTheChosenChecksum(t *testing.T) {
	t.Parallel()
	c := serve(t)
	disk := bytes.Repeat([]byte("disk"), 1024)
	sha1Sum, sha256Sum := sha1.Sum(disk), sha256.Sum256(disk)
	tests := []struct {
		name string
		// before and after are the choices made before and after the upload, as device key
		// (the disk's when "") → algorithm.
		before, after map[string]string
		want          types.HttpNfcLeaseManifestEntry
		wantErr       string
	}{
		{name: "sha256 chosen", before: map[string]string{"": "sha256"},
			want: types.HttpNfcLeaseManifestEntry{Checksum: hex.EncodeToString(sha256Sum[:]), ChecksumType: "sha256", Size: int64(len(disk))}},
		{name: "sha1 chosen", before: map[string]string{"": "sha1"},
			want: types.HttpNfcLeaseManifestEntry{Sha1: hex.EncodeToString(sha1Sum[:]), Checksum: hex.EncodeToString(sha1Sum[:]), ChecksumType: "sha1", Size: int64(len(disk))}},
		{name: "nothing chosen",
			want: types.HttpNfcLeaseManifestEntry{Sha1: hex.EncodeToString(sha1Sum[:]), Size: int64(len(disk))}},
		{name: "unknown device", before: map[string]string{"/vm-0/VirtualDisk:9": "sha256"}, wantErr: `no device URL with key "/vm-0/VirtualDisk:9"`},
		{name: "unknown algorithm", before: map[string]string{"": "md5"}, wantErr: `checksum type "md5": want sha1 or sha256`},
		{name: "chosen after the transfer", before: map[string]string{"": "sha256"}, after: map[string]string{"": "sha1"}, wantErr: "was already transferred"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			lease, info := importDisk(t, c, fmt.Sprintf("vm-%d", i))
			defer lease.Abort(ctx, nil)
			key := info.DeviceUrl[0].Key
			err := choose(ctx, c, lease, key, tt.before)
			if err == nil {
				updater := lease.StartUpdater(ctx, info) // takes the upload's progress reports
				err = lease.Upload(ctx, info.Items[0], bytes.NewReader(disk), soap.Upload{ContentLength: int64(len(disk))})
				updater.Done()
			}
			if err == nil {
				err = choose(ctx, c, lease, key, tt.after)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v; want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			entries, err := lease.GetManifest(ctx)
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Key = key
			if len(entries) != 1 || entries[0] != tt.want {
				t.Errorf("manifest %+v; want [%+v]", entries, tt.want)
			}
		})
	}
}

// serve starts a simulator reporting APIVersion with Install, and returns a client of it.
func serve(t *testing.T) *vim25.Client {
	t.Helper()
	model := simulator.VPX()
	model.ServiceContent.About.ApiVersion = APIVersion
	if err := model.Create(); err != nil {
		t.Fatal(err)
	}
	server := model.Service.NewServer()
	Install(model)
	t.Cleanup(func() { server.Close(); model.Remove() })
	c, err := govmomi.NewClient(context.Background(), server.URL, true)
	if err != nil {
		t.Fatal(err)
	}
	return c.Client
}

// importDisk starts the import of testdata/one-disk.ovf as a VM called name.
func importDisk(t *testing.T, c *vim25.Client, name string) (*nfc.Lease, *nfc.LeaseInfo) {
	t.Helper()
	ctx := context.Background()
	desc, err := os.ReadFile("testdata/one-disk.ovf")
	if err != nil {
		t.Fatal(err)
	}
	finder := find.NewFinder(c)
	dc, err := finder.DefaultDatacenter(ctx)
	if err != nil {
		t.Fatal(err)
	}
	finder.SetDatacenter(dc)
	pool, err := finder.ResourcePool(ctx, "DC0_C0/Resources")
	if err != nil {
		t.Fatal(err)
	}
	ds, err := finder.Datastore(ctx, "LocalDS_0")
	if err != nil {
		t.Fatal(err)
	}
	folders, err := dc.Folders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := ovf.NewManager(c).CreateImportSpec(ctx, string(desc), pool, ds, &types.OvfCreateImportSpecParams{EntityName: name})
	if err != nil {
		t.Fatal(err)
	}
	if len(spec.Error) > 0 {
		t.Fatal(spec.Error[0].LocalizedMessage)
	}
	lease, err := pool.ImportVApp(ctx, spec.ImportSpec, folders.VmFolder, nil)
	if err != nil {
		t.Fatal(err)
	}
	info, err := lease.Wait(ctx, spec.FileItem)
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Items) != 1 || len(info.DeviceUrl) != 1 {
		t.Fatalf("lease for %d files, %d device URLs; want one disk", len(info.Items), len(info.DeviceUrl))
	}
	return lease, info
}

// choose asks the lease for the checksums of choice (device key → algorithm; "" is key).
func choose(ctx context.Context, c *vim25.Client, lease *nfc.Lease, key string, choice map[string]string) error {
	if len(choice) == 0 {
		return nil
	}
	req := types.HttpNfcLeaseSetManifestChecksumType{This: lease.Reference()}
	for k, alg := range choice {
		if k == "" {
			k = key
		}
		req.DeviceUrlsToChecksumTypes = append(req.DeviceUrlsToChecksumTypes, types.KeyValue{Key: k, Value: alg})
	}
	_, err := methods.HttpNfcLeaseSetManifestChecksumType(ctx, c, &req)
	return err
}
