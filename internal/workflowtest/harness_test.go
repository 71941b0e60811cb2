package workflowtest

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/cgi"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imagegrid/imagegrid/internal/localpipeline"
	"github.com/imagegrid/imagegrid/internal/motoserver"
	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/testutil/fakegithub"
)

// actVersion is the act release the test (and .ci/run) installs.
const actVersion = "v0.2.89"

// pinned are the actions the workflows use, at the commits they pin (docs/workflows.md):
// folders OWNER/NAME@SHA of the actions directory.
var pinned = []string{
	"actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683",
	"actions/setup-go@d35c59abb061a4a6fb18e82ac0862c26744d6ab5",
	"actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02",
	"actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093",
	"aws-actions/configure-aws-credentials@b47578312673ae6fa5b5096b330d9fbac3d116df",
}

// Names the services answer to.
const (
	owner       = "imagegrid"
	catalogRepo = "catalog"
	token       = "fake-token"
	awsRole     = "arn:aws:iam::123456789012:role/imagegrid"
)

// root is the repository under test.
func root(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// tools finds act and the pinned actions; a missing one fails the test, naming how to get it.
func tools(t *testing.T) (act, actions string) {
	t.Helper()
	act, err := exec.LookPath("act")
	if err != nil {
		gopath, _ := exec.Command("go", "env", "GOPATH").Output()
		act = filepath.Join(strings.TrimSpace(string(gopath)), "bin", "act")
		if _, err := os.Stat(act); err != nil {
			t.Fatalf("act is missing: go install github.com/nektos/act@%s (bash .ci/run does it)", actVersion)
		}
	}
	actions = os.Getenv("IMAGEGRID_ACTIONS_DIR")
	if actions == "" {
		actions = filepath.Join(root(t), "..", "shared", "actions")
	}
	for _, a := range pinned {
		if _, err := os.Stat(filepath.Join(actions, a, "action.yml")); err != nil {
			t.Fatalf("the pinned action %s is missing from %s: put the pinned actions beside the repository (../shared/actions) or name their folder in IMAGEGRID_ACTIONS_DIR", a, actions)
		}
	}
	for _, tool := range []string{"git", "node", "jq", "make", "packer", "qemu-img", "python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: the workflows under act need it (bash .ci/run installs it)", tool)
		}
	}
	return act, actions
}

// services are the local stand-ins for GitHub, AWS and vCenter that the workflows talk to.
type services struct {
	// server answers as github.localhost:PORT: the REST API under /api/v3 (the fake), git
	// over HTTP for checkouts, and the OIDC token endpoint of Actions.
	server    *http.Server
	serverURL string
	github    *fakegithub.Server
	moto      *motoserver.Server
	vcenter   *localpipeline.Simulator
	gitRoot   string
	oidcCalls int
}

func startServices(t *testing.T, cells []record.Cell) *services {
	t.Helper()
	ctx := context.Background()
	s := &services{gitRoot: t.TempDir()}
	var err error
	if s.moto, err = motoserver.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.moto.Stop)
	if s.vcenter, err = localpipeline.StartSimulator(ctx, cells); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.vcenter.Close)
	catalog, err := filesOf(filepath.Join(root(t), "examples", "catalog"))
	if err != nil {
		t.Fatal(err)
	}
	s.github = fakegithub.New(owner, catalogRepo, catalog)
	t.Cleanup(s.github.Close)
	// The catalog is also a git repository for the checkouts of validate mode.
	gitRepo(t, filepath.Join(s.gitRoot, owner, catalogRepo), filepath.Join(root(t), "examples", "catalog"))

	api, err := url.Parse(s.github.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(api)
	mux := http.NewServeMux()
	mux.Handle("/api/v3/", http.StripPrefix("/api/v3", proxy))
	mux.HandleFunc("GET /_oidc/token", s.oidcToken)
	git, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	// Smart HTTP as GitHub serves it, through git's own CGI (git-http-backend(1)).
	mux.Handle("/", &cgi.Handler{
		Path: git, Args: []string{"http-backend"},
		Env: []string{"GIT_PROJECT_ROOT=" + s.gitRoot, "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_COUNT=1",
			"GIT_CONFIG_KEY_0=uploadpack.allowAnySHA1InWant", "GIT_CONFIG_VALUE_0=true"},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.server = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go s.server.Serve(ln)
	t.Cleanup(func() { s.server.Close() })
	s.serverURL = fmt.Sprintf("http://github.localhost:%d", ln.Addr().(*net.TCPAddr).Port)
	return s
}

// loopbackURL is the server's URL by address rather than by name.
func (s *services) loopbackURL() string {
	return strings.Replace(s.serverURL, "github.localhost", "127.0.0.1", 1)
}

// oidcToken answers as the Actions token service: {"value": "<jwt>"}. moto accepts any web
// identity token; this one has the claims GitHub's have.
func (s *services) oidcToken(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer oidc-request-token" {
		http.Error(w, "bad request token", http.StatusUnauthorized)
		return
	}
	s.oidcCalls++
	enc := base64.RawURLEncoding.EncodeToString
	claims, _ := json.Marshal(map[string]any{
		"iss": "https://token.actions.githubusercontent.com", "aud": r.URL.Query().Get("audience"),
		"sub": "repo:imagegrid/imagegrid:ref:refs/heads/main", "exp": time.Now().Add(time.Hour).Unix(),
	})
	jwt := enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc(claims) + "." + enc([]byte("signature"))
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"value": jwt})
}

// filesOf reads every file under dir, by slash path.
func filesOf(dir string) (map[string]string, error) {
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = string(data)
		return nil
	})
	return files, err
}

// gitRepo makes bare a repository at dest holding the files of src in one commit on main,
// and returns that commit.
func gitRepo(t *testing.T, dest, src string) string {
	t.Helper()
	work := t.TempDir()
	if err := os.CopyFS(work, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	gitIn(t, work, "init", "-q", "-b", "main")
	gitIn(t, work, "add", "-A")
	gitIn(t, work, "commit", "-q", "-m", "snapshot")
	gitIn(t, work, "clone", "-q", "--bare", work, dest)
	return strings.TrimSpace(gitIn(t, work, "rev-parse", "HEAD"))
}

func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=imagegrid", "GIT_AUTHOR_EMAIL=imagegrid@localhost",
		"GIT_COMMITTER_NAME=imagegrid", "GIT_COMMITTER_EMAIL=imagegrid@localhost", "GIT_CONFIG_GLOBAL=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// snapshot copies the repository's files (tracked and untracked, not ignored) plus extra
// into a fresh directory: the repository act runs in and the checkouts see.
func snapshot(t *testing.T, extra map[string]string) string {
	t.Helper()
	src := root(t)
	list := gitIn(t, src, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	dir := filepath.Join(t.TempDir(), "imagegrid")
	for name := range strings.SplitSeq(strings.TrimRight(list, "\x00"), "\x00") {
		data, err := os.ReadFile(filepath.Join(src, name))
		if os.IsNotExist(err) {
			continue // deleted in the working tree
		}
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, name), data, fi.Mode().Perm())
	}
	for name, data := range extra {
		writeFile(t, filepath.Join(dir, name), []byte(data), 0o644)
	}
	return dir
}

func writeFile(t *testing.T, path string, data []byte, mode fs.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
}

// run is one act run of a workflow.
type run struct {
	// Workflow is the file under .github/workflows; Event the event name, with EventJSON
	// its payload.
	Workflow, Event, EventJSON string
	// Job, when set, runs only that job.
	Job                   string
	Inputs, Vars, Secrets map[string]string
	Env                   []string
}

// result is what an act run left.
type result struct {
	err error
	log string
	// artifacts maps each artifact's name to the files it holds (path → content).
	artifacts map[string]map[string]string
	// summaries maps each job to the job summary its steps wrote.
	summaries map[string]string
	// outcomes maps each job to its steps' "step: outcome" lines.
	outcomes map[string][]string
	// jobIDs maps each job's name to the id of the workflow job it ran as (a matrix leg is
	// named after its cell, and runs as the build job holding its shard).
	jobIDs map[string]string
}

// parseRun reads act's JSON log lines and the artifact server's folder
// (<dir>/<run id>/<name>/<name>.zip).
func parseRun(t *testing.T, log []byte, dir string, err error) result {
	t.Helper()
	res := result{err: err, artifacts: map[string]map[string]string{}, summaries: map[string]string{}, outcomes: map[string][]string{}, jobIDs: map[string]string{}}
	var text strings.Builder
	for line := range strings.Lines(string(log)) {
		var e struct {
			Msg, Job, Command, Content, Step, Stage string
			StepResult                              string `json:"stepResult"`
			JobID                                   string `json:"jobID"`
		}
		if json.Unmarshal([]byte(line), &e) != nil {
			text.WriteString(line)
			continue
		}
		e.Job = strings.TrimSpace(e.Job)
		fmt.Fprintf(&text, "[%s] %s\n", e.Job, strings.TrimRight(e.Msg, "\n"))
		if e.JobID != "" {
			res.jobIDs[e.Job] = e.JobID
		}
		if e.Command == "summary" {
			res.summaries[e.Job] += e.Content
		}
		if e.StepResult != "" && e.Stage == "Main" {
			res.outcomes[e.Job] = append(res.outcomes[e.Job], e.Step+": "+e.StepResult)
		}
	}
	res.log = text.String()
	zips, _ := filepath.Glob(filepath.Join(dir, "*", "*", "*.zip"))
	for _, z := range zips {
		files, zerr := readZip(z)
		if zerr != nil {
			t.Fatalf("artifact %s: %v", z, zerr)
		}
		res.artifacts[strings.TrimSuffix(filepath.Base(z), ".zip")] = files
	}
	return res
}

func readZip(path string) (map[string]string, error) {
	r, err := zip.OpenReader(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	files := map[string]string{}
	for _, f := range r.File {
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		files[f.Name] = string(data)
	}
	return files, nil
}

// act runs r in repo with the pinned actions, every runner label on this host.
func (s *services) act(t *testing.T, act, actions, repo string, r run) result {
	t.Helper()
	tmp := t.TempDir()
	cache := filepath.Join(tmp, "act")
	goRoot := strings.TrimSpace(string(must(exec.Command("go", "env", "GOROOT").Output())))
	goVersion := strings.TrimPrefix(runtime.Version(), "go")
	// setup-go finds Go in act's tool cache: <cache>/tool_cache/go/<version>/x64 and a marker.
	toolGo := filepath.Join(cache, "tool_cache", "go", goVersion)
	if err := os.MkdirAll(toolGo, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(goRoot, filepath.Join(toolGo, "x64")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(toolGo, "x64.complete"), nil, 0o644)

	artifacts := filepath.Join(tmp, "artifacts")
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	args := []string{r.Event, "-W", filepath.Join(".github", "workflows", r.Workflow),
		"--action-offline-mode", "--action-cache-path", cache, "--no-cache-server",
		"--artifact-server-path", artifacts, "--artifact-server-addr", "127.0.0.1", "--artifact-server-port", port,
		"--env-file", "/dev/null", "--secret-file", "/dev/null", "--var-file", "/dev/null", "--input-file", "/dev/null",
		"--container-daemon-socket", "-", "--json",
	}
	for _, label := range []string{"ubuntu-latest", "self-hosted", "linux", "imagegrid"} {
		args = append(args, "-P", label+"=-self-hosted")
	}
	for _, a := range pinned {
		args = append(args, "--local-repository", a+"="+filepath.Join(actions, a))
	}
	if r.Job != "" {
		args = append(args, "-j", r.Job)
	}
	if r.EventJSON != "" {
		event := filepath.Join(tmp, "event.json")
		writeFile(t, event, []byte(r.EventJSON), 0o644)
		args = append(args, "-e", event)
	}
	for flag, m := range map[string]map[string]string{"--input": r.Inputs, "--var": r.Vars, "--secret": r.Secrets} {
		for k, v := range m {
			args = append(args, flag, k+"="+v)
		}
	}
	dns := filepath.Join(tmp, "localhost-dns.js")
	writeFile(t, dns, []byte(localhostDNS), 0o644)
	env := []string{
		// Only the artifact actions need the *.localhost name; Go and git reach 127.0.0.1.
		"GITHUB_SERVER_URL=" + s.serverURL, "GITHUB_API_URL=" + s.loopbackURL() + "/api/v3",
		// @actions/core appends "&audience=…" to this URL and reads "value" from the answer
		// (actions/toolkit, packages/core/src/oidc-utils.ts): it must already hold a query.
		"ACTIONS_ID_TOKEN_REQUEST_URL=" + s.loopbackURL() + "/_oidc/token?api-version=2.0",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN=oidc-request-token",
		"AWS_ENDPOINT_URL=" + s.moto.URL, "AWS_EC2_METADATA_DISABLED=true",
		"NODE_OPTIONS=--require " + dns,
		"STANDIN_DOCKER_STATE=" + filepath.Join(tmp, "docker"),
		"GOFLAGS=-mod=mod",
	}
	for _, kv := range append(env, r.Env...) {
		args = append(args, "--env", kv)
	}
	cmd := exec.Command(act, args...)
	cmd.Dir = repo
	// The stand-in docker CLI (the TKG resource bundle) comes first on PATH.
	cmd.Env = append(hostEnv(), "PATH="+filepath.Join(root(t), "testdata", "imagebuilder", "bin")+":"+os.Getenv("PATH"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	return parseRun(t, out.Bytes(), artifacts, err)
}

// hostEnv is this process's environment without what would reach the runner the test suite
// itself may run on (its artifact and cache services, outputs, summary, token) or a real cloud:
// act's steps see the host's environment in host mode.
func hostEnv() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool {
		for _, p := range []string{"GITHUB_", "ACTIONS_", "RUNNER_", "INPUT_", "STATE_", "AWS_", "GOVC_", "VSPHERE_"} {
			if strings.HasPrefix(kv, p) {
				return true
			}
		}
		return false
	})
}

// localhostDNS makes Node resolve *.localhost to 127.0.0.1 (RFC 6761), as curl does: the
// artifact actions only talk to a GITHUB_SERVER_URL on github.com, *.ghe.com or *.localhost.
const localhostDNS = `const dns = require('dns');
const lookup = dns.lookup;
dns.lookup = function (host, options, callback) {
  if (typeof host === 'string' && host.endsWith('.localhost')) {
    if (typeof options === 'function') { callback = options; options = {}; }
    if (options && options.all) return process.nextTick(callback, null, [{address: '127.0.0.1', family: 4}]);
    return process.nextTick(callback, null, '127.0.0.1', 4);
  }
  return lookup.apply(this, arguments);
};
`

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return fmt.Sprint(ln.Addr().(*net.TCPAddr).Port), nil
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
