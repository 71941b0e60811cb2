package vsphere

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"

	"github.com/imagegrid/imagegrid/internal/publishconfig"
	"github.com/imagegrid/imagegrid/internal/record"
)

// Placement is where one template goes: the configured target with the cell's hints applied.
type Placement struct {
	Datacenter, Cluster, ResourcePool, Datastore, Folder, Network, ContentLibrary string
}

// PlacementFor applies a cell's vSphere publish hints over the configured target: a field the
// hints set wins, an empty one falls back to the configuration.
func PlacementFor(cfg *publishconfig.VSphere, cell record.Cell) Placement {
	p := Placement{
		Datacenter: cfg.Datacenter, Cluster: cfg.Cluster, ResourcePool: cfg.ResourcePool,
		Datastore: cfg.Datastore, Folder: cfg.Folder, Network: cfg.Network,
	}
	if cfg.ContentLibrary != nil {
		p.ContentLibrary = cfg.ContentLibrary.Name
	}
	h := cell.Publish.VSphere
	if h == nil {
		return p
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&p.Datacenter, h.Datacenter)
	set(&p.Datastore, h.Datastore)
	set(&p.Folder, h.Folder)
	set(&p.Network, h.Network)
	set(&p.ContentLibrary, h.ContentLibrary)
	if h.Cluster != "" || h.ResourcePool != "" {
		p.Cluster, p.ResourcePool = h.Cluster, h.ResourcePool
	}
	return p
}

// TemplateName is the deterministic name of a cell's template:
// <os id>-kube-<kubernetes semver>-<short build key>.
func TemplateName(cell record.Cell) string {
	return fmt.Sprintf("%s-kube-%s-%s", cell.OS.ID, cell.Kubernetes.Semver, cell.ShortKey())
}

// inventory is a placement resolved to vSphere objects.
type inventory struct {
	datacenter *object.Datacenter
	datastore  *object.Datastore
	pool       *object.ResourcePool
	folder     *object.Folder
	network    object.NetworkReference
}

// resolve finds the placement's objects; every error names the object that is missing.
func (p Placement) resolve(ctx context.Context, f *find.Finder, si *object.SearchIndex) (*inventory, error) {
	var inv inventory
	var err error
	if inv.datacenter, err = f.Datacenter(ctx, p.Datacenter); err != nil {
		return nil, fmt.Errorf("datacenter %q: %w", p.Datacenter, err)
	}
	f.SetDatacenter(inv.datacenter)
	if inv.datastore, err = f.Datastore(ctx, p.Datastore); err != nil {
		return nil, fmt.Errorf("datastore %q: %w", p.Datastore, err)
	}
	if p.ResourcePool != "" {
		if inv.pool, err = f.ResourcePool(ctx, p.ResourcePool); err != nil {
			return nil, fmt.Errorf("resource pool %q: %w", p.ResourcePool, err)
		}
	} else {
		cluster, err := f.ClusterComputeResource(ctx, p.Cluster)
		if err != nil {
			return nil, fmt.Errorf("cluster %q: %w", p.Cluster, err)
		}
		if inv.pool, err = cluster.ResourcePool(ctx); err != nil {
			return nil, fmt.Errorf("cluster %q: resource pool: %w", p.Cluster, err)
		}
	}
	folder := folderPath(inv.datacenter.InventoryPath, p.Folder)
	if inv.folder, err = folderAt(ctx, si, folder); err != nil {
		return nil, err
	}
	if p.Network != "" {
		if inv.network, err = f.Network(ctx, p.Network); err != nil {
			return nil, fmt.Errorf("network %q: %w", p.Network, err)
		}
	}
	return &inv, nil
}

// folderAt finds the VM folder at an inventory path with one call (SearchIndex.
// FindByInventoryPath), where find.Finder would list every child of each folder on the way:
// the VM folder that holds the templates often holds thousands of VMs as well.
func folderAt(ctx context.Context, si *object.SearchIndex, path string) (*object.Folder, error) {
	ref, err := si.FindByInventoryPath(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("folder %q: %w", path, err)
	}
	folder, ok := ref.(*object.Folder)
	if !ok {
		what := "nothing"
		if ref != nil {
			what = "a " + ref.Reference().Type
		}
		return nil, fmt.Errorf("folder %q: %s is there; want the inventory path of a VM folder, like /DC0/vm/templates", path, what)
	}
	folder.InventoryPath = path
	return folder, nil
}

// folderPath is the inventory path of a VM folder given as an absolute path or relative to
// the datacenter's VM folder.
func folderPath(datacenter, folder string) string {
	if strings.HasPrefix(folder, "/") {
		return folder
	}
	return path.Join(datacenter, "vm", folder)
}
