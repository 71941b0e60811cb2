package vsphere

import (
	"context"
	"fmt"

	"github.com/vmware/govmomi/object"
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

// machinesWithKey lists the VMs and templates under root that carry the build key.
func machinesWithKey(ctx context.Context, c *vim25.Client, root types.ManagedObjectReference, key string) ([]machine, error) {
	v, err := view.NewManager(c).CreateContainerView(ctx, root, []string{"VirtualMachine"}, true)
	if err != nil {
		return nil, fmt.Errorf("list virtual machines: %w", err)
	}
	defer v.Destroy(context.WithoutCancel(ctx))
	var vms []mo.VirtualMachine
	props := []string{"name", "config.extraConfig", "config.template", "snapshot", "runtime.powerState"}
	if err := v.Retrieve(ctx, []string{"VirtualMachine"}, props, &vms); err != nil {
		return nil, fmt.Errorf("list virtual machines: %w", err)
	}
	var out []machine
	for _, vm := range vms {
		if vm.Config == nil {
			continue
		}
		extra := extraConfig(vm.Config.ExtraConfig)
		if extra[keyBuildKey] != key {
			continue
		}
		out = append(out, machine{
			vm:         object.NewVirtualMachine(c, vm.Reference()),
			name:       vm.Name,
			state:      extra[keyState],
			template:   vm.Config.Template,
			snapshot:   vm.Snapshot != nil,
			poweredOff: vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn,
		})
	}
	return out, nil
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
		&types.OptionValue{Key: keyBuildKey, Value: rec.BuildKey},
		&types.OptionValue{Key: keyCell, Value: rec.Cell.ID},
		&types.OptionValue{Key: keyState, Value: state},
	}
}

func annotation(rec record.BuildRecord) string {
	return fmt.Sprintf("Kubernetes node image %s, published by imagegrid.\nCell: %s\nBuild key: %s\nImage Builder: %s",
		rec.Cell.Name, rec.Cell.ID, rec.BuildKey, rec.ImageBuilderVersion)
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
