// Package localpipeline runs the whole imagegrid pipeline on one machine, the way the
// workflows run it on GitHub: matrix picks the cells, build runs the Image Builder stand-in
// (real packer and qemu-img) for each, publish imports the OVA into an in-process vCenter
// simulator and copies the AMI in a moto_server, and commits the catalog change in a local git
// repository. Nothing is installed: a missing tool is named with how to get it.
package localpipeline

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/imagegrid/imagegrid/internal/motoserver"
)

// tools are the programs a local run needs, with how to get each on Debian.
var tools = []struct{ name, get string }{
	{"go", "Go 1.26 from https://go.dev/dl"},
	{"git", "apt-get install git"},
	{"make", "apt-get install make"},
	{"packer", "apt-get install packer"},
	{"qemu-img", "apt-get install qemu-utils"},
	{"python3", "apt-get install python3"},
	{"moto_server", motoserver.Install},
}

// checkTools names every missing tool, with how to get it.
func checkTools(ctx context.Context) error {
	var missing []string
	for _, t := range tools {
		if _, err := exec.LookPath(t.name); err != nil {
			missing = append(missing, fmt.Sprintf("  %s: %s", t.name, t.get))
		}
	}
	if len(missing) == 0 {
		// The Image Builder stand-in registers AMIs in moto with boto3, as packer would in AWS.
		if out, err := exec.CommandContext(ctx, "python3", "-c", "import boto3").CombinedOutput(); err != nil {
			missing = append(missing, fmt.Sprintf("  boto3 for python3: pip install boto3 (%s)", strings.TrimSpace(string(out))))
		}
	}
	if len(missing) > 0 {
		return errors.New("the local pipeline needs these, which this machine lacks (nothing is installed for you):\n" + strings.Join(missing, "\n"))
	}
	return nil
}
