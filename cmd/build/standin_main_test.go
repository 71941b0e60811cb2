package main

import (
	"testing"

	"github.com/imagegrid/imagegrid/internal/testutil/nodeimage"
)

// TestMain builds the stand-in's node disk tool once, outside every build's timeout.
func TestMain(m *testing.M) { nodeimage.TestMain(m, "../..") }
