package build

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/actions"
	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/syncbuf"
)

// productKey is the made-up product key of testdata/windows/autounattend.xml: no log, console
// or record may show it.
const productKey = "K3Y00-S3CR3-TPR0D-UCTK3-Y0001"

// windowsCell is a TKG Windows Server 2019 vSphere cell of TKr v1.30.2+vmware.1-tkg.1, with the
// answer file testdata/windows/<answer>.
func windowsCell(t *testing.T, answer string) record.Cell {
	t.Helper()
	c := tkgCell()
	c.ID = "vsphere-windows-2019-amd64-v1.30.2---vmware.1"
	c.OS = record.OS{ID: "windows-2019", Name: "windows", Version: "2019", Arch: "amd64", Type: "windows"}
	c.Target = record.Target{Build: "build-node-ova-vsphere-windows-2019", Validate: "validate-node-ova-local-windows-2019"}
	c.Kubernetes.ResourceBundle = "projects.registry.vmware.com/tkg/windows-resource-bundle:v1.30.2_vmware.1-tkg.1"
	c.BuildKey = testKey("windows-2019")
	c.Windows = &record.Windows{
		ISOPath:        "[vsanDatastore] ISO/en_windows_server_2019.iso",
		VMToolsISOPath: "[vsanDatastore] ISO/vmtools/windows.iso",
		AnswerFile:     answerFile(t, answer),
	}
	return c
}

// TestBuildTKGWindowsWithStandIn: a TKG Windows cell builds with the stand-in the way VMware's
// procedure does it: windows-resource-bundle, windows.json with the bundle's address, the
// grid's ISO paths, the user's answer file where upstream reads it (and never shown), an OVA
// made by ovftool with no .mf on disk, verified.
// answerFile is the cell entry of testdata/windows/name, with its current digest.
func answerFile(t *testing.T, name string) record.VarFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "windows", name))
	if err != nil {
		t.Fatal(err)
	}
	return record.VarFile{Path: "windows/" + name, SHA256: testKeyBytes(data)}
}

func TestBuildTKGWindowsWithStandIn(t *testing.T) {
	t.Parallel()
	requireStandInTools(t)
	c := windowsCell(t, "autounattend.xml")
	o := makeOptions(t)
	standInDocker(t, &o)
	upstreamAnswer, err := os.ReadFile(filepath.Join(standIn, "packer", "ova", "windows", "windows-2019", "autounattend.xml"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Build(context.Background(), c, o)
	if err != nil {
		t.Fatalf("Build: %v\n%s", err, o.Console)
	}
	ova := res.Record.Artifacts.OVA
	if want := "v1.30.2+vmware.1-tkg.1-" + c.BuildKey[:12]; ova == nil || ova.Version != want {
		t.Fatalf("OVA = %+v, want VERSION %s", ova, want)
	}
	for k, want := range map[string]string{"DISTRO_NAME": "windows", "DISTRO_VERSION": "2019", "KUBERNETES_SEMVER": "v1.30.2+vmware.1", "CONTAINERD_VERSION": "1.6.33+vmware.1"} {
		if got := ova.Properties[k]; got != want {
			t.Errorf("OVF property %s = %q, want %q", k, got, want)
		}
	}
	log := readLog(t, res)
	for _, want := range []string{
		"Opening OVF source:",
		"Connected to WinRM!",
		"Mounting ISO image [vsanDatastore] ISO/en_windows_server_2019.iso",
		"Mounting ISO image [vsanDatastore] ISO/vmtools/windows.iso",
		"windows-ova-unattend: Setting Timezone to UTC",
		"installing image 'Windows Server 2019 SERVERDATACENTERCORE' from the answer file on the floppy; product key set",
		"/files/kubernetes/kubelet.exe",
		"/files/containerd/cri-containerd-v1.6.33+vmware.1.windows-amd64.tar",
		"/files/kubernetes/kube-proxy.exe",
		"Writing OVA package:",
	} {
		mustContain(t, "build log", log, want)
	}
	if strings.Contains(log, "No manifest file found") {
		t.Error("ovftool looked for the OVF's manifest: IB_OVFTOOL_ARGS lacks --skipManifestCheck")
	}
	recData, err := os.ReadFile(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	for what, text := range map[string]string{"build log": log, "console": o.Console.(*syncbuf.Buffer).String(), "build record": string(recData)} {
		if strings.Contains(text, productKey) {
			t.Errorf("the %s shows the answer file's product key", what)
		}
	}

	// ovftool made the OVA: no .mf beside it, one inside it.
	out := filepath.Join(o.WorkDir, c.ID, "output")
	if mfs, _ := filepath.Glob(filepath.Join(out, "*.mf")); len(mfs) != 0 {
		t.Errorf("the ovftool path leaves no .mf on disk, found %v", mfs)
	}
	if members := tarMembers(t, filepath.Join(filepath.Dir(res.Path), ova.Path)); len(members) != 3 || !strings.HasSuffix(members[1], ".mf") {
		t.Errorf("OVA members = %v, want the OVF, ovftool's manifest, the disk", members)
	}

	// The answer file went to the cell's copy of the checkout, was rewritten there, and is
	// gone after the build; the user's checkout is untouched.
	if now, _ := os.ReadFile(filepath.Join(standIn, "packer", "ova", "windows", "windows-2019", "autounattend.xml")); string(now) != string(upstreamAnswer) {
		t.Error("the build wrote the answer file into the user's images/capi checkout")
	}
	if _, err := os.Stat(filepath.Join(o.WorkDir, c.ID, "image-builder", "packer", "ova", "windows", "windows-2019", "autounattend.xml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the answer file is still in the workspace after the build: %v", err)
	}

	// goss confirmed, with upstream's Windows checks, what Cluster API needs of a Windows node.
	gossRep := nodeImageReport(t, res.Record, record.NodeImageSourceGoss)
	if gossRep.Verdict != record.NodeImagePassed {
		t.Errorf("goss report = %+v", gossRep)
	}
	checked := map[string]bool{}
	for _, ch := range gossRep.Checks {
		checked[ch.Name] = ch.OK
	}
	for _, name := range []string{"kubeadm", "kubelet", "kubectl", "containerd", "sandbox image", "cloudbase-init"} {
		if !checked[name] {
			t.Errorf("goss check %s did not pass: %+v", name, gossRep.Checks)
		}
	}

	// A Windows disk is NTFS: the offline inspection says so instead of passing or failing.
	rep := nodeImageReport(t, res.Record, record.NodeImageSourceInspection)
	if rep.Verdict != record.NodeImageNotChecked || !strings.Contains(rep.Reason, "NTFS") {
		t.Errorf("inspection = %+v, want not checked: NTFS", rep)
	}
}

// TestBuildTKGWindows2022WithStandIn: Image Builder has a windows-2022 OVA target wherever
// it has windows-2019 (upstream's packer/ova/windows-2022.json, since v0.1.11): the user's
// answer file goes to packer/ova/windows/windows-2022/, which that target's floppy reads, and
// the OVA reports DISTRO_VERSION 2022, the OSImage's os.version.
func TestBuildTKGWindows2022WithStandIn(t *testing.T) {
	t.Parallel()
	requireStandInTools(t)
	c := windowsCell(t, "autounattend-2022.xml")
	c.ID = "vsphere-windows-2022-amd64-v1.30.2---vmware.1"
	c.OS.ID, c.OS.Version = "windows-2022", "2022"
	c.Target = record.Target{Build: "build-node-ova-vsphere-windows-2022", Validate: "validate-node-ova-local-windows-2022"}
	c.BuildKey = testKey("windows-2022")
	o := makeOptions(t)
	standInDocker(t, &o)
	res, err := Build(context.Background(), c, o)
	if err != nil {
		t.Fatalf("Build: %v\n%s", err, o.Console)
	}
	ova := res.Record.Artifacts.OVA
	if ova == nil || ova.Properties["DISTRO_NAME"] != "windows" || ova.Properties["DISTRO_VERSION"] != "2022" {
		t.Fatalf("OVA = %+v, want DISTRO_NAME windows, DISTRO_VERSION 2022", ova)
	}
	// The stand-in's checkout has upstream's windows-2022 answer file (Standard Core): the
	// Datacenter Core image says the build read the user's.
	mustContain(t, "build log", readLog(t, res), "installing image 'Windows Server 2022 SERVERDATACENTERCORE' from the answer file on the floppy")
}

func tarMembers(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var names []string
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		names = append(names, h.Name)
	}
	return names
}

// TestWindowsInputsRefusedBeforeStart: what a Windows cell lacks or got wrong is an error
// before any container starts, naming the key or file and never the answer file's content.
func TestWindowsInputsRefusedBeforeStart(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		edit func(c *record.Cell)
		want string
	}{
		{"no windows settings", func(c *record.Cell) { c.Windows = nil }, "needs windows.isoPath, windows.vmToolsIsoPath, windows.answerFile"},
		{"no VMware Tools ISO", func(c *record.Cell) { c.Windows.VMToolsISOPath = "" }, "needs windows.vmToolsIsoPath ("},
		{"missing answer file", func(c *record.Cell) { c.Windows.AnswerFile.Path = "windows/nowhere.xml" }, "answer file: open testdata/windows/nowhere.xml"},
		{"answer file outside", func(c *record.Cell) { c.Windows.AnswerFile.Path = "../windows/autounattend.xml" }, "windows.answerFile.path \"../windows/autounattend.xml\": want a path relative"},
		{"changed answer file", func(c *record.Cell) { c.Windows.AnswerFile.SHA256 = testKey("old") }, "changed since the cell was made"},
		{"not XML", func(c *record.Cell) { c.Windows.AnswerFile = answerFile(t, "truncated.xml") }, "not well-formed XML"},
		{"not an answer file", func(c *record.Cell) { c.Windows.AnswerFile = answerFile(t, "not-unattend.xml") }, "the root element is <answers>"},
		{"no TKG configuration", func(c *record.Cell) { c.TKGConfig = nil }, "the tkg flavor needs tkgConfig"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := windowsCell(t, "autounattend.xml")
			tc.edit(&c)
			o := makeOptions(t)
			fake := newFakeDocker(c.ImageBuilder.Image)
			o.Exec = fake.exec
			_, err := Build(context.Background(), c, o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), productKey) {
				t.Errorf("the error shows the product key: %v", err)
			}
			if n := len(fake.commands); n != 0 {
				t.Errorf("%d commands ran; want none before the inputs are right", n)
			}
		})
	}
}

// TestWindowsVarsThatWouldNotInstallKubernetes: windows.json values with which upstream's
// Windows roles would not install the TKr's Kubernetes and containerd from the bundle are
// refused before anything starts, each named with where it was set.
func TestWindowsVarsThatWouldNotInstallKubernetes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		vars map[string]string
		want string
	}{
		{"runtime left at docker-ee", map[string]string{"runtime": "docker-ee"}, `runtime is "docker-ee" (set by the cell's vars), want "containerd"`},
		{"upstream's Kubernetes store", map[string]string{"kubernetes_base_url": "https://kubernetesreleases.blob.core.windows.net/kubernetes/v1.30.2+vmware.1/binaries/node/windows/amd64"}, "kubernetes_base_url is \"https://kubernetesreleases"},
		{"nssm from the internet", map[string]string{"nssm_url": "https://upstreamartifacts.azureedge.net/nssm/nssm.exe"}, "nssm_url is \"https://upstreamartifacts"},
		{"no containerd digest", map[string]string{"containerd_sha256_windows": ""}, "containerd_sha256_windows is empty"},
		{"upstream's pause image", map[string]string{"pause_image": "registry.k8s.io/pause:3.9"}, "pause_image is \"registry.k8s.io/pause:3.9\""},
		{"an executable elsewhere", map[string]string{"additional_executables_list": "https://example.com/antrea.zip"}, "additional_executables_list is \"https://example.com/antrea.zip\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := windowsCell(t, "autounattend.xml")
			c.Vars = tc.vars
			o := makeOptions(t)
			standInDocker(t, &o)
			fake := newFakeDocker(c.ImageBuilder.Image)
			o.Exec = fake.exec
			_, err := Build(context.Background(), c, o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if n := len(fake.commands); n != 0 {
				t.Errorf("%d commands ran; want none", n)
			}
		})
	}
}

// TestWindowsDockerCommand: with the docker executor the answer file is mounted, writable,
// where upstream's packer-windows.json reads it, and Image Builder exports with ovftool and
// TKG's arguments; the bundle is the TKr's windows-resource-bundle. The dry run never shows
// the answer file.
func TestWindowsDockerCommand(t *testing.T) {
	t.Parallel()
	c := windowsCell(t, "autounattend.xml")
	o := dockerOptions("/ci/work")
	o.VarsRoot, o.DryRun = "testdata", true
	o.Environ = append(o.Environ, testCreds...)
	out := &syncbuf.Buffer{}
	o.Console = out
	if _, err := Build(context.Background(), c, o); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{
		"-v /srv/runner/work/" + c.ID + "/capi/packer/ova/windows/windows-2019/autounattend.xml:/home/imagebuilder/packer/ova/windows/windows-2019/autounattend.xml",
		"-e IB_OVFTOOL=1", "-e IB_OVFTOOL_ARGS=--skipManifestCheck",
		"projects.registry.vmware.com/tkg/windows-resource-bundle:v1.30.2_vmware.1-tkg.1",
		"os_iso_path = [vsanDatastore] ISO/en_windows_server_2019.iso   (the grid's windows settings)",
		"kubernetes_base_url = http://10.1.2.3:3999/files/kubernetes   (tkg-config/v1.30.2+vmware.1-tkg.1/windows.json)",
		"(copy of windows/autounattend.xml, sha256 verified; not shown, removed after the build)",
	} {
		mustContain(t, "dry run", text, want)
	}
	for _, unwanted := range []string{productKey, "custom_role_names = /home/imagebuilder/imagegrid/tkg-config/tkg"} {
		if strings.Contains(text, unwanted) {
			t.Errorf("the dry run shows %q:\n%s", unwanted, text)
		}
	}
}

// TestWindowsBundleOfAnotherRelease: a windows-resource-bundle of another TKr serves another
// Kubernetes release; upstream's Windows goss checks catch it and the build fails, naming
// the version goss did not find.
func TestWindowsBundleOfAnotherRelease(t *testing.T) {
	t.Parallel()
	requireStandInTools(t)
	c := windowsCell(t, "autounattend.xml")
	c.Kubernetes.ResourceBundle = "projects.registry.vmware.com/tkg/windows-resource-bundle:v1.29.6_vmware.1-tkg.3"
	o := makeOptions(t)
	o.Retries = 0
	standInDocker(t, &o)
	res, err := Build(context.Background(), c, o)
	if err == nil {
		t.Fatal("Build succeeded with another release's Kubernetes")
	}
	if f := res.Record.Failure; f == nil || f.Class != record.FailurePermanent || !strings.Contains(f.Reason, "goss validation failed") {
		t.Errorf("failure = %+v, want goss's", f)
	}
	mustContain(t, "build log", readLog(t, res), "Command: kubelet --version: stdout: patterns not found: ['v1.30.2+vmware.1']")
}

// TestAnswerFileSecretsNeverLogged: should Image Builder print the answer file's product key
// (a failing step echoing it), the kept log and the console show *** and Actions is told to
// mask it.
func TestAnswerFileSecretsNeverLogged(t *testing.T) {
	t.Parallel()
	requireStandInTools(t)
	c := windowsCell(t, "autounattend.xml")
	o := makeOptions(t, "STANDIN_FAIL_PHASE=provision", "STANDIN_FAIL_MESSAGE=fatal: slmgr /ipk "+productKey+" failed")
	o.Retries = 0
	console := &syncbuf.Buffer{}
	o.Console = console
	o.Actions = actions.New(console, func(name string) string {
		if name == "GITHUB_ACTIONS" {
			return "true"
		}
		return ""
	})
	standInDocker(t, &o)
	res, err := Build(context.Background(), c, o)
	if err == nil {
		t.Fatal("Build succeeded; the stand-in was told to fail")
	}
	log := readLog(t, res)
	mustContain(t, "build log", log, "fatal: slmgr /ipk *** failed")
	mustContain(t, "console", console.String(), "::add-mask::"+productKey)
	if strings.Count(console.String(), productKey) != 1 || strings.Contains(log, productKey) || strings.Contains(res.Record.Failure.Reason, productKey) {
		t.Errorf("the product key shows beyond its ::add-mask:: line:\nlog:\n%s\nconsole:\n%s", log, console)
	}
}

func TestAnswerFileSecrets(t *testing.T) {
	t.Parallel()
	for file, want := range map[string][]string{
		"internal/build/testdata/windows/autounattend.xml":                                   {productKey},
		"matrices/customisations/windows/windows-2019/autounattend.xml":                      {"S3cr3t0!", "S3cr3t0!"},
		"testdata/imagebuilder/images/capi/packer/ova/windows/windows-2019/autounattend.xml": {"XXXXX-XXXXX-XXXXX-XXXXX-XXXXX"},
	} {
		data, err := os.ReadFile(filepath.Join("..", "..", file))
		if err != nil {
			t.Fatal(err)
		}
		if got := answerFileSecrets(data); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: secrets %q, want %q", file, got, want)
		}
	}
}

// TestWindowsDockerRunMountsTheAnswerFile: while the Image Builder container runs, the
// answer file it mounts holds the user's bytes and is writable by the container's own user
// (upstream rewrites it in place); once the build is over it is gone from the workspace.
func TestWindowsDockerRunMountsTheAnswerFile(t *testing.T) {
	t.Parallel()
	c := windowsCell(t, "autounattend.xml")
	want, err := os.ReadFile(filepath.Join("testdata", "windows", "autounattend.xml"))
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	o := dockerOptions(work)
	o.HostWork, o.InContainer = "", func() bool { return false }
	o.Environ = append(o.Environ, testCreds...)
	o.Console = &syncbuf.Buffer{}
	fake := newFakeDocker(c.ImageBuilder.Image)
	answer := filepath.Join(work, c.ID, "capi", "packer", "ova", "windows", "windows-2019", "autounattend.xml")
	fake.onDocker = func(_ context.Context, cmd Command, _ io.Writer) error {
		if !slices.Contains(cmd.Args, answer+":/home/imagebuilder/packer/ova/windows/windows-2019/autounattend.xml") {
			t.Errorf("docker run does not mount %s where upstream reads it: %v", answer, cmd.Args)
		}
		got, err := os.ReadFile(answer)
		if err != nil || string(got) != string(want) {
			t.Errorf("the mounted answer file holds %d bytes (%v), want the user's %d", len(got), err, len(want))
		}
		if info, err := os.Stat(answer); err != nil || info.Mode().Perm()&0o002 == 0 {
			t.Errorf("the mounted answer file is not writable by the container's user: %v %v", info.Mode(), err)
		}
		return &ExitError{Command: "docker", Code: 2}
	}
	o.Exec = fake.exec
	if _, err := Build(context.Background(), c, o); err == nil {
		t.Fatal("Build succeeded; the fake Image Builder failed")
	}
	if _, err := os.Stat(answer); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the answer file is still in the workspace after the build: %v", err)
	}
}

// TestWindowsMakeDryRun: with the make executor, the dry run says make runs in a private copy
// of the checkout, where the answer file goes.
func TestWindowsMakeDryRun(t *testing.T) {
	t.Parallel()
	c := windowsCell(t, "autounattend.xml")
	o := makeOptions(t)
	o.DryRun, o.BundleHost, o.BundlePort = true, "10.1.2.3", 3999
	out := &syncbuf.Buffer{}
	o.Console = out
	if _, err := Build(context.Background(), c, o); err != nil {
		t.Fatal(err)
	}
	copyDir := filepath.Join(o.WorkDir, c.ID, "image-builder")
	mustContain(t, "dry run", out.String(), "make runs in a private copy of the images/capi checkout "+standIn+" (the answer file goes inside it): "+copyDir)
	mustContain(t, "dry run", out.String(), filepath.Join(copyDir, "packer", "ova", "windows", "windows-2019", "autounattend.xml")+" (copy of windows/autounattend.xml")
	mustContain(t, "dry run", out.String(), "make -C "+copyDir+" build-node-ova-vsphere-windows-2019")
}
