package nodeimage

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// ToolEnv is the variable naming a prebuilt mknodedisk for the Image Builder stand-in.
const ToolEnv = "STANDIN_MKNODEDISK"

// BuildTool builds mknodedisk (this package's command, which the stand-in runs for every
// OVA) into a new temporary directory and sets ToolEnv to it for this process and its
// children, so that stand-in builds do not each compile it within their timeout. The
// returned function removes it. Run it from a TestMain; root is the repository's root.
func BuildTool(root string) (func(), error) {
	dir, err := os.MkdirTemp("", "mknodedisk-*")
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(dir, "mknodedisk")
	cmd := exec.Command("go", "build", "-o", bin, "./internal/testutil/nodeimage/mknodedisk")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("build mknodedisk for the Image Builder stand-in (needs go): %w: %s", err, out)
	}
	if err := os.Setenv(ToolEnv, bin); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return func() { os.RemoveAll(dir) }, nil
}

// TestMain is a TestMain for the packages whose tests run the stand-in: it builds the tool
// (BuildTool) before the tests and removes it after; a failed build fails the run.
func TestMain(m *testing.M, root string) {
	cleanup, err := BuildTool(root)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	cleanup()
	os.Exit(code)
}
