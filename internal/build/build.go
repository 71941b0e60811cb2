// Package build runs Kubernetes Image Builder for one cell and records what it made: a
// private workspace per cell, the docker or make executor, a live and kept log with phase
// progress, retries of transient failures, a timeout that ends the whole process tree, the
// TKG resource bundle around the run, and a build record whose artifacts were verified
// against the cell.
package build

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/imagegrid/imagegrid/internal/actions"
	"github.com/imagegrid/imagegrid/internal/ghoidc"
	"github.com/imagegrid/imagegrid/internal/imagebuilder"
	"github.com/imagegrid/imagegrid/internal/record"
)

// Options configure one build.
type Options struct {
	// WorkDir holds one workspace per cell; Out is the folder that receives the build record
	// (RecordName), a copy of the log and the verified OVA (default: the cell's workspace,
	// <WorkDir>/<cell id>, where the OVA stays in output/).
	WorkDir string
	Out     string
	// VarsRoot is the directory the cell's var file paths are relative to.
	VarsRoot string
	// Executor is ExecutorDocker or ExecutorMake. ImageBuilderDir is the images/capi checkout
	// for make; Docker the docker CLI; HostWork the host path of WorkDir when build runs in a
	// container.
	Executor        string
	ImageBuilderDir string
	Docker          string
	HostWork        string
	// Environ is build's environment (NAME=value); EnvFile an optional env file of credentials.
	Environ []string
	EnvFile string
	// Timeout bounds all Image Builder attempts together (default 3h); Grace is how long a
	// stopped process tree gets between SIGTERM and SIGKILL (default 30s).
	Timeout time.Duration
	Grace   time.Duration
	// Retries is how many times a transient failure is retried, after Backoff, doubling.
	Retries int
	Backoff time.Duration
	// ValidateOnly runs the cell's validate target; DryRun only prints what would be done.
	ValidateOnly bool
	DryRun       bool
	// TKr is the cell's TanzuKubernetesRelease file (a TKr package's
	// config/TanzuKubernetesRelease.yml): the node image inspection then expects its image
	// repository and exact etcd, pause and coredns tags. Optional.
	TKr string
	// BundleHost and BundlePort are where the TKG resource bundle is reachable (defaults:
	// this host's outbound address and a free port).
	BundleHost string
	BundlePort int
	// Console gets the live log and progress; Actions speaks to the Actions runner.
	Console io.Writer
	Actions *actions.Runner
	// Exec runs commands (default ProcessExec(Grace)); InContainer says whether build runs in
	// a container (default: look for /.dockerenv or /run/.containerenv); MountInfo is the mount
	// table HostWork is derived from when it is empty there (default DefaultMountInfo).
	Exec        Exec
	InContainer func() bool
	MountInfo   string
}

// Result is a finished build: its record and where it was written.
type Result struct {
	Record record.BuildRecord
	Path   string
}

// recipe is everything a build will do, worked out before anything starts (the selection of
// cells in internal/selection and a publisher's dry-run steps are other things).
type recipe struct {
	cell   record.Cell
	ws     *workspace
	out    string // the output folder
	target string
	files  []file
	ibEnv  []string
	exec   executor
	creds  credentials
	bundle *bundle
	// folders are copied into the workspace before Image Builder runs: the TKG
	// configuration, then the grid's roles; checkout is the make executor's private copy of
	// the images/capi checkout, for a cell whose answer file goes inside it.
	folders  []folderCopy
	checkout []folderCopy
	// answerFile is the Windows cell's autounattend.xml, digest checked.
	answerFile []byte
	// vars are the effective packer variables imagegrid hands over, and where each was set.
	vars map[string]imagebuilder.Setting
	// masked are the variables whose values --dry-run does not show: credentials.
	masked map[string]bool
	// gossSpec names the goss entry file goss validates with, for the node image report.
	gossSpec string
	// validateOnly runs packer validate, which takes no -force.
	validateOnly bool
	// federatedToken is where the job's GitHub OIDC token is written when the build starts
	// ("" when the credentials need none).
	federatedToken string
}

// Build runs Image Builder for cell c and writes its build record. Bad input (unsupported
// target, changed var file, missing credentials) is an error before anything starts. Once
// Image Builder ran, a record is written whatever happened; the error is nil only for a
// built and verified image (or a passed validation).
func Build(ctx context.Context, c record.Cell, o Options) (Result, error) {
	o = withDefaults(o)
	p, err := prepare(c, o)
	if err != nil {
		return Result{}, err
	}
	if o.DryRun {
		p.print(o.Console, o.ValidateOnly)
		return Result{}, nil
	}
	return run(ctx, p, o)
}

func withDefaults(o Options) Options {
	if o.Docker == "" {
		o.Docker = "docker"
	}
	if o.Grace == 0 {
		o.Grace = 30 * time.Second
	}
	if o.Timeout == 0 {
		o.Timeout = 3 * time.Hour
	}
	if o.Exec == nil {
		o.Exec = ProcessExec(o.Grace)
	}
	if o.InContainer == nil {
		o.InContainer = runningInContainer
	}
	if o.Console == nil {
		o.Console = io.Discard
	}
	if o.Actions == nil {
		o.Actions = actions.New(o.Console, func(string) string { return "" })
	}
	if o.VarsRoot == "" {
		o.VarsRoot = "."
	}
	if o.MountInfo == "" {
		o.MountInfo = DefaultMountInfo
	}
	return o
}

// Getenv returns a lookup of names in environ (NAME=value), the last setting winning as in
// os/exec.
func Getenv(environ []string) func(string) string {
	return func(name string) string {
		value := ""
		for _, kv := range environ {
			if k, v, ok := strings.Cut(kv, "="); ok && k == name {
				value = v
			}
		}
		return value
	}
}

// prepare checks cell c and works out its recipe: nothing runs yet.
func prepare(c record.Cell, o Options) (*recipe, error) {
	target, tkg, err := checkCell(c, o)
	if err != nil {
		return nil, err
	}
	ws, err := newWorkspace(o.WorkDir, c)
	if err != nil {
		return nil, err
	}
	out, err := outDir(o.Out, ws.dir)
	if err != nil {
		return nil, err
	}
	p := &recipe{cell: c, ws: ws, target: target, out: out, validateOnly: o.ValidateOnly}
	userFiles, err := p.readInputs(o)
	if err != nil {
		return nil, err
	}
	if err := p.setUp(o, userFiles, tkg); err != nil {
		return nil, err
	}
	if err := p.layOutVarFiles(userFiles, tkg); err != nil {
		return nil, err
	}
	return p, nil
}

// checkCell checks what cell c asks for before anything is written: its make target, its build
// key and, for a TKG cell (tkg), what TKG needs.
func checkCell(c record.Cell, o Options) (target string, tkg bool, err error) {
	if target, err = cellTarget(c, o); err != nil {
		return "", false, err
	}
	if err := c.CheckKey(); err != nil {
		return "", false, err
	}
	tkg = imagebuilder.IsTKG(c)
	if tkg {
		if err := imagebuilder.CheckTKG(c); err != nil {
			return "", false, err
		}
	}
	return target, tkg, nil
}

// readInputs reads and checks what the cell names in the user's repository: its vars, var
// files and folders, and a Windows vSphere cell's windows settings and answer file.
func (p *recipe) readInputs(o Options) ([]userVarFile, error) {
	c := p.cell
	if imagebuilder.IsWindows(c) && c.Infra == record.InfraVSphere {
		if err := imagebuilder.CheckWindows(c); err != nil {
			return nil, err
		}
		var err error
		if p.answerFile, err = readAnswerFile(c, o.VarsRoot); err != nil {
			return nil, err
		}
	}
	if err := imagebuilder.CheckVars(c, c.Vars, "vars", nil); err != nil {
		return nil, fmt.Errorf("cell %s: %w", c.ID, err)
	}
	userFiles, err := readVarFiles(c, o.VarsRoot)
	if err != nil {
		return nil, err
	}
	if err := checkVars(c, userFiles); err != nil {
		return nil, err
	}
	if p.folders, err = readFolders(c, o.VarsRoot, p.ws); err != nil {
		return nil, err
	}
	return userFiles, nil
}

// setUp resolves the credentials (none for a validation; the answer file's secrets always),
// the executor and, for a TKG build, the resource bundle.
func (p *recipe) setUp(o Options, userFiles []userVarFile, tkg bool) error {
	c := p.cell
	env, err := readEnvFile(o.EnvFile)
	if err != nil {
		return err
	}
	p.creds = credentials{file: env}
	if !o.ValidateOnly {
		if p.creds, err = resolveCredentials(c, Getenv(o.Environ), env, mergeVars(userFiles)); err != nil {
			return err
		}
	}
	for _, s := range answerFileSecrets(p.answerFile) {
		p.creds.addSecret(s)
	}
	if p.exec, p.checkout, err = newExecutor(c, p.ws, o, p.capiFiles()); err != nil {
		return err
	}
	if tkg && !o.ValidateOnly {
		if p.bundle, err = newBundle(c, o); err != nil {
			return err
		}
	}
	return nil
}

// cellTarget is the make target to run: with the make executor the checkout's Makefile
// decides whether it has it; with the docker executor, the cell's Image Builder release.
func cellTarget(c record.Cell, o Options) (string, error) {
	if o.Executor == ExecutorMake {
		return imagebuilder.CheckoutTarget(c, o.ValidateOnly)
	}
	return imagebuilder.Target(c, o.ValidateOnly)
}

// capiFiles are the files of the cell that Image Builder reads at a fixed path of
// images/capi: a Windows cell's answer file.
func (p *recipe) capiFiles() []string {
	if p.answerFile == nil {
		return nil
	}
	return []string{imagebuilder.AnswerFilePath(p.cell)}
}

// newExecutor returns the cell's executor and, for the make executor when capiFiles go
// into the checkout, the private copy of the checkout it runs in: upstream reads them at a
// fixed path of images/capi and rewrites them there, so the user's checkout is never
// written and two cells never share one.
func newExecutor(c record.Cell, ws *workspace, o Options, capiFiles []string) (executor, []folderCopy, error) {
	switch o.Executor {
	case ExecutorMake:
		if o.ImageBuilderDir == "" {
			return nil, nil, errors.New("the make executor needs --image-builder-dir, an images/capi checkout")
		}
		dir, err := filepath.Abs(o.ImageBuilderDir)
		if err != nil {
			return nil, nil, fmt.Errorf("image builder dir: %w", err)
		}
		if _, err := os.Stat(filepath.Join(dir, "Makefile")); err != nil {
			return nil, nil, fmt.Errorf("image builder dir %s: want an images/capi checkout with a Makefile: %w", dir, err)
		}
		if len(capiFiles) == 0 {
			return makeExecutor{dir: dir, environ: o.Environ}, nil, nil
		}
		copied := folderCopy{src: dir, dst: ws.imageBuilder(), cell: "the images/capi checkout " + dir}
		return makeExecutor{dir: copied.dst, environ: o.Environ}, []folderCopy{copied}, nil
	case ExecutorDocker, "":
		if c.ImageBuilder.Image == "" {
			return nil, nil, fmt.Errorf("cell %s: imageBuilder.image is empty; the docker executor needs the Image Builder image", c.ID)
		}
		hostWork := o.HostWork
		if hostWork == "" && o.InContainer() {
			derived, m, err := hostWorkFromMounts(o.MountInfo, o.WorkDir)
			if err != nil {
				return nil, nil, fmt.Errorf("build runs inside a container and cannot tell the host path of --work: %w; set --host-work (the action's host-work input) to it", err)
			}
			fmt.Fprintf(o.Console, "cell %s: build runs in a container: host path of the work dir %s is %s, from the mount table (%s mounted at %s); set --host-work if it is not\n", c.ID, o.WorkDir, derived, m.root, m.point)
			hostWork = derived
		}
		host, err := hostPath(o.WorkDir, hostWork, ws.dir)
		if err != nil {
			return nil, nil, err
		}
		return dockerExecutor{
			docker: o.Docker, image: c.ImageBuilder.Image, container: "imagegrid-" + c.ID,
			workspace: ws.dir, hostWorkspace: host, netHost: c.Infra == record.InfraVSphere, environ: o.Environ,
			capiFiles: capiFiles,
		}, nil, nil
	}
	return nil, nil, fmt.Errorf("executor %q: want %s or %s", o.Executor, ExecutorDocker, ExecutorMake)
}

func newBundle(c record.Cell, o Options) (*bundle, error) {
	b := &bundle{docker: o.Docker, image: c.Kubernetes.ResourceBundle, name: "imagegrid-bundle-" + c.ID, host: o.BundleHost, port: o.BundlePort, environ: o.Environ}
	var err error
	if b.port == 0 {
		if b.port, err = freePort(); err != nil {
			return nil, err
		}
	}
	if b.host == "" {
		if b.host, err = outboundIP(); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// layOutVarFiles lays out the var files in PACKER_VAR_FILES order: imagegrid's (Kubernetes and
// private locations, vSphere credentials, the TKG configuration's tkg.json or windows.json,
// a Windows cell's ISO paths), then the cell's var files, then the cell's extra vars, so that
// users override imagegrid; last the roles and goss spec, which only imagegrid sets. It
// refuses a TKG cell whose variables would not install Kubernetes.
func (p *recipe) layOutVarFiles(userFiles []userVarFile, tkg bool) error {
	c, ws, see := p.cell, p.ws, p.exec.see
	p.vars, p.masked = map[string]imagebuilder.Setting{}, map[string]bool{}
	l := &varFiles{recipe: p}
	loc := imagebuilder.Locations{OutputDir: see(ws.output()), ManifestOutput: see(ws.manifestOutput()), CacheDir: see(ws.cache())}
	env := imagebuilder.Env{CacheDir: loc.CacheDir, Force: c.Infra == record.InfraVSphere && !p.validateOnly, Placement: imagebuilder.AzureEnv(c)}
	if env.Force {
		// The PACKER_FLAGS make would inherit from build's environment stay.
		env.PackerFlags = p.exec.packerFlags()
	}
	if err := l.addImagegrid(loc); err != nil {
		return err
	}
	if tkg {
		if err := l.addTKG(&env); err != nil {
			return err
		}
	}
	if err := l.addWindows(); err != nil {
		return err
	}
	if err := l.addUsers(userFiles); err != nil {
		return err
	}
	if tkg {
		check := imagebuilder.CheckInstallsKubernetes
		if imagebuilder.IsWindows(c) {
			check = imagebuilder.CheckWindowsInstallsKubernetes
		}
		if err := check(c, p.vars, p.bundleURL()); err != nil {
			return err
		}
	}
	env.VarFiles = l.paths
	p.ibEnv = env.List()
	if p.creds.federated != "" {
		p.federatedToken = filepath.Join(ws.vars(), "azure-federated-token")
		p.ibEnv = append(p.ibEnv, p.creds.federated+"="+see(p.federatedToken))
	}
	return nil
}

// printCredentials lists the credentials Image Builder gets, by name, never by value, and
// what the build signs in with.
func (p *recipe) printCredentials(w io.Writer) {
	for _, name := range p.creds.fromEnv {
		fmt.Fprintf(w, "  %s=*** (from the environment)\n", name)
	}
	if p.federatedToken != "" {
		fmt.Fprintf(w, "  (%s holds the job's GitHub OIDC token for %s, fetched when the build starts)\n", p.federatedToken, ghoidc.AzureAudience)
	}
	if p.creds.signIn != "" {
		fmt.Fprintf(w, "  (%s signs in with %s)\n", p.cell.Infra, p.creds.signIn)
	}
	if p.creds.file.path != "" {
		for _, name := range slices.Sorted(maps.Keys(p.creds.file.values)) {
			fmt.Fprintf(w, "  %s=*** (from %s)\n", name, p.creds.file.path)
		}
	}
}

// bundleURL is where the TKG resource bundle is served, "" when no bundle runs.
func (p *recipe) bundleURL() string {
	if p.bundle == nil {
		return ""
	}
	return p.bundle.url()
}

// varFiles adds a recipe's var files, keeping the paths Image Builder sees in order.
type varFiles struct {
	*recipe
	paths []string
}

// add writes v as the var file name, from naming where its variables come from ("" for the
// file itself).
func (l *varFiles) add(name string, v any, secret bool, from string) error {
	f, err := jsonFile(filepath.Join(l.ws.vars(), name), v, secret)
	if err != nil {
		return err
	}
	l.files = append(l.files, f)
	l.paths = append(l.paths, l.exec.see(f.path))
	return l.note(f.data, cmp.Or(from, f.path), secret)
}

// addImagegrid adds the files imagegrid sets first: Kubernetes and the private locations,
// the placement, packer's az CLI sign-in after a federated login, the vSphere credentials.
func (l *varFiles) addImagegrid(loc imagebuilder.Locations) error {
	if err := l.add("imagegrid.json", imagebuilder.Vars(l.cell, loc), false, ""); err != nil {
		return err
	}
	if placement := imagebuilder.PlacementVars(l.cell); len(placement) > 0 {
		if err := l.add("placement.json", placement, false, ""); err != nil {
			return err
		}
	}
	if l.creds.tokenSignIn {
		if err := l.add("azure-cli-auth.json", imagebuilder.AzureCLIAuthVars(), false, ""); err != nil {
			return err
		}
	}
	if l.creds.vsphere != nil {
		return l.add("vsphere-credentials.json", l.creds.vsphere, true, "")
	}
	return nil
}

// addTKG adds the TKG configuration's tkg.json (a Windows cell's: windows.json, for its
// windows-resource-bundle), pointed at the resource bundle, and writes the OVF custom
// properties (TKG's metadata) that env hands to Image Builder, which exports with ovftool.
func (l *varFiles) addTKG(env *imagebuilder.Env) error {
	c := l.cell
	windows := imagebuilder.IsWindows(c)
	if c.TKGConfig != nil {
		url := cmp.Or(l.bundleURL(), "http://127.0.0.1:3000") // validate-only: nothing is fetched
		varsName := imagebuilder.TKGConfigVars
		if windows {
			varsName = imagebuilder.TKGConfigWindowsVars
		}
		name := path.Join(c.TKGConfig.Path, varsName)
		data, err := os.ReadFile(filepath.Join(l.folders[0].src, varsName))
		if err != nil {
			return fmt.Errorf("cell %s: TKG configuration %s: %w", c.ID, c.TKGConfig.Path, err)
		}
		vars, err := imagebuilder.BundleVars(name, data, url)
		if err != nil {
			return fmt.Errorf("cell %s: %w", c.ID, err)
		}
		if err := l.add(varsName, vars, false, name); err != nil {
			return err
		}
	}
	meta, err := jsonFile(filepath.Join(l.ws.vars(), "metadata.json"), imagebuilder.Metadata(c), false)
	if err != nil {
		return err
	}
	l.files = append(l.files, meta)
	env.OVFCustomProperties, env.OVFTool = l.exec.see(meta.path), true
	if windows {
		env.OVFToolArgs = imagebuilder.WindowsOVFToolArgs
	}
	return nil
}

// addWindows adds a Windows vSphere cell's ISO paths from the grid and writes its answer file
// where Image Builder reads it (capiFile): a secret copy, never shown, removed after the
// build, rewritten in place by Image Builder.
func (l *varFiles) addWindows() error {
	c := l.cell
	if l.answerFile == nil {
		return nil
	}
	if err := l.add("windows-isos.json", imagebuilder.WindowsVars(c), false, "the grid's windows settings"); err != nil {
		return err
	}
	l.files = append(l.files, file{path: l.exec.capiFile(imagebuilder.AnswerFilePath(c)), data: l.answerFile, secret: true, rewritten: true, source: c.Windows.AnswerFile.Path})
	return nil
}

// addUsers adds what users set, after imagegrid's files so that it wins: the cell's var files,
// its extra vars, then the roles and goss spec of the customisation.
func (l *varFiles) addUsers(userFiles []userVarFile) error {
	for i, uf := range userFiles {
		// User var files may hold credentials: copies are private and removed after the build.
		f := file{path: filepath.Join(l.ws.vars(), fmt.Sprintf("user-%02d-%s", i+1, filepath.Base(uf.path))), data: uf.data, secret: true, source: uf.path}
		l.files = append(l.files, f)
		l.paths = append(l.paths, l.exec.see(f.path))
		if err := l.note(uf.data, uf.path, false); err != nil {
			return err
		}
	}
	if len(l.cell.Vars) > 0 {
		if err := l.add("cell-vars.json", l.cell.Vars, false, "the cell's vars"); err != nil {
			return err
		}
	}
	custom, err := l.customisation()
	if err != nil {
		return err
	}
	return l.add("customisation.json", custom.Vars(), false, "")
}

// printFile writes one file the build would write: its content, unless it is a copy or holds
// credentials.
func printFile(w io.Writer, f file) {
	switch {
	case f.source != "":
		fmt.Fprintf(w, "  %s (copy of %s, sha256 verified; not shown, removed after the build)\n", f.path, f.source)
		return
	case f.secret:
		fmt.Fprintf(w, "  %s (credentials, removed after the build; content masked)\n", f.path)
		return
	}
	fmt.Fprintf(w, "  %s\n", f.path)
	for _, line := range strings.Split(strings.TrimRight(string(f.data), "\n"), "\n") {
		fmt.Fprintf(w, "    %s\n", line)
	}
}

// print writes what the build would do: files, environment (secrets masked), commands.
func (p *recipe) print(w io.Writer, validateOnly bool) {
	fmt.Fprintf(w, "cell %s: would run Image Builder target %s\n", p.cell.ID, p.target)
	fmt.Fprintf(w, "\nfiles it would write:\n")
	for _, f := range p.files {
		printFile(w, f)
	}
	fmt.Fprintf(w, "  %s (the Image Builder log)\n  %s (the build record)\n", p.ws.logPath(), filepath.Join(p.out, RecordName))
	if len(p.folders) > 0 {
		fmt.Fprintf(w, "\nfolders it would copy into the workspace (digest verified), as Image Builder sees them:\n")
		for _, f := range p.folders {
			fmt.Fprintf(w, "  %s -> %s\n", f.cell, p.exec.see(f.dst))
		}
	}
	for _, f := range p.checkout {
		fmt.Fprintf(w, "\nmake runs in a private copy of %s (the answer file goes inside it): %s\n", f.cell, f.dst)
	}
	fmt.Fprintf(w, "\nvariables from these var files (later files win; Image Builder's defaults apply to the rest):\n")
	for _, name := range slices.Sorted(maps.Keys(p.vars)) {
		s := p.vars[name]
		value := redact(s.Value, p.creds.secrets)
		if p.masked[name] {
			value = "***"
		}
		fmt.Fprintf(w, "  %s = %s   (%s)\n", name, value, s.From)
	}
	fmt.Fprintf(w, "\nenvironment for Image Builder:\n")
	for _, kv := range p.ibEnv {
		fmt.Fprintf(w, "  %s\n", kv)
	}
	p.printCredentials(w)
	fmt.Fprintf(w, "\ncommands:\n")
	if p.bundle != nil {
		fmt.Fprintf(w, "  %s\n", p.bundle.start())
	}
	fmt.Fprintf(w, "  %s\n", p.exec.command(p.target, p.ibEnv, p.creds))
	if p.bundle != nil {
		fmt.Fprintf(w, "  %s   (always, after the build)\n", p.bundle.stop())
	}
	if validateOnly {
		fmt.Fprintf(w, "\n(validate only: no credentials, no resource bundle, no artifacts)\n")
	}
}
