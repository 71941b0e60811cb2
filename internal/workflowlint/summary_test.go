package workflowlint

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/imagegrid/imagegrid/internal/record"
)

// TestPipelineSummary runs the summary step of images.yml with bash and jq over records laid
// out as actions/download-artifact leaves them, so the script follows the record formats.
func TestPipelineSummary(t *testing.T) {
	if _, err := exec.LookPath("jq"); err != nil {
		t.Fatal("jq is missing (the summary job uses it as GitHub's runners have it): apt-get install jq")
	}
	script := workflowStep(t, ".github/workflows/images.yml", "summary", "Write the summary")

	dir := t.TempDir()
	vsphere := cell("vsphere-ubuntu-2204-amd64-v1.30.2---vmware.1", record.InfraVSphere, "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2")
	aws := cell("aws-ubuntu-2204-amd64-v1.30.2---vmware.1", record.InfraAWS, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	at := time.Date(2026, 11, 27, 2, 17, 0, 0, time.UTC)
	write := func(rel string, v any) {
		t.Helper()
		if err := record.WriteFile(filepath.Join(dir, rel), v); err != nil {
			t.Fatal(err)
		}
	}
	write("records/build-"+vsphere.ID+"/record.json", record.BuildRecord{
		APIVersion: record.APIVersion, Kind: record.KindBuildRecord, Cell: vsphere, BuildKey: vsphere.BuildKey,
		Status: record.BuildSucceeded, Started: at, Finished: at.Add(time.Hour), Attempts: 1,
	})
	write("records/build-"+vsphere.ID+"/packer-manifest.json", map[string]any{"builds": []any{}, "last_run_uuid": "x"})
	write("records/build-"+vsphere.ID+"/checksums.json", []string{"not", "a", "record"})
	write("records/failed-"+aws.ID+"/record.json", record.BuildRecord{
		APIVersion: record.APIVersion, Kind: record.KindBuildRecord, Cell: aws, BuildKey: aws.BuildKey,
		Status: record.BuildFailed, Started: at, Finished: at.Add(time.Minute), Attempts: 3, ExitCode: 2,
		Failure: &record.Failure{Class: record.FailureTransient, Reason: "ssh: handshake timeout | after\n3 tries"},
	})
	write("published/publish-records/"+vsphere.ID+".json", record.PublishRecord{
		APIVersion: record.APIVersion, Kind: record.KindPublishRecord, Cell: vsphere, BuildKey: vsphere.BuildKey,
		Status: record.PublishSucceeded, Started: at, Finished: at,
		VSphere: &record.VSpherePlacement{Status: record.PublishSucceeded, VCenter: "vc.example.com", Datacenter: "DC",
			Template: "/DC/vm/tkg/ubuntu-2204-kube-v1.30.2+vmware.1-a1b2c3d4e5f6", MoRef: "vm-42"},
	})
	write("published/publish-records/aws-other.json", record.PublishRecord{
		APIVersion: record.APIVersion, Kind: record.KindPublishRecord, Cell: aws, BuildKey: aws.BuildKey,
		Status: record.PublishSucceeded, Started: at, Finished: at,
		AMIs: []record.AMIPlacement{{Region: "us-east-1", ID: "ami-0a1b", Status: record.PublishSucceeded}, {Region: "eu-west-1", ID: "ami-9f8e", Status: record.PublishSucceeded}},
	})

	summary := filepath.Join(dir, "summary.md")
	out, err := runBash(t, dir, script, []string{
		"PATH=" + os.Getenv("PATH"), "MODE=nightly", "COUNT=2", "PUBLISH_RESULT=success", "GITHUB_STEP_SUMMARY=" + summary,
	})
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	got, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	want := "## imagegrid: nightly\n\n2 cells planned; publish: success\n\n" +
		"| cell | build key | build | failure |\n|---|---|---|---|\n" +
		"| `vsphere-ubuntu-2204-amd64-v1.30.2---vmware.1` | `a1b2c3d4e5f6` | succeeded |  |\n" +
		"| `aws-ubuntu-2204-amd64-v1.30.2---vmware.1` | `0123456789ab` | failed | ssh: handshake timeout   after 3 tries |\n" +
		"\n| cell | publish | where |\n|---|---|---|\n" +
		"| `aws-ubuntu-2204-amd64-v1.30.2---vmware.1` | published | us-east-1: ami-0a1b<br>eu-west-1: ami-9f8e |\n" +
		"| `vsphere-ubuntu-2204-amd64-v1.30.2---vmware.1` | published | /DC/vm/tkg/ubuntu-2204-kube-v1.30.2+vmware.1-a1b2c3d4e5f6 |\n"
	if string(got) != want {
		t.Errorf("summary:\n%s\nwant:\n%s", got, want)
	}
}

func cell(id, infra, key string) record.Cell {
	return record.Cell{
		APIVersion: record.APIVersion, Kind: record.KindCell, ID: id, Name: id, Grid: "tkg", Infra: infra,
		OS:         record.OS{ID: "ubuntu-2204", Name: "ubuntu", Version: "22.04", Arch: "amd64", Type: "linux"},
		Kubernetes: record.Kubernetes{Semver: "v1.30.2+vmware.1", Series: "v1.30"},
		BuildKey:   key, Sources: []string{"matrices/tkg.yaml"},
	}
}
