// Package localpipeline runs the whole imagegrid pipeline on one machine, the way the
// workflows run it on GitHub: matrix picks the cells, build runs the Image Builder stand-in
// (real packer and qemu-img) for each, publish imports the OVA into an in-process vCenter
// simulator and copies the AMI in a moto_server, and commits the catalog change in a local git
// repository. Missing tools are installed by the repository's .ci/install where it can (as
// root, or with passwordless sudo, on Debian); elsewhere each is named with how to get it.
package localpipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
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

// ensureTools runs .ci/install (in the checkout root) when a tool is missing, then checks
// again; .ci/install installs what it can and names the exact commands otherwise.
func ensureTools(ctx context.Context, root string, out io.Writer) error {
	if checkTools(ctx) == nil {
		return nil
	}
	fmt.Fprintln(out, "==> installing what this machine lacks: bash .ci/install")
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, ".ci", "install"))
	cmd.Dir, cmd.Stdout, cmd.Stderr = root, out, out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("bash .ci/install: %w\n%w", err, checkTools(ctx))
	}
	return checkTools(ctx)
}

// checkTools names every missing tool, with how to get it.
func checkTools(ctx context.Context) error {
	var missing []string
	for _, t := range tools {
		if _, err := exec.LookPath(t.name); err != nil {
			missing = append(missing, fmt.Sprintf("  %s: %s", t.name, t.get))
		}
	}
	if len(missing) > 0 {
		return errors.New("the local pipeline needs these, which this machine lacks (bash .ci/install installs them as root on Debian):\n" + strings.Join(missing, "\n"))
	}
	return nil
}
