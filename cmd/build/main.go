// Command build runs Kubernetes Image Builder for one cell and writes a build record that
// publish can trust: every artifact checked against the cell it was built for. It exits 0
// only for a built and verified image (or a passed --validate-only).
//
//	build --cell cell.json [--executor docker|make] [--work DIR] [--out DIR] ...
//	build --cell cell.json --verify-only OVA     # verify an OVA as a build does, nothing else
//
// On GitHub Actions every flag can come from the action input of the same name (the cell
// input holds the cell JSON itself); a flag given explicitly wins.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/imagegrid/imagegrid/internal/actions"
	"github.com/imagegrid/imagegrid/internal/build"
	"github.com/imagegrid/imagegrid/internal/cli"
	"github.com/imagegrid/imagegrid/internal/record"
)

func main() {
	cli.Main("build", func(ctx context.Context) error {
		return run(ctx, os.Args[1:], os.Environ(), os.Stdin, os.Stdout, os.Stderr)
	})
}

// config is the command line (or the action inputs).
type config struct {
	cell    string
	inspect string
	verify  string
	opts    build.Options
}

func parse(args []string, gh *actions.Runner, stderr io.Writer) (config, error) {
	var c config
	o := &c.opts
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.cell, "cell", "", "the cell JSON file, as matrix --format json emits it (- for stdin; the action input holds the JSON itself)")
	fs.StringVar(&o.WorkDir, "work", "work", "work dir: one workspace per cell")
	fs.StringVar(&o.Out, "out", "", "build record path (default <work>/<cell id>/build-record.json)")
	fs.StringVar(&o.VarsRoot, "vars-root", ".", "directory the cell's var file paths are relative to (where matrix ran)")
	fs.StringVar(&o.Executor, "executor", build.ExecutorDocker, "how to run Image Builder: docker (its container) or make (a local images/capi checkout)")
	fs.StringVar(&o.ImageBuilderDir, "image-builder-dir", "", "the images/capi checkout for --executor make")
	fs.StringVar(&o.Docker, "docker", "docker", "the docker CLI")
	fs.StringVar(&o.HostWork, "host-work", "", "the host path of --work, when build itself runs in a container")
	fs.StringVar(&o.EnvFile, "env-file", "", "env file (NAME=value lines) with credentials, instead of the environment")
	fs.DurationVar(&o.Timeout, "timeout", 3*time.Hour, "time for all Image Builder attempts together")
	fs.DurationVar(&o.Grace, "grace", 30*time.Second, "time a stopped build gets between SIGTERM and SIGKILL")
	fs.IntVar(&o.Retries, "retries", 2, "retries of a transient failure")
	fs.DurationVar(&o.Backoff, "retry-backoff", time.Minute, "wait before the first retry (doubles each time)")
	fs.BoolVar(&o.ValidateOnly, "validate-only", false, "run Image Builder's validate target instead of building (no cloud needed)")
	fs.BoolVar(&o.DryRun, "dry-run", false, "print the command, environment (secrets masked) and files, and do nothing")
	fs.StringVar(&o.BundleHost, "bundle-host", "", "address the VM reaches the TKG resource bundle at (default: this host's outbound address)")
	fs.IntVar(&o.BundlePort, "bundle-port", 0, "host port of the TKG resource bundle (default: a free port)")
	fs.StringVar(&c.inspect, "inspect", "", "only inspect the node image in this OVA (or streamOptimized VMDK, qcow2 or raw disk) against the cell, no build, and print the report")
	fs.StringVar(&c.verify, "verify-only", "", "only verify this OVA against the cell as a build verifies the one Image Builder wrote (digest against OVA.sha256, members, manifest, OVF properties), no build, and print it as the build record would carry it")
	fs.StringVar(&o.TKr, "tkr", "", "the cell's TanzuKubernetesRelease file: the inspection expects its image repository and etcd/pause/coredns tags")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: build --cell FILE [flags]\n\nRuns Kubernetes Image Builder for one cell and writes its build record. As a GitHub\nAction step each flag may come from the input of the same name.\n\n")
		fs.PrintDefaults()
		fmt.Fprint(stderr, "\n"+actions.OutputsUsage(build.Outputs))
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q: build takes flags only", fs.Args())
	}
	// The cell input holds the cell's JSON itself, read by readCell, not a file for --cell.
	return c, gh.ApplyInputs(fs, "cell")
}

// readCell reads the cell from --cell (a file or - for stdin) or else the cell input (JSON).
func readCell(path string, gh *actions.Runner, stdin io.Reader) (record.Cell, error) {
	var data []byte
	var err error
	name := path
	switch path {
	case "":
		name = "input cell"
		input := gh.Input("cell")
		if input == "" {
			return record.Cell{}, errors.New("no cell: give --cell FILE (- for stdin) or the cell input")
		}
		data = []byte(input)
	case "-":
		name = "stdin"
		data, err = io.ReadAll(stdin)
	default:
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return record.Cell{}, fmt.Errorf("read cell: %w", err)
	}
	return record.Decode[record.Cell](name, data, record.KindCell)
}

func run(ctx context.Context, args, environ []string, stdin io.Reader, stdout, stderr io.Writer) error {
	gh := actions.New(stdout, build.Getenv(environ))
	gh.Declare(build.Outputs...)
	cfg, err := parse(args, gh, stderr)
	if err != nil {
		return err
	}
	cell, err := readCell(cfg.cell, gh, stdin)
	if err != nil {
		return err
	}
	if cfg.inspect != "" {
		return inspectOnly(cell, cfg.inspect, cfg.opts.TKr, stdout)
	}
	if cfg.verify != "" {
		return verifyOnly(cell, cfg.verify, stdout)
	}
	o := cfg.opts
	o.Environ, o.Console, o.Actions = environ, stdout, gh
	res, err := build.Build(ctx, cell, o)
	if o.DryRun && err == nil {
		return nil
	}
	if res.Path != "" {
		if repErr := build.Report(gh, res); repErr != nil {
			return errors.Join(err, repErr)
		}
	}
	if err != nil {
		gh.Error(actions.Annotation{Title: "build " + cell.ID, Message: err.Error()})
		return err
	}
	fmt.Fprintf(stdout, "cell %s: %s after %d attempt(s); record %s\n", cell.ID, res.Record.Status, res.Record.Attempts, res.Path)
	return nil
}

// inspectOnly runs the node image inspection of an existing OVA and prints every check; it
// fails unless the image passed.
func inspectOnly(cell record.Cell, path, tkr string, stdout io.Writer) error {
	rep, err := build.Inspect(cell, path, tkr)
	if err != nil {
		return err
	}
	build.WriteNodeImageReport(stdout, rep)
	if rep.Verdict != record.NodeImagePassed {
		return fmt.Errorf("%s: node image %s: %s", path, rep.Verdict, rep.Reason)
	}
	return nil
}

// verifyOnly verifies an existing OVA as a build does and prints its artifact as the build
// record's JSON holds it.
func verifyOnly(cell record.Cell, path string, stdout io.Writer) error {
	art, err := build.VerifyOVA(cell, path)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(art)
}
