package build

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
)

// Executor names.
const (
	ExecutorDocker = "docker"
	ExecutorMake   = "make"
)

// containerRoot is where the docker executor mounts the cell's workspace in the Image
// Builder container (its working directory is /home/imagebuilder).
const containerRoot = "/home/imagebuilder/imagegrid"

// executor runs an Image Builder make target for one cell.
type executor interface {
	// see maps a workspace path to the path Image Builder sees.
	see(hostPath string) string
	// command runs target with Image Builder's environment ibEnv (NAME=value) and the
	// build's credentials.
	command(target string, ibEnv []string, creds credentials) Command
	// cleanup returns the command that removes what an interrupted run left behind, if any.
	cleanup() *Command
	// packerFlags is the PACKER_FLAGS Image Builder would get from build's environment.
	packerFlags() string
	// capiFile is where in the workspace build writes a file that Image Builder reads at rel,
	// a path inside images/capi fixed by upstream (a Windows answer file).
	capiFile(rel string) string
}

// makeExecutor runs make in a local images/capi checkout, or in the cell's private copy of
// it when Image Builder must find a file of the cell inside it (capiFile).
type makeExecutor struct {
	dir     string
	environ []string
}

// capiFile is rel in the checkout make runs in: the cell's private copy, never the user's
// checkout (newExecutor copies it for a cell that needs this).
func (m makeExecutor) capiFile(rel string) string {
	return filepath.Join(m.dir, filepath.FromSlash(rel))
}

func (m makeExecutor) see(p string) string { return p }

func (m makeExecutor) command(target string, ibEnv []string, creds credentials) Command {
	env := slices.Clone(m.environ)
	for name, value := range creds.file.values {
		env = append(env, name+"="+value)
	}
	env = append(env, ibEnv...)
	return Command{Path: "make", Args: []string{"-C", m.dir, target}, Env: env}
}

func (m makeExecutor) cleanup() *Command { return nil }

func (m makeExecutor) packerFlags() string { return Getenv(m.environ)("PACKER_FLAGS") }

// dockerExecutor runs the Image Builder container with the cell's workspace mounted.
type dockerExecutor struct {
	docker    string
	image     string
	container string
	// workspace is the workspace as build sees it; hostWorkspace as the docker daemon sees it.
	workspace, hostWorkspace string
	netHost                  bool
	environ                  []string
	// capiFiles are files of the workspace's capi/ folder mounted at the same path under
	// the container's images/capi (/home/imagebuilder), read-write like TKG's procedure
	// mounts the answer file.
	capiFiles []string
}

// capiFile is rel under the workspace's capi/ folder, which command mounts over rel in
// the container.
func (d dockerExecutor) capiFile(rel string) string {
	return filepath.Join(d.workspace, capiDir, filepath.FromSlash(rel))
}

func (d dockerExecutor) see(p string) string {
	rel, err := filepath.Rel(d.workspace, p)
	if err != nil {
		return p
	}
	return path.Join(containerRoot, filepath.ToSlash(rel))
}

// command is docker run with the workspace mounted, Image Builder's environment as -e
// NAME=value, and credentials only by name (-e NAME, read by the docker CLI from its own
// environment) or through --env-file: never a secret value on the command line.
func (d dockerExecutor) command(target string, ibEnv []string, creds credentials) Command {
	args := []string{"run", "--rm", "--name", d.container}
	if d.netHost {
		args = append(args, "--net=host")
	}
	args = append(args, "-v", d.hostWorkspace+":"+containerRoot)
	for _, rel := range d.capiFiles {
		args = append(args, "-v", path.Join(filepath.ToSlash(d.hostWorkspace), capiDir, rel)+":"+path.Join(path.Dir(containerRoot), rel))
	}
	if creds.file.path != "" {
		args = append(args, "--env-file", creds.file.path)
	}
	for _, name := range creds.fromEnv {
		args = append(args, "-e", name)
	}
	for _, kv := range ibEnv {
		args = append(args, "-e", kv)
	}
	args = append(args, d.image, target)
	return Command{Path: d.docker, Args: args, Env: d.environ}
}

// packerFlags is empty: the container gets none of build's environment but the credentials.
func (d dockerExecutor) packerFlags() string { return "" }

func (d dockerExecutor) cleanup() *Command {
	return &Command{Path: d.docker, Args: []string{"rm", "-f", d.container}, Env: d.environ}
}

// hostPath maps a local workspace path to the path the docker daemon must mount. When build
// runs inside a container, its paths are not the host's: hostWork, the host path of the work
// dir, says where they are ("" outside a container).
func hostPath(workDir, hostWork, workspace string) (string, error) {
	if hostWork == "" {
		return workspace, nil
	}
	absWork, err := filepath.Abs(workDir)
	if err != nil {
		return "", fmt.Errorf("work dir: %w", err)
	}
	rel, err := filepath.Rel(absWork, workspace)
	if err != nil {
		return "", fmt.Errorf("map %s to the host: %w", workspace, err)
	}
	return filepath.Join(hostWork, rel), nil
}

// runningInContainer reports whether this process runs in a Docker or Podman container.
func runningInContainer() bool {
	for _, marker := range []string{"/.dockerenv", "/run/.containerenv"} {
		if _, err := os.Stat(marker); err == nil {
			return true
		}
	}
	return false
}
