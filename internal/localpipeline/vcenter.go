package localpipeline

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	_ "github.com/vmware/govmomi/vapi/simulator" // content libraries
	"github.com/vmware/govmomi/vim25/types"

	"github.com/imagegrid/imagegrid/internal/nfcsim"
	"github.com/imagegrid/imagegrid/internal/record"
)

// The names govmomi's VPX simulator model starts with.
const (
	simDatacenter = "DC0"
	simCluster    = "DC0_C0"
	simDatastore  = "LocalDS_0"
	simNetwork    = "VM Network"
)

// vcenter is a simulated vCenter served over TLS on 127.0.0.1, shaped like the placement the
// grid's vSphere cells ask for.
type vcenter struct {
	host, thumbprint, username, password string
	datacenter, datastore, cluster       string
	model                                *simulator.Model
	close                                func()
}

// startVCenter serves the simulator and renames and creates inventory so that want (the
// cells' vSphere hints) resolves in it: datacenter, datastore and template folder.
func startVCenter(ctx context.Context, want record.VSphereHints) (*vcenter, error) {
	model := simulator.VPX()
	// A vCenter of today's API, whose NFC leases compute the SHA-256 publish asks for.
	model.ServiceContent.About.ApiVersion = nfcsim.APIVersion
	if err := model.Create(); err != nil {
		return nil, fmt.Errorf("vCenter simulator: %w", err)
	}
	model.Service.TLS = new(tls.Config)
	model.Service.RegisterEndpoints = true
	// A password of its own, not the simulator's well-known one: build and publish mask it.
	model.Service.Listen = &url.URL{User: url.UserPassword("administrator@vsphere.local", rand.Text())}
	server := model.Service.NewServer()
	nfcsim.Install(model)
	vc := &vcenter{
		host: server.URL.Host, thumbprint: server.CertificateInfo().ThumbprintSHA1,
		username: server.URL.User.Username(), datacenter: simDatacenter, datastore: simDatastore, cluster: simCluster, model: model,
		close: func() { server.Close(); model.Remove() },
	}
	vc.password, _ = server.URL.User.Password()
	if err := vc.shape(ctx, server.URL, want); err != nil {
		vc.close()
		return nil, fmt.Errorf("vCenter simulator: %w", err)
	}
	return vc, nil
}

// shape renames the simulator's datacenter, cluster and datastore to the grid's placement
// (want) and creates its template folder.
func (vc *vcenter) shape(ctx context.Context, u *url.URL, want record.VSphereHints) error {
	c, err := govmomi.NewClient(ctx, u, true) // our own simulator, started a moment ago
	if err != nil {
		return err
	}
	defer c.Logout(ctx)
	finder := find.NewFinder(c.Client, true)
	dc, err := finder.Datacenter(ctx, simDatacenter)
	if err != nil {
		return err
	}
	finder.SetDatacenter(dc)
	if want.Datacenter != "" && want.Datacenter != simDatacenter {
		if err := rename(ctx, dc.Common, want.Datacenter); err != nil {
			return fmt.Errorf("rename datacenter %s to %s: %w", simDatacenter, want.Datacenter, err)
		}
		vc.datacenter = want.Datacenter
	}
	if want.Cluster != "" && want.Cluster != simCluster {
		cluster, err := finder.ClusterComputeResource(ctx, simCluster)
		if err != nil {
			return err
		}
		if err := rename(ctx, cluster.Common, want.Cluster); err != nil {
			return fmt.Errorf("rename cluster %s to %s: %w", simCluster, want.Cluster, err)
		}
		vc.cluster = want.Cluster
	}
	if want.Datastore != "" && want.Datastore != simDatastore {
		if err := renameDatastore(vc.model, simDatastore, want.Datastore); err != nil {
			return err
		}
		vc.datastore = want.Datastore
	}
	if want.Folder == "" {
		return nil
	}
	return createFolder(ctx, dc, vc.datacenter, want.Folder)
}

// createFolder creates folder (an inventory path or one relative to the VM folder) and its
// parents under the VM folder of dc, named datacenter.
func createFolder(ctx context.Context, dc *object.Datacenter, datacenter, folder string) error {
	folders, err := dc.Folders(ctx)
	if err != nil {
		return err
	}
	parent := folders.VmFolder
	for _, name := range folderElems(datacenter, folder) {
		child, err := parent.CreateFolder(ctx, name)
		if err != nil {
			return fmt.Errorf("create folder %s: %w", folder, err)
		}
		parent = child
	}
	return nil
}

// folderElems are the folders under the datacenter's VM folder of an inventory path
// ("/DC/vm/a/b") or a path relative to the VM folder ("a/b").
func folderElems(datacenter, folder string) []string {
	rel := strings.TrimPrefix(path.Clean("/"+folder), "/"+datacenter+"/vm")
	var elems []string
	for _, e := range strings.Split(rel, "/") {
		if e != "" {
			elems = append(elems, e)
		}
	}
	return elems
}

func rename(ctx context.Context, obj object.Common, name string) error {
	task, err := obj.Rename(ctx, name)
	if err != nil {
		return err
	}
	return task.Wait(ctx)
}

// renameDatastore renames a datastore inside the simulator, which implements no Rename_Task
// for datastores.
func renameDatastore(model *simulator.Model, from, to string) error {
	for _, e := range model.Map().All("Datastore") {
		if e.Entity().Name == from {
			model.Map().Update(model.Service.Context, e, []types.PropertyChange{{Name: "name", Val: to}, {Name: "summary.name", Val: to}})
			return nil
		}
	}
	return fmt.Errorf("rename datastore %s to %s: the simulator has no datastore %s", from, to, from)
}
