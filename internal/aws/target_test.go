package aws

import (
	"reflect"
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/publishconfig"
	"github.com/imagegrid/imagegrid/internal/record"
)

func TestTargetFor(t *testing.T) {
	cfg := &publishconfig.AWS{AWSTarget: record.AWSTarget{Regions: []string{"us-east-1", "us-west-2"}, Accounts: []string{"111122223333"}}}
	for _, tc := range []struct {
		name  string
		hints *record.AWSHints
		want  Target
	}{
		{name: "config only", want: Target{Regions: []string{"us-east-1", "us-west-2"}, Sharing: record.AMISharing{Accounts: []string{"111122223333"}}}},
		{name: "hints replace regions and add sharing", hints: &record.AWSHints{AWSTarget: record.AWSTarget{Regions: []string{"eu-west-1", "eu-west-1"}, Accounts: []string{"111122223333", "444455556666"}}, Public: true},
			want: Target{Regions: []string{"eu-west-1"}, Sharing: record.AMISharing{Accounts: []string{"111122223333", "444455556666"}, Public: true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := TargetFor(cfg, record.Cell{Publish: record.PublishHints{AWS: tc.hints}})
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("target = %+v; want %+v", got, tc.want)
			}
		})
	}
}

func TestDryRunSteps(t *testing.T) {
	cfg := &publishconfig.AWS{AWSTarget: record.AWSTarget{Regions: []string{"us-east-1", "eu-west-1"}}, Public: true}
	rec := record.BuildRecord{Cell: record.Cell{BuildKey: testKey}, Artifacts: record.Artifacts{AMI: []record.AMIArtifact{{Region: "us-east-1", ID: "ami-1"}}}}
	got, err := DryRunSteps(cfg, rec)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"tag us-east-1:ami-1 in place (unless an AMI there carries build key 1b2c3d4e5f60)",
		"copy us-east-1:ami-1 to eu-west-1 (unless an AMI there carries build key 1b2c3d4e5f60)",
		"share with everyone (public)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := DryRunSteps(cfg, record.BuildRecord{}); err == nil {
		t.Error("a record without AMIs has a plan")
	}
}
