package vsphere

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/go-version"
	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/nfc"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/ovf"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/imagegrid/imagegrid/internal/ova"
	"github.com/imagegrid/imagegrid/internal/record"
)

// cleanupTimeout bounds the removal of a half-made VM, which runs even when ctx is cancelled.
const cleanupTimeout = 2 * time.Minute

// importer streams one OVA into vCenter as a powered-off VM marked "importing", then marks
// it "imported". A failure aborts the NFC lease and destroys the VM it created.
type importer struct {
	client       *vim25.Client
	inv          *inventory
	provisioning string
	logf         func(string, ...any)
}

func (im importer) run(ctx context.Context, rec record.BuildRecord, ovaPath, name string) (*object.VirtualMachine, error) {
	s, err := openOVA(ovaPath, rec.Artifacts.OVA, im.logf)
	if err != nil {
		return nil, permanent(err)
	}
	defer s.Close()
	desc, err := s.Descriptor()
	if err != nil {
		return nil, permanent(err)
	}
	spec, err := im.importSpec(ctx, desc, name, rec)
	if err != nil {
		return nil, err
	}
	lease, err := im.inv.pool.ImportVApp(ctx, spec.ImportSpec, im.inv.folder, nil)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", name, err)
	}
	info, err := lease.Wait(ctx, spec.FileItem)
	if err != nil {
		im.abort(ctx, lease, nil, err)
		return nil, fmt.Errorf("import %s: wait for NFC lease: %w", name, err)
	}
	vm := object.NewVirtualMachine(im.client, info.Entity)
	if err := im.upload(ctx, lease, info, s); err != nil {
		im.abort(ctx, lease, vm, err)
		return nil, fmt.Errorf("import %s: %w", name, err)
	}
	if err := verify(s, rec.Artifacts.OVA); err != nil {
		im.abort(ctx, lease, vm, err)
		return nil, fmt.Errorf("import %s: %w", name, err)
	}
	if err := lease.Complete(ctx); err != nil {
		im.abort(ctx, lease, vm, err)
		return nil, fmt.Errorf("import %s: complete NFC lease: %w", name, err)
	}
	if err := reconfigure(ctx, vm, types.VirtualMachineConfigSpec{ExtraConfig: []types.BaseOptionValue{
		&types.OptionValue{Key: keyState, Value: stateImported},
	}}); err != nil {
		return nil, fmt.Errorf("import %s: mark imported: %w", name, err)
	}
	return vm, nil
}

// openOVA opens the record's OVA at ovaPath for an upload, checked against the record as
// vCenter and ovftool check an OVA against its manifest (govmomi ovf/importer, v0.56.0,
// VerifyManifest): when build recorded the manifest's digest, through the chain of trust
// record → manifest → each member (ova.OpenTrusted: one SHA-256 pass over the disk, while
// it streams); otherwise — an older record, or an OVA exported without a manifest or with
// SHA-1 digests — by the whole file's SHA-256 against the record, which the log says.
func openOVA(ovaPath string, art *record.OVAArtifact, logf func(string, ...any)) (*ova.Reader, error) {
	if art.ManifestSHA256 != "" {
		return ova.OpenTrusted(ovaPath, art.ManifestSHA256)
	}
	logf("%s: the build record gives no manifest digest (manifestSha256): checking the whole OVA's sha256 against the record, and each member against the OVA's manifest if it has one", path.Base(ovaPath))
	return ova.Open(ovaPath)
}

// verify reads and checks the rest of the OVA after the upload and compares its size, and
// its digest when the whole file was hashed, with the build record's. Every failure is
// permanent: the file is at fault.
func verify(s *ova.Reader, want *record.OVAArtifact) error {
	img, err := s.Finish()
	if err != nil {
		return permanent(err)
	}
	if want.Size > 0 && img.Size != want.Size {
		return permanent(fmt.Errorf("OVA %s is %d bytes; its build record says %d", want.Path, img.Size, want.Size))
	}
	if img.SHA256 != "" && want.SHA256 != "" && !strings.EqualFold(img.SHA256, want.SHA256) {
		return permanent(fmt.Errorf("OVA %s has sha256 %s; its build record says %s", want.Path, img.SHA256, want.SHA256))
	}
	return nil
}

// importSpec asks vCenter to turn the descriptor into an import spec, keeping the OVF
// properties as vApp properties, and adds imagegrid's marks.
func (im importer) importSpec(ctx context.Context, desc ova.Descriptor, name string, rec record.BuildRecord) (*types.OvfCreateImportSpecResult, error) {
	env := desc.Envelope
	var networks []types.OvfNetworkMapping
	if im.inv.network != nil && env.Network != nil {
		for _, n := range env.Network.Networks {
			networks = append(networks, types.OvfNetworkMapping{Name: n.Name, Network: im.inv.network.Reference()})
		}
	}
	params := types.OvfCreateImportSpecParams{
		DiskProvisioning:       im.provisioning,
		EntityName:             name,
		NetworkMapping:         networks,
		OvfManagerCommonParams: types.OvfManagerCommonParams{Locale: "US"},
	}
	spec, err := ovf.NewManager(im.client).CreateImportSpec(ctx, string(desc.Raw), im.inv.pool, im.inv.datastore, &params)
	if err != nil {
		return nil, fmt.Errorf("create import spec: %w", err)
	}
	if len(spec.Error) > 0 {
		return nil, fmt.Errorf("create import spec: %s", spec.Error[0].LocalizedMessage)
	}
	for _, w := range spec.Warning {
		im.logf("import spec warning: %s", w.LocalizedMessage)
	}
	vmSpec, ok := spec.ImportSpec.(*types.VirtualMachineImportSpec)
	if !ok {
		return nil, fmt.Errorf("create import spec: %T: only single-VM OVAs are supported", spec.ImportSpec)
	}
	vmSpec.ConfigSpec.Annotation = annotation(rec)
	vmSpec.ConfigSpec.ExtraConfig = append(vmSpec.ConfigSpec.ExtraConfig, marks(rec, stateImporting)...)
	return spec, nil
}

// upload streams each file the lease asks for from the OVA, logging progress. A file that
// vCenter hashes as it receives it (handOffs) is read without hashing here and checked, once
// uploaded, against the SHA-256 vCenter reports; the others are hashed as they stream.
func (im importer) upload(ctx context.Context, lease *nfc.Lease, info *nfc.LeaseInfo, s *ova.Reader) error {
	handedOff, err := im.handOffs(ctx, lease, info, s)
	if err != nil {
		return err
	}
	updater := lease.StartUpdater(ctx, info)
	defer updater.Done()
	for _, item := range info.Items {
		read := s.Member
		if _, ok := handedOff[item.Path]; ok {
			read = s.MemberHandedOff
		}
		r, size, err := read(item.Path)
		if err != nil {
			return permanent(err)
		}
		logger := newUploadLog(im.logf, path.Base(item.Path), size, item.Sink())
		err = lease.Upload(ctx, item, fileReader{r}, soap.Upload{ContentLength: size, Progress: logger})
		logger.wait(ctx)
		if err != nil {
			return fmt.Errorf("upload %s: %w", item.Path, err)
		}
	}
	return im.confirm(ctx, lease, s, handedOff)
}

// checksumAPI is the first vSphere API whose NFC leases compute the checksum a client asks
// for (HttpNfcLeaseSetManifestChecksumType; HttpNfcLeaseManifestEntry.checksum and
// checksumType: "Since vSphere API Release 6.7", vSphere Web Services API reference).
var checksumAPI = version.Must(version.NewVersion("6.7"))

// handOffs asks vCenter to compute the SHA-256 of each file it receives that the OVA's
// manifest lists with SHA-256, the way govc import.ova -m has vCenter check an upload
// (govmomi ovf/importer ValidateChecksum, v0.56.0: "newer versions have moved to sha256"),
// and returns those files' device keys by path. The import then hashes none of the disk
// itself and checks what vCenter received, not only what was read. A vCenter older than API
// 6.7 or that refuses the request, or an OVA whose manifest comes after its disks or lists
// them otherwise, has its files hashed here, which the log says.
func (im importer) handOffs(ctx context.Context, lease *nfc.Lease, info *nfc.LeaseInfo, s *ova.Reader) (map[string]string, error) {
	api := im.client.ServiceContent.About.ApiVersion
	if v, err := version.NewVersion(api); err != nil || v.LessThan(checksumAPI) {
		im.logf("vCenter speaks vSphere API %s, whose uploads cannot be checked with SHA-256 (API 6.7 and later): hashing the OVA's files here instead", api)
		return nil, nil
	}
	keys := map[string]string{}
	var choice []types.KeyValue
	for _, item := range info.Items {
		d, listed := s.ManifestDigest(item.Path)
		key := deviceKey(info, item.DeviceId)
		if !listed || d.Algorithm != "SHA256" || key == "" {
			im.logf("%s: no SHA-256 of it in a manifest read before it: hashing it here", path.Base(item.Path))
			continue
		}
		keys[item.Path] = key
		choice = append(choice, types.KeyValue{Key: key, Value: string(types.HttpNfcLeaseManifestEntryChecksumTypeSha256)})
	}
	if len(choice) == 0 {
		return nil, nil
	}
	req := types.HttpNfcLeaseSetManifestChecksumType{This: lease.Reference(), DeviceUrlsToChecksumTypes: choice}
	_, err := methods.HttpNfcLeaseSetManifestChecksumType(ctx, im.client, &req)
	switch {
	case err == nil:
		return keys, nil
	case soap.IsSoapFault(err) || soap.IsVimFault(err):
		im.logf("vCenter refused to compute the SHA-256 of the uploads (%v): hashing the OVA's files here instead", err)
		return nil, nil
	}
	return nil, fmt.Errorf("ask vCenter for the SHA-256 of the uploads: %w", err)
}

// deviceKey is the key of the lease's device URL that a file item of the import spec goes to
// (its import key is the item's device id), "" when none matches.
func deviceKey(info *nfc.LeaseInfo, deviceID string) string {
	for _, u := range info.DeviceUrl {
		if u.ImportKey == deviceID {
			return u.Key
		}
	}
	return ""
}

// confirm checks each handed-off file against the OVA's manifest with the SHA-256 vCenter
// computed of what it received. A digest that differs means the file is not what its
// manifest says: permanent, like a mismatch found here; so is a vCenter that accepted the
// request and reports no SHA-256, which the next attempt would meet again.
func (im importer) confirm(ctx context.Context, lease *nfc.Lease, s *ova.Reader, handedOff map[string]string) error {
	if len(handedOff) == 0 {
		return nil
	}
	entries, err := lease.GetManifest(ctx)
	if err != nil {
		return fmt.Errorf("get the checksums vCenter computed of the uploads: %w", err)
	}
	for _, file := range slices.Sorted(maps.Keys(handedOff)) {
		key := handedOff[file]
		i := slices.IndexFunc(entries, func(e types.HttpNfcLeaseManifestEntry) bool { return e.Key == key })
		if i < 0 || !strings.EqualFold(entries[i].ChecksumType, string(types.HttpNfcLeaseManifestEntryChecksumTypeSha256)) {
			return permanent(fmt.Errorf("vCenter reported no SHA-256 of %s (device %s), though it accepted the request: the upload cannot be checked", file, key))
		}
		if err := s.Confirm(file, ova.Digest{Algorithm: entries[i].ChecksumType, Sum: entries[i].Checksum}); err != nil {
			return permanent(fmt.Errorf("as vCenter received it: %w", err))
		}
		im.logf("%s: the SHA-256 vCenter computed of it matches the manifest", path.Base(file))
	}
	return nil
}

// abort gives up an import: the lease is aborted (vCenter then drops the VM) and the VM is
// destroyed should it still exist. It runs even when ctx is cancelled.
func (im importer) abort(ctx context.Context, lease *nfc.Lease, vm *object.VirtualMachine, cause error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	fault := &types.LocalizedMethodFault{Fault: &types.SystemError{Reason: cause.Error()}, LocalizedMessage: cause.Error()}
	if err := lease.Abort(ctx, fault); err != nil {
		im.logf("abort NFC lease: %v", err)
	}
	if vm != nil {
		if err := destroy(ctx, vm); err != nil {
			im.logf("remove half-imported VM %s: %v", vm.Reference().Value, err)
		}
	}
}

// destroy removes a VM; one that is already gone is not an error.
func destroy(ctx context.Context, vm *object.VirtualMachine) error {
	task, err := vm.Destroy(ctx)
	if err == nil {
		err = task.Wait(ctx)
	}
	if isNotFound(err) {
		return nil
	}
	return err
}

func reconfigure(ctx context.Context, vm *object.VirtualMachine, spec types.VirtualMachineConfigSpec) error {
	task, err := vm.Reconfigure(ctx, spec)
	if err != nil {
		return err
	}
	return task.Wait(ctx)
}

// fileReader marks the errors of reading the OVA as permanent: the file, not the network, is
// at fault.
type fileReader struct{ r io.Reader }

func (f fileReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = permanent(err)
	}
	return n, err
}

// permanentError is a failure that trying again cannot fix: the OVA is missing, unreadable
// or not what its build record and manifest say, or vCenter cannot check it. The publisher
// does not retry it.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

func permanent(err error) error { return permanentError{err} }

// isPermanent reports whether err, or an error it wraps, is permanent.
func isPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

func isNotFound(err error) bool {
	return err != nil && fault.Is(err, &types.ManagedObjectNotFound{})
}
