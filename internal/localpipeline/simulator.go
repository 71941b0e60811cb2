package localpipeline

import (
	"context"
	"fmt"

	"github.com/imagegrid/imagegrid/internal/record"
)

// Simulator is the vCenter simulator of a local run, shaped like the placement its cells ask
// for, for harnesses that drive the pipeline another way (the workflow test).
type Simulator struct {
	// Host is host:port of the SDK; Username and Password log in (the password is random).
	Host, Username, Password string
	vc                       *vcenter
}

// StartSimulator serves a vCenter simulator shaped like the vSphere placement of cells.
func StartSimulator(ctx context.Context, cells []record.Cell) (*Simulator, error) {
	want, err := vsphereHints(cells)
	if err != nil {
		return nil, err
	}
	vc, err := startVCenter(ctx, want)
	if err != nil {
		return nil, err
	}
	return &Simulator{Host: vc.host, Username: vc.username, Password: vc.password, vc: vc}, nil
}

// Close stops the simulator.
func (s *Simulator) Close() { s.vc.close() }

// PublishConfig is a publish configuration (YAML) for the simulator and AWS region us-east-1.
func (s *Simulator) PublishConfig() string { return s.vc.publishConfig() }

// publishConfig is the publish configuration of a local run: the simulator, its certificate
// pinned, and one AWS region.
func (vc *vcenter) publishConfig() string {
	return fmt.Sprintf(`apiVersion: imagegrid.io/v1alpha1
kind: PublishConfig
vsphere:
  server: %s
  thumbprint: %q
  datacenter: %s
  cluster: %s
  datastore: %s
  network: %s
aws:
  regions: [us-east-1]
  pollInterval: 1s
  waitTimeout: 5m
`, vc.host, vc.thumbprint, vc.datacenter, vc.cluster, vc.datastore, simNetwork)
}
