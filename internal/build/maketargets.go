package build

import (
	"bytes"
	"fmt"
	"os/exec"

	"github.com/imagegrid/imagegrid/internal/imagebuilder"
)

// makeTargets lists the make targets of the Image Builder checkout dir, from the rule
// database make prints without running anything (-n -q -p), so that a cell's target is
// checked against the checkout itself rather than a table of releases.
func makeTargets(dir string, environ []string) ([]string, error) {
	cmd := exec.Command("make", "-npq", "-C", dir, ".DEFAULT")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr, cmd.Env = &out, &errOut, environ
	err := cmd.Run()
	// -q exits 1 when .DEFAULT "needs remaking"; only the database matters.
	if _, exited := err.(*exec.ExitError); err != nil && !exited {
		return nil, fmt.Errorf("read the make targets of %s: %w", dir, err)
	}
	targets := imagebuilder.MakeTargets(out.Bytes())
	if len(targets) == 0 {
		return nil, fmt.Errorf("read the make targets of %s: make listed none: %s", dir, bytes.TrimSpace(errOut.Bytes()))
	}
	return targets, nil
}
