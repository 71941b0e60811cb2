// Command pipeline runs the whole imagegrid pipeline on this machine: matrix over matrices/,
// build with the Image Builder stand-in (real packer and qemu-img) for one vSphere, one AWS and
// one Azure cell, publish to an in-process vCenter simulator, a moto_server and a fake Azure
// Compute Gallery (armcompute's fake servers over HTTPS), and the catalog change
// committed in a local git copy of examples/catalog; then matrix again with that catalog's
// ledger, which must leave nothing to build. It ends with a table of what it made.
//
// Run it from the root of the checkout: go run ./cmd/pipeline
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/imagegrid/imagegrid/internal/actions"
	"github.com/imagegrid/imagegrid/internal/cli"
	"github.com/imagegrid/imagegrid/internal/localpipeline"
)

func main() {
	cli.Main("pipeline", func(ctx context.Context) error { return run(ctx, os.Args[1:]) })
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("pipeline", flag.ContinueOnError)
	root := fs.String("root", ".", "the imagegrid checkout (matrices/, examples/catalog, testdata/imagebuilder)")
	work := fs.String("work", "out/pipeline", "folder for everything the run makes; emptied first")
	var only actions.StringList
	fs.Var(&only, "only", "matrix --only filter choosing the cells (repeatable; default: one vSphere, one AWS and one Azure cell)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return localpipeline.Run(ctx, localpipeline.Options{Root: *root, Work: *work, Only: only, Out: os.Stdout})
}
