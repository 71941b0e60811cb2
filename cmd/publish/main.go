// Command publish takes the build records of a run and makes their images usable: vSphere
// OVAs become VM templates (snapshotted, optionally also content library items), AWS AMIs
// are copied to every requested region, tagged and shared. It writes one publish record per
// build record, sets step outputs and a job-summary table, and fails if any publish failed.
//
// Flags (on GitHub Actions the inputs of the same names; a flag given explicitly wins):
//
//	--records DIR   build records of the run, as actions/download-artifact lays them out
//	--out DIR       where publish records are written (default publish-records)
//	--config FILE   publish targets (default publish.yaml; see docs/publish.md)
//	--dry-run       print the plan, touch nothing
//	--content-library NAME   also upload each OVA to this content library
//	--create-library         create the content library when it does not exist
//
// Credentials come from the environment: GOVC_USERNAME/GOVC_PASSWORD (or VSPHERE_USERNAME/
// VSPHERE_PASSWORD) for vCenter, the AWS SDK's default chain for AWS.
package main

import (
	"context"
	"os"

	"github.com/imagegrid/imagegrid/internal/cli"
)

func main() {
	cli.Main("publish", func(ctx context.Context) error { return run(ctx, os.Args[1:], os.Stdout, os.Stderr) })
}
