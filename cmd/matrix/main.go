// Command matrix expands the declared image grid into the cells to build, for people (a
// table), tools (JSON) and GitHub Actions (sharded strategy.matrix outputs and a job summary).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/imagegrid/imagegrid/internal/actions"
	"github.com/imagegrid/imagegrid/internal/cli"
	"github.com/imagegrid/imagegrid/internal/emit"
	"github.com/imagegrid/imagegrid/internal/grid"
	"github.com/imagegrid/imagegrid/internal/selection"
)

func main() {
	cli.Main("matrix", func(ctx context.Context) error { return run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv) })
}

// defaultMaxShards is the default of --max-shards: images.yml has one build job per shard.
const defaultMaxShards = 4

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	gh := actions.New(stdout, getenv)
	fs := flag.NewFlagSet("matrix", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var only actions.StringList
	matrices := fs.String("matrices", "matrices", "grid declaration: a file, or a folder of *.yaml files")
	format := fs.String("format", "", "output: table (default on a terminal and in Actions) or json (a JSON array of cells, the default when piped)")
	fs.Var(&only, "only", "keep only cells matching key=value[,key=value…] (keys: id, infra, os, arch, kubernetes, tkr); repeatable, any may match")
	changedFiles := fs.String("changed-files", "", "file listing changed paths, one per line (git diff --name-only): keep only cells whose inputs changed")
	baseMatrices := fs.String("base-matrices", "", "the grid of the pull request's base (a checkout of it): keep only cells that are new or changed since")
	published := fs.String("published", "", "ledger of published images (images.json, or a folder holding it): skip cells already published")
	rebuildAfter := fs.String("rebuild-after", "", "with --published: rebuild cells whose image is older than this (30d, 2w, 36h)")
	maxCells := fs.Int("max-cells", emit.GitHubJobLimit, "most cells in one GitHub matrix shard")
	maxShards := fs.Int("max-shards", defaultMaxShards, "most shards (one build job each in the workflow), of each family of shards; more is an error")
	byNeeds := fs.Bool("split-by-needs", false, "GitHub outputs: shard each cell with the cells needing what its infrastructure needs, vsphere-matrix-N (vCenter credentials) or oidc-matrix-N (an OIDC token), for build jobs granted only that; matrix-N stay empty")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: matrix [flags]\n\nExpands the image grid into the cells to build. As a GitHub Action step each flag\nmay come from the input of the same name.\n\n")
		fs.PrintDefaults()
		fmt.Fprint(stderr, "\n"+actions.OutputsUsage(emit.OutputNames(defaultMaxShards)))
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: the grid is given with --matrices", fs.Arg(0))
	}
	if err := gh.ApplyInputs(fs); err != nil {
		return err
	}
	gh.Declare(emit.OutputNames(*maxShards)...)
	out, err := writer(*format, gh, stdout, stderr)
	if err != nil {
		return err
	}

	cells, err := grid.Open(*matrices)
	if err != nil {
		annotate(gh, err)
		return err
	}
	selectors, err := selectors(only, *changedFiles, *baseMatrices, *published, *rebuildAfter)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if !gh.HasOutputs() {
		// On a laptop the cells stream: each is made, selected and written in turn.
		if _, err := emit.Shard(nil, *maxCells, *maxShards); err != nil {
			return err // same flag checks on a laptop as in Actions
		}
		return stream(cells, selectors, out)
	}
	// In Actions the outputs need every cell to build before the first is written, and
	// GitHub's limits on outputs keep that selection small.
	p := selection.Select(slices.Collect(cells.All()), selectors...)
	outs, err := emit.GitHubOutputs(p, *maxCells, *maxShards, *byNeeds)
	if err != nil {
		return err
	}
	for _, o := range outs {
		if err := gh.SetOutput(o.Name, o.Value); err != nil {
			return err
		}
	}
	if err := gh.AddSummary(emit.Summary(p)); err != nil {
		return err
	}
	return emit.Write(out, p)
}

// writer is the writer of --format: table or json, or when it is not given, a table on a
// terminal and in Actions and JSON otherwise.
func writer(format string, gh *actions.Runner, stdout, stderr io.Writer) (emit.Writer, error) {
	if format == "" {
		format = "json"
		if isTerminal(stdout) || gh.InActions() {
			format = "table"
		}
	}
	switch format {
	case "table":
		return emit.NewTable(stdout), nil
	case "json":
		return emit.NewJSON(stdout, stderr), nil
	}
	return nil, fmt.Errorf("--format %q: want table or json", format)
}

// stream makes and selects the cells in one goroutine while out writes them in another, in
// the same order: making a cell and encoding one cost about the same, and a machine with
// two cores does both at once. A few hundred cells are in between at most.
func stream(cells *grid.Cells, selectors []selection.Selector, out emit.Writer) error {
	type decision struct {
		d     selection.Decision
		build bool
	}
	ch := make(chan decision, 256)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		defer close(ch)
		for c := range cells.All() {
			d, build := selection.Decide(c, selectors...)
			select {
			case ch <- decision{d, build}:
			case <-stop:
				return
			}
		}
	}()
	for d := range ch {
		if err := out.Add(d.d, d.build); err != nil {
			return err
		}
	}
	return out.Close()
}

func selectors(only []string, changedFiles, baseMatrices, published, rebuildAfter string) ([]selection.Selector, error) {
	onlySel, err := selection.Only(only)
	if err != nil {
		return nil, err
	}
	sels := []selection.Selector{onlySel}
	if changedFiles != "" {
		paths, err := selection.ReadChangedFiles(changedFiles)
		if err != nil {
			return nil, err
		}
		sels = append(sels, selection.Changed(paths))
	}
	if baseMatrices != "" {
		base, err := grid.Load(baseMatrices)
		if err != nil {
			return nil, fmt.Errorf("--base-matrices: %w", err)
		}
		sels = append(sels, selection.ChangedSince(base))
	}
	if rebuildAfter != "" && published == "" {
		return nil, errors.New("--rebuild-after needs --published: it rebuilds published images older than the age")
	}
	if published != "" {
		ledger, err := selection.ReadLedger(published)
		if err != nil {
			return nil, err
		}
		var age time.Duration
		if rebuildAfter != "" {
			if age, err = selection.ParseAge(rebuildAfter); err != nil {
				return nil, fmt.Errorf("--rebuild-after: %w", err)
			}
		}
		sels = append(sels, selection.Published(ledger, age, time.Now()))
	}
	return sels, nil
}

// annotate puts each declaration error on its file and line in the Actions UI.
func annotate(gh *actions.Runner, err error) {
	var errs *grid.Errors
	if !gh.InActions() || !errors.As(err, &errs) {
		return
	}
	for _, e := range errs.List {
		gh.Error(actions.Annotation{File: e.Pos.File, Line: e.Pos.Line, Column: e.Pos.Col, Title: "imagegrid: " + e.Key, Message: e.Msg})
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
