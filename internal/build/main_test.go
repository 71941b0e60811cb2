package build

import (
	"fmt"
	"os"
	"testing"

	"github.com/imagegrid/imagegrid/internal/testutil/nodeimage"
)

// TestMain builds the stand-in's node disk tool once, outside every build's timeout.
func TestMain(m *testing.M) {
	cleanup, err := nodeimage.BuildTool("../..")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	cleanup()
	os.Exit(code)
}
