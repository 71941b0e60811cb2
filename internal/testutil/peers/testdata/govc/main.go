// Command govc is govmomi's own CLI, built from github.com/vmware/govmomi/cli at the version
// this module pins, with the commands the benchmarks measure imagegrid against (import.ova,
// find, vm.info). It lives under testdata so that only the benchmarks build it: govmomi
// v0.56.0 has no govc main package of its own to `go install`.
package main

import (
	"os"

	"github.com/vmware/govmomi/cli"
	_ "github.com/vmware/govmomi/cli/importx"
	_ "github.com/vmware/govmomi/cli/object"
	_ "github.com/vmware/govmomi/cli/vm"
)

func main() { os.Exit(cli.Run(os.Args[1:])) }
