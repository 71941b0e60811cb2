package vsphere

import (
	"context"
	"fmt"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/imagegrid/imagegrid/internal/record"
)

// Keys of the extraConfig entries imagegrid sets on the VMs it imports. The build key is how
// a re-run finds its template; the state tells an interrupted import from a finished one.
const (
	keyBuildKey = "imagegrid.buildKey"
	keyCell     = "imagegrid.cell"
	keyState    = "imagegrid.state"

	stateImporting = "importing"
	stateImported  = "imported"
)

// snapshotName is the snapshot taken on every template (linked clones start from it).
const snapshotName = "imagegrid-base"

// machine is what publish needs to know about a VM that carries a build key.
type machine struct {
	vm         *object.VirtualMachine
	name       string
	state      string
	template   bool
	snapshot   bool
	poweredOff bool
}

// finished reports whether nothing is left to do on the machine.
func (m machine) finished() bool {
	return m.state == stateImported && m.template && m.snapshot && m.poweredOff
}

// machineProps are the properties publish reads to tell what is left to do on a VM.
var machineProps = []string{"name", "config.extraConfig", "config.template", "snapshot", "runtime.powerState"}

// machinesWithKey finds the VMs and templates that carry the job's build key. It asks first
// for the VM of the job's template name in the placement's folder (SearchIndex.FindChild: one
// call, whatever the size of the inventory) and confirms its build key; only when no VM of
// that name carries the key (a template moved or renamed) does it read the extraConfig of
// every VM in the datacenter, and says so. govc's own lookups go the same way: `govc vm.info
// NAME` resolves a name through find.Finder and the SearchIndex (govmomi v0.56.0
// find/finder.go, object/search_index.go) instead of reading every VM.
func (j job) machinesWithKey(ctx context.Context) ([]machine, error) {
	c, folder, key := j.conn.client, j.inv.folder, j.rec.Key()
	ref, err := object.NewSearchIndex(c).FindChild(ctx, folder, j.name)
	if err != nil {
		return nil, fmt.Errorf("look up %s in %s: %w", j.name, folder.InventoryPath, err)
	}
	if ref != nil && ref.Reference().Type == "VirtualMachine" {
		var vm mo.VirtualMachine
		if err := property.DefaultCollector(c).RetrieveOne(ctx, ref.Reference(), machineProps, &vm); err != nil {
			return nil, fmt.Errorf("read %s: %w", j.name, err)
		}
		if m, ok := carrying(c, vm, key); ok {
			return []machine{m}, nil
		}
		j.logf("%s in %s does not carry build key %s", j.name, folder.InventoryPath, key)
	}
	j.logf("no %s in %s carries build key %s: searching every VM of the datacenter for it", j.name, folder.InventoryPath, key)
	return scanForKey(ctx, c, j.inv.datacenter.Reference(), key)
}

// scanForKey lists the VMs and templates under root that carry the build key, reading the
// extraConfig of every one: its cost grows with the inventory.
func scanForKey(ctx context.Context, c *vim25.Client, root types.ManagedObjectReference, key string) ([]machine, error) {
	v, err := view.NewManager(c).CreateContainerView(ctx, root, []string{"VirtualMachine"}, true)
	if err != nil {
		return nil, fmt.Errorf("list virtual machines: %w", err)
	}
	defer v.Destroy(context.WithoutCancel(ctx))
	var vms []mo.VirtualMachine
	if err := v.Retrieve(ctx, []string{"VirtualMachine"}, machineProps, &vms); err != nil {
		return nil, fmt.Errorf("list virtual machines: %w", err)
	}
	var out []machine
	for _, vm := range vms {
		if m, ok := carrying(c, vm, key); ok {
			out = append(out, m)
		}
	}
	return out, nil
}

// carrying makes a machine of vm when it carries the build key.
func carrying(c *vim25.Client, vm mo.VirtualMachine, key string) (machine, bool) {
	if vm.Config == nil {
		return machine{}, false
	}
	extra := extraConfig(vm.Config.ExtraConfig)
	if extra[keyBuildKey] != key {
		return machine{}, false
	}
	return machine{
		vm:         object.NewVirtualMachine(c, vm.Reference()),
		name:       vm.Name,
		state:      extra[keyState],
		template:   vm.Config.Template,
		snapshot:   vm.Snapshot != nil,
		poweredOff: vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn,
	}, true
}

func extraConfig(opts []types.BaseOptionValue) map[string]string {
	m := make(map[string]string, len(opts))
	for _, o := range opts {
		if v := o.GetOptionValue(); v != nil {
			if s, ok := v.Value.(string); ok {
				m[v.Key] = s
			}
		}
	}
	return m
}

// marks are the extraConfig entries of an import in the given state.
func marks(rec record.BuildRecord, state string) []types.BaseOptionValue {
	return []types.BaseOptionValue{
		&types.OptionValue{Key: keyBuildKey, Value: rec.Key()},
		&types.OptionValue{Key: keyCell, Value: rec.Cell.ID},
		&types.OptionValue{Key: keyState, Value: state},
	}
}

func annotation(rec record.BuildRecord) string {
	return fmt.Sprintf("Kubernetes node image %s, published by imagegrid.\nCell: %s\nBuild key: %s\nImage Builder: %s",
		rec.Cell.Name, rec.Cell.ID, rec.Key(), rec.ImageBuilderVersion)
}

// vappProperties reads the vApp properties of a VM: id → value (the default when unset).
func vappProperties(ctx context.Context, vm *object.VirtualMachine) (map[string]string, error) {
	var o mo.VirtualMachine
	if err := vm.Properties(ctx, vm.Reference(), []string{"config.vAppConfig"}, &o); err != nil {
		return nil, fmt.Errorf("read vApp properties: %w", err)
	}
	props := map[string]string{}
	if o.Config == nil || o.Config.VAppConfig == nil {
		return props, nil
	}
	for _, p := range o.Config.VAppConfig.GetVmConfigInfo().Property {
		v := p.Value
		if v == "" {
			v = p.DefaultValue
		}
		props[p.Id] = v
	}
	return props, nil
}
