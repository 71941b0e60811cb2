package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/imagegrid/imagegrid/internal/actions"
	"github.com/imagegrid/imagegrid/internal/aws"
	"github.com/imagegrid/imagegrid/internal/azure"
	"github.com/imagegrid/imagegrid/internal/propose"
	"github.com/imagegrid/imagegrid/internal/publish"
	"github.com/imagegrid/imagegrid/internal/publishconfig"
	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/vsphere"
)

// options are the command's flags, after GitHub Actions inputs filled those not given.
type options struct {
	records, out, config string
	// configSet says --config (or its input) was given, rather than left at its default.
	configSet     bool
	dryRun        bool
	library       string
	createLibrary bool
	// check only checks the catalog's invariants (pull request validation).
	check   bool
	catalog *propose.Options
}

func parse(args []string, stderr io.Writer, gh *actions.Runner) (options, error) {
	var o options
	fs := flag.NewFlagSet("publish", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.records, "records", "", "directory of the run's build records (searched recursively)")
	fs.StringVar(&o.out, "out", "publish-records", "directory the publish records are written to")
	fs.StringVar(&o.config, "config", "publish.yaml", "publish configuration file (see docs/publish.md)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "print what would be published and touch nothing")
	fs.StringVar(&o.library, "content-library", "", "also upload each OVA to this vSphere content library (overrides the config's)")
	fs.BoolVar(&o.createLibrary, "create-library", false, "create the content library when it does not exist")
	fs.BoolVar(&o.check, "check", false, "only check the catalog's invariants (pull request validation); needs --catalog-dir")
	o.catalog = propose.RegisterFlags(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: publish --records DIR [flags]\n\nPublishes the images of a run's build records and points the TKr catalog at them. As a\nGitHub Action step each flag may come from the input of the same name.\n\n")
		fs.PrintDefaults()
		fmt.Fprint(stderr, "\n"+actions.OutputsUsage(outputs))
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q; every setting is a flag", fs.Args())
	}
	if err := gh.ApplyInputs(fs); err != nil {
		return o, err
	}
	fs.Visit(func(f *flag.Flag) { o.configSet = o.configSet || f.Name == "config" })
	if o.records == "" && !o.check {
		return o, errors.New("--records is required: the directory holding the run's build records")
	}
	return o, nil
}

// outputs are publish's step outputs: report's, then the catalog step's.
var outputs = []string{"records", "published", "reused", "failed", "skipped", "catalog-branch", "catalog-commit", "pull-request"}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	gh := actions.New(stdout, nil)
	gh.Declare(outputs...)
	o, err := parse(args, stderr, gh)
	if err != nil {
		return err
	}
	if o.check {
		return checkCatalog(o, stdout)
	}
	jobs, err := publish.FindRecords(o.records)
	if err != nil {
		return err
	}
	if len(jobs) == 0 {
		return fmt.Errorf("no build records (JSON files of kind %s) under %s", record.KindBuildRecord, o.records)
	}
	cfg, err := publishconfig.Load(o.config)
	if err != nil {
		return err
	}
	o.catalog.Selectors = cfg.Selectors()
	if err := applyLibraryFlags(cfg, o); err != nil {
		return err
	}
	publishers, err := publishersFor(ctx, cfg, o.dryRun, needed(jobs), stdout, gh)
	if err != nil {
		return err
	}
	defer func() {
		for _, p := range publishers {
			if cerr := p.Close(); cerr != nil {
				fmt.Fprintln(stderr, "publish:", cerr)
			}
		}
	}()

	recorder := publish.Recorder{Dir: o.out}
	write := func(pr record.PublishRecord) error {
		if o.dryRun {
			return nil // a dry run writes nothing
		}
		_, err := recorder.Write(pr)
		return err
	}
	runner := &publish.Runner{
		Publishers: publishers,
		Parallel:   parallel(cfg, len(jobs)),
		Log:        stdout,
		Record:     write,
	}
	if gh.InActions() {
		runner.Group = gh.Group // one log group per record; locally the lines stream as they come
	}
	records, err := runner.Run(ctx, jobs)
	if err != nil {
		return err
	}
	catalogErr := propose.Step{Options: o.catalog, DryRun: o.dryRun, Actions: gh, Record: write, Log: stdout}.Run(ctx, records)
	if err := report(gh, o, records); err != nil {
		return errors.Join(err, catalogErr)
	}
	if n := publish.Counts(records)[record.PublishFailed]; n > 0 {
		return errors.Join(fmt.Errorf("%d of %d build records failed to publish (see the publish records in %s)", n, len(records), o.out), catalogErr)
	}
	return catalogErr
}

// checkCatalog is --check: the catalog's invariants, with the publish config's selectors.
func checkCatalog(o options, stdout io.Writer) error {
	if err := checkSelectors(o); err != nil {
		return err
	}
	if err := propose.Check(o.catalog); err != nil {
		return fmt.Errorf("catalog check: %w", err)
	}
	fmt.Fprintln(stdout, "catalog: every invariant holds")
	return nil
}

// checkSelectors reads the OSImage selectors for --check from the publish config. The
// config is optional there (a catalog repository may have none): a missing file at the
// default path means tanzu-framework's selectors; one named by --config must exist.
func checkSelectors(o options) error {
	if _, err := os.Stat(o.config); !o.configSet && errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	cfg, err := publishconfig.Load(o.config)
	if err != nil {
		return err
	}
	o.catalog.Selectors = cfg.Selectors()
	return nil
}

// applyLibraryFlags lets --content-library and --create-library override the config file.
func applyLibraryFlags(cfg *publishconfig.Config, o options) error {
	if o.library == "" && !o.createLibrary {
		return nil
	}
	if cfg.VSphere == nil {
		return fmt.Errorf("--content-library and --create-library need a vsphere target in %s", o.config)
	}
	lib := cfg.VSphere.ContentLibrary
	if lib == nil {
		lib = &publishconfig.ContentLibrary{}
		cfg.VSphere.ContentLibrary = lib
	}
	if o.library != "" {
		lib.Name = o.library
	}
	if lib.Name == "" {
		return fmt.Errorf("--create-library needs a library name: --content-library NAME or vsphere.contentLibrary.name in %s", o.config)
	}
	lib.Create = lib.Create || o.createLibrary
	return nil
}

// parallel is how many records of each infrastructure are published at once: vsphere.parallel
// into the one vCenter; every AWS record at once, since they share the account's
// aws.parallel region slots (and mostly wait for copies); azure.parallel versions, each
// replicating to all its regions at once in Azure.
func parallel(cfg *publishconfig.Config, records int) map[string]int {
	n := map[string]int{record.InfraAWS: records}
	if cfg.VSphere != nil {
		n[record.InfraVSphere] = cfg.VSphere.Parallel
	}
	if cfg.Azure != nil {
		n[record.InfraAzure] = cfg.Azure.Parallel
	}
	return n
}

// needed lists the infrastructures of the records that will be published.
func needed(jobs []publish.Job) map[string]bool {
	infras := map[string]bool{}
	for _, j := range jobs {
		if j.Record.Status == record.BuildSucceeded && !j.Record.ValidateOnly {
			infras[j.Record.Cell.Infra] = true
		}
	}
	return infras
}

// publishersFor makes a publisher for each configured infrastructure some record needs;
// credentials are read (and masked) only for those.
func publishersFor(ctx context.Context, cfg *publishconfig.Config, dryRun bool, infras map[string]bool, log io.Writer, gh *actions.Runner) (map[string]publish.Interface, error) {
	out := map[string]publish.Interface{}
	if cfg.VSphere != nil && infras[record.InfraVSphere] {
		if dryRun {
			out[record.InfraVSphere] = publish.DryRun{Log: log, Steps: func(rec record.BuildRecord) ([]string, error) { return vsphere.DryRunSteps(cfg.VSphere, rec) }}
		} else {
			creds, err := vsphere.CredentialsFromEnv(os.Getenv)
			if err != nil {
				return nil, err
			}
			gh.Mask(creds.Password)
			out[record.InfraVSphere] = vsphere.New(cfg.VSphere, creds, vsphere.Options{Log: log})
		}
	}
	if cfg.AWS != nil && infras[record.InfraAWS] {
		if dryRun {
			out[record.InfraAWS] = publish.DryRun{Log: log, Steps: func(rec record.BuildRecord) ([]string, error) { return aws.DryRunSteps(cfg.AWS, rec) }}
		} else {
			for _, name := range []string{"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID"} {
				gh.Mask(os.Getenv(name))
			}
			base, err := awsconfig.LoadDefaultConfig(ctx)
			if err != nil {
				return nil, fmt.Errorf("aws credentials: %w", err)
			}
			out[record.InfraAWS] = aws.New(cfg.AWS, base, aws.Options{Log: log})
		}
	}
	if cfg.Azure != nil && infras[record.InfraAzure] {
		if dryRun {
			out[record.InfraAzure] = publish.DryRun{Log: log, Steps: azure.DryRunSteps}
		} else {
			client, credOpts := azure.Cloud(cfg.Azure)
			cred, method, err := azure.Credential(os.Getenv, gh.Mask, credOpts)
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(log, "azure: signing in with %s\n", method)
			out[record.InfraAzure] = azure.New(cfg.Azure, cred, azure.Options{Log: log, Client: client})
		}
	}
	return out, nil
}

// report sets the step outputs and appends the summary table to the job summary.
func report(gh *actions.Runner, o options, records []record.PublishRecord) error {
	counts := publish.Counts(records)
	outputs := [][2]string{
		{"records", o.out},
		{"published", strconv.Itoa(counts[record.PublishSucceeded])},
		{"reused", strconv.Itoa(counts[record.PublishReused])},
		{"failed", strconv.Itoa(counts[record.PublishFailed])},
		{"skipped", strconv.Itoa(counts[record.PublishSkipped])},
	}
	for _, kv := range outputs {
		if err := gh.SetOutput(kv[0], kv[1]); err != nil {
			return err
		}
	}
	return gh.AddSummary(publish.Summary(records))
}
