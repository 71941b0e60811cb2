package aws

import (
	"context"
	"strings"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/imagegrid/imagegrid/internal/record"
)

func TestPublishCopiesTagsShares(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	url := e.url
	rec := testRecord(e.source)
	regions := []string{"us-east-1", "us-west-2", "eu-central-1"}
	p := e.publisher(testConfig(regions...), Options{})

	got, err := p.Publish(context.Background(), rec, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.AMIs) != len(regions) {
		t.Fatalf("placements = %+v", got.AMIs)
	}
	for i, pl := range got.AMIs {
		if pl.Region != regions[i] || pl.Status != record.PublishSucceeded || pl.ID == "" || pl.Source != "us-east-1:"+e.source.ID || pl.Shared == nil {
			t.Errorf("placement %d = %+v", i, pl)
		}
		imgs := e.images(t, url, pl.Region)
		if len(imgs) != 1 || *imgs[0].ImageId != pl.ID {
			t.Fatalf("%s: images with the build key = %d; want exactly %s", pl.Region, len(imgs), pl.ID)
		}
		tags := tagsOf(imgs[0].Tags)
		for k, v := range map[string]string{"distribution": "ubuntu", "kubernetes_version": "v1.30.2", TagBuildKey: testKey, TagCell: rec.Cell.ID, TagSource: pl.Source} {
			if tags[k] != v {
				t.Errorf("%s: tag %s = %q; want %q", pl.Region, k, tags[k], v)
			}
		}
		perms := launchPermissions(t, e.client(url, pl.Region), pl.ID)
		if strings.Join(perms, ",") != "111122223333,arn:aws:organizations::123456789012:organization/o-abcd123456" {
			t.Errorf("%s: launch permissions = %v", pl.Region, perms)
		}
		for _, snap := range snapshots(imgs[0]) {
			out, err := e.client(url, pl.Region).DescribeSnapshotAttribute(context.Background(), &ec2.DescribeSnapshotAttributeInput{
				SnapshotId: awssdk.String(snap), Attribute: types.SnapshotAttributeNameCreateVolumePermission,
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.CreateVolumePermissions) != 1 || awssdk.ToString(out.CreateVolumePermissions[0].UserId) != "111122223333" {
				t.Errorf("%s: snapshot %s permissions = %+v", pl.Region, snap, out.CreateVolumePermissions)
			}
		}
	}
	if got.AMIs[0].ID != e.source.ID {
		t.Errorf("us-east-1 = %s; want the source AMI tagged in place", got.AMIs[0].ID)
	}
	if n := e.proxy.Calls("CopyImage"); n != 2 {
		t.Errorf("CopyImage calls = %d; want 2", n)
	}
}

func TestPublishTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := testRecord(e.source)
	cfg := testConfig("us-east-1", "us-west-2", "ap-southeast-2")
	first, err := e.publisher(cfg, Options{}).Publish(context.Background(), rec, "")
	if err != nil {
		t.Fatal(err)
	}
	e.proxy.ResetCalls()
	second, err := e.publisher(cfg, Options{}).Publish(context.Background(), rec, "")
	if err != nil {
		t.Fatal(err)
	}
	for i := range second.AMIs {
		if second.AMIs[i].Status != record.PublishReused || second.AMIs[i].ID != first.AMIs[i].ID {
			t.Errorf("second run %+v; want the first's %s reused", second.AMIs[i], first.AMIs[i].ID)
		}
	}
	if n := e.proxy.Calls("CopyImage"); n != 0 {
		t.Errorf("second run copied %d times", n)
	}
}

func TestPublishPublicOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct {
		name   string
		public bool
		want   string
	}{
		{"private", false, "111122223333,arn:aws:organizations::123456789012:organization/o-abcd123456"},
		{"public", true, "111122223333,all,arn:aws:organizations::123456789012:organization/o-abcd123456"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := testRecord(e.source)
			rec.Cell.BuildKey = strings.Repeat(tc.name[:1], 64)
			cfg := testConfig("eu-west-2")
			cfg.Public = tc.public
			got, err := e.publisher(cfg, Options{}).Publish(context.Background(), rec, "")
			if err != nil {
				t.Fatal(err)
			}
			pl := got.AMIs[0]
			if perms := strings.Join(launchPermissions(t, e.client(e.url, pl.Region), pl.ID), ","); perms != tc.want {
				t.Errorf("launch permissions = %s; want %s", perms, tc.want)
			}
			if pl.Shared == nil || pl.Shared.Public != tc.public {
				t.Errorf("recorded sharing = %+v", pl.Shared)
			}
		})
	}
}
