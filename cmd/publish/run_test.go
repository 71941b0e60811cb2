package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/testutil/moto"
	"github.com/imagegrid/imagegrid/internal/testutil/ovatest"
	"github.com/imagegrid/imagegrid/internal/testutil/vcsim"
)

const (
	vsphereKey = "8f2a0c4be7d1935a6e0f4c2b8d7a1e3f5c6b9d0a2e4f6a8c0b1d3e5f7a9c2b4d"
	awsKey     = "1b2c3d4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeeff001"
	failedKey  = "2b2c3d4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeeff002"
	password   = "s3cret-vc-password"
)

func cell(infra, os, key string) record.Cell {
	return record.Cell{
		APIVersion: record.APIVersion, Kind: record.KindCell,
		ID:   fmt.Sprintf("%s-%s-amd64-v1.30.2---vmware.1", infra, os),
		Name: fmt.Sprintf("%s %s amd64 v1.30.2+vmware.1", infra, os),
		Grid: "tkg", Infra: infra, BuildKey: key, ReplacesDefault: true,
		OS:         record.OS{ID: os, Name: "ubuntu", Version: "22.04", Arch: "amd64", Type: "linux"},
		Kubernetes: record.Kubernetes{Semver: "v1.30.2+vmware.1", Series: "v1.30", TKr: "v1.30.2+vmware.1-tkg.1"},
	}
}

func buildRecord(c record.Cell, status string) record.BuildRecord {
	start := time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)
	return record.BuildRecord{
		APIVersion: record.APIVersion, Kind: record.KindBuildRecord, Cell: c, BuildKey: c.BuildKey,
		Status: status, Started: start, Finished: start.Add(time.Hour), ImageBuilderVersion: "v0.1.55", Attempts: 1,
	}
}

// layout writes build records the way actions/download-artifact lays them out: one folder
// per artifact, the OVA beside its record.
func layout(t *testing.T, mt *moto.Server) string {
	t.Helper()
	dir := t.TempDir()

	vs := buildRecord(cell("vsphere", "ubuntu-2204", vsphereKey), record.BuildSucceeded)
	vsDir := filepath.Join(dir, vs.Cell.ID)
	if err := os.MkdirAll(filepath.Join(vsDir, "output"), 0o755); err != nil {
		t.Fatal(err)
	}
	ova := ovatest.Make(t, filepath.Join(vsDir, "output"), ovatest.Spec{Name: "ubuntu-2204-kube-v1.30.2", Properties: map[string]string{"VERSION": "v1.30.2+vmware.1-tkg.1-8f2a0c4be7d1", "DISTRO_NAME": "ubuntu"}})
	vs.Artifacts.OVA = &record.OVAArtifact{Path: "output/" + filepath.Base(ova.Path), Size: ova.Size, SHA256: ova.SHA256, Version: "v1.30.2+vmware.1-tkg.1-8f2a0c4be7d1"}

	am := buildRecord(cell("aws", "ubuntu-2204", awsKey), record.BuildSucceeded)
	am.Artifacts.AMI = []record.AMIArtifact{{Region: "us-east-1", ID: mt.ImageBuilderAMI(t, "us-east-1")}}

	failed := buildRecord(cell("aws", "ubuntu-2404", failedKey), record.BuildFailed)
	failed.Failure = &record.Failure{Class: record.FailurePermanent, Reason: "goss: kubelet version mismatch"}

	for _, r := range []record.BuildRecord{vs, am, failed} {
		if err := record.WriteFile(filepath.Join(dir, r.Cell.ID, "build-record.json"), r); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func writeConfig(t *testing.T, vc *vcsim.VCenter) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "publish.yaml")
	doc := fmt.Sprintf(`apiVersion: imagegrid.io/v1alpha1
kind: PublishConfig
vsphere:
  server: %s
  thumbprint: %q
  datacenter: DC0
  cluster: DC0_C0
  datastore: LocalDS_0
  network: VM Network
aws:
  regions: [us-east-1, us-west-2]
  accounts: ["111122223333"]
  pollInterval: 100ms
`, vc.Host, vc.Thumbprint)
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// actionsEnv makes the process look like a GitHub Actions step with credentials set.
func actionsEnv(t *testing.T, mt *moto.Server) (outputs, summary string) {
	t.Helper()
	tmp := t.TempDir()
	outputs, summary = filepath.Join(tmp, "output"), filepath.Join(tmp, "summary")
	for k, v := range map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": outputs, "GITHUB_STEP_SUMMARY": summary,
		"GOVC_USERNAME": "publisher", "GOVC_PASSWORD": password,
		"AWS_ACCESS_KEY_ID": moto.AccessKeyID, "AWS_SECRET_ACCESS_KEY": moto.SecretAccessKey, "AWS_REGION": "us-east-1",
		"AWS_ENDPOINT_URL_EC2": mt.URL, "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONFIG_FILE": filepath.Join(tmp, "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(tmp, "none"),
	} {
		t.Setenv(k, v)
	}
	for _, f := range []string{outputs, summary} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return outputs, summary
}

// TestRunTwiceConverges runs publish twice on the same records: the second run reuses what the
// first published. Its cyclomatic complexity is above 15 because it is one scenario checked
// step by step: each branch is an assertion, not logic.
func TestRunTwiceConverges(t *testing.T) {
	vc := vcsim.Start(t)
	mt := moto.Start(t)
	records := layout(t, mt)
	config := writeConfig(t, vc)
	outputs, summary := actionsEnv(t, mt)
	t.Setenv("INPUT_RECORDS", records) // an input, as the action passes it
	out := filepath.Join(t.TempDir(), "published")

	want := map[string]string{
		"vsphere-ubuntu-2204-amd64-v1.30.2---vmware.1": record.PublishSucceeded,
		"aws-ubuntu-2204-amd64-v1.30.2---vmware.1":     record.PublishSucceeded,
		"aws-ubuntu-2404-amd64-v1.30.2---vmware.1":     record.PublishSkipped,
	}
	for round := 1; round <= 2; round++ {
		var stdout, stderr bytes.Buffer
		args := []string{"--out", out, "--config", config, "--content-library", "tkg-images", "--create-library"}
		if err := run(context.Background(), args, &stdout, &stderr); err != nil {
			t.Fatalf("round %d: %v\n%s%s", round, err, stdout.String(), stderr.String())
		}
		for id, status := range want {
			pr, err := record.ReadFile[record.PublishRecord](filepath.Join(out, id+".json"), record.KindPublishRecord)
			if err != nil {
				t.Fatal(err)
			}
			if pr.Status != status {
				t.Errorf("round %d: %s: %s (%s); want %s", round, id, pr.Status, pr.Error, status)
			}
			if pr.Cell.Infra == record.InfraVSphere && (pr.VSphere == nil || pr.VSphere.ContentLibrary == nil || pr.VSphere.ContentLibrary.Library != "tkg-images") {
				t.Errorf("round %d: %s: no content library item in %+v", round, id, pr.VSphere)
			}
		}
		for _, line := range strings.Split(stdout.String(), "\n") {
			if strings.Contains(line, password) && line != "::add-mask::"+password {
				t.Errorf("round %d: the vCenter password reached the log: %q", round, line)
			}
		}
		for _, secret := range []string{password, moto.SecretAccessKey} {
			if !strings.Contains(stdout.String(), "::add-mask::"+secret) {
				t.Errorf("round %d: secret %.4s… was not masked", round, secret)
			}
		}
		// The second run finds everything in place and changes nothing.
		want["vsphere-ubuntu-2204-amd64-v1.30.2---vmware.1"] = record.PublishReused
		want["aws-ubuntu-2204-amd64-v1.30.2---vmware.1"] = record.PublishReused
	}
	out2, _ := os.ReadFile(outputs)
	for _, s := range []string{"published<<", "reused<<", "skipped<<"} {
		if !strings.Contains(string(out2), s) {
			t.Errorf("step output %s missing:\n%s", s, out2)
		}
	}
	sum, _ := os.ReadFile(summary)
	if !strings.Contains(string(sum), "| `vsphere-ubuntu-2204-amd64-v1.30.2---vmware.1` | vsphere | ") || !strings.Contains(string(sum), "us-west-2 `ami-") {
		t.Errorf("job summary:\n%s", sum)
	}
}

func TestRunDryRunTouchesNothing(t *testing.T) {
	mt := moto.Start(t)
	records := layout(t, mt)
	// A vCenter that does not exist: a dry run must not try to reach it.
	config := writeConfig(t, &vcsim.VCenter{Host: "127.0.0.1:1"})
	actionsEnv(t, mt)
	out := filepath.Join(t.TempDir(), "published")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"--records", records, "--out", out, "--config", config, "--dry-run"}, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	for _, s := range []string{
		"would import ubuntu-2204-kube-v1.30.2.ova",
		"as template ubuntu-2204-kube-v1.30.2+vmware.1-8f2a0c4be7d1",
		"would copy us-east-1:ami-", "to us-west-2",
		"share with accounts 111122223333",
	} {
		if !strings.Contains(stdout.String(), s) {
			t.Errorf("dry run lacks %q:\n%s", s, stdout.String())
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a dry run wrote %s", out)
	}
	imgs, err := mt.EC2("us-west-2").DescribeImages(context.Background(), &ec2.DescribeImagesInput{Owners: []string{"self"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, img := range imgs.Images {
		t.Errorf("a dry run copied %s", *img.ImageId)
	}
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no records flag", nil, "--records is required"},
		{"stray argument", []string{"--records", dir, "extra"}, `unexpected arguments ["extra"]`},
		{"empty records dir", []string{"--records", dir}, "no build records"},
		{"library without vsphere", []string{"--records", "../../internal/publish/testdata/records", "--config", "testdata/aws-only.yaml", "--content-library", "tkg"}, "--content-library and --create-library need a vsphere target in testdata/aws-only.yaml"},
		{"bad config", []string{"--records", "../../internal/publish/testdata/records", "--config", "testdata/bad-publish.yaml"}, "testdata/bad-publish.yaml:4:3: aws.regoins: unknown key; valid keys here: accounts,"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tc.args, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v; want one containing %q", err, tc.want)
			}
		})
	}
}
