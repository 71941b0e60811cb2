// Command govc is govmomi's own CLI, built from github.com/vmware/govmomi/cli at the version
// this module pins, with the command the import benchmark measures imagegrid against
// (import.ova). It lives under testdata so that only the benchmark builds it.
package main

import (
	"os"

	"github.com/vmware/govmomi/cli"
	_ "github.com/vmware/govmomi/cli/importx"
)

func main() { os.Exit(cli.Run(os.Args[1:])) }
