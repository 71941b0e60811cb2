package aws

import (
	"context"
	"sort"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/imagegrid/imagegrid/internal/publishconfig"
	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/testutil/moto"
)

// env is a moto server with a fault proxy in front, and an Image Builder–like source AMI.
type env struct {
	url    string // moto itself, bypassing the proxy
	proxy  *moto.Proxy
	base   awssdk.Config
	source record.AMIArtifact
}

func newEnv(t *testing.T) *env {
	t.Helper()
	server := moto.Start(t)
	e := &env{
		url:   server.URL,
		proxy: moto.NewProxy(t, server),
		base: awssdk.Config{
			Region:      "us-east-1",
			Credentials: credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""),
		},
	}
	e.source = e.makeSource(t, server.URL, "us-east-1")
	return e
}

// client talks to moto directly (not through the proxy), for setup and assertions.
func (e *env) client(url, region string) *ec2.Client {
	return ec2.NewFromConfig(e.base, func(o *ec2.Options) {
		o.Region = region
		o.BaseEndpoint = awssdk.String(url)
	})
}

// makeSource makes what Image Builder leaves: an AMI (from an instance) with its tags.
func (e *env) makeSource(t *testing.T, url, region string) record.AMIArtifact {
	t.Helper()
	ctx := context.Background()
	c := e.client(url, region)
	imgs, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"amazon"}})
	if err != nil || len(imgs.Images) == 0 {
		t.Fatalf("moto has no base images: %v", err)
	}
	run, err := c.RunInstances(ctx, &ec2.RunInstancesInput{
		ImageId: imgs.Images[0].ImageId, MinCount: awssdk.Int32(1), MaxCount: awssdk.Int32(1), InstanceType: types.InstanceTypeT3Medium,
	})
	if err != nil {
		t.Fatal(err)
	}
	img, err := c.CreateImage(ctx, &ec2.CreateImageInput{
		InstanceId: run.Instances[0].InstanceId, Name: awssdk.String("capa-ami-ubuntu-22.04-v1.30.2-1720000000"),
		Description: awssdk.String("Cluster API AMI"),
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{*img.ImageId}, Tags: []types.Tag{
		{Key: awssdk.String("distribution"), Value: awssdk.String("ubuntu")},
		{Key: awssdk.String("kubernetes_version"), Value: awssdk.String("v1.30.2")},
		{Key: awssdk.String("image_builder_version"), Value: awssdk.String("v0.1.55")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return record.AMIArtifact{Region: region, ID: *img.ImageId}
}

func (e *env) publisher(cfg *publishconfig.AWS, opts Options) *Publisher {
	opts.Endpoint = e.proxy.URL
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = 20 * time.Millisecond
	}
	return New(cfg, e.base, opts)
}

func testConfig(regions ...string) *publishconfig.AWS {
	return &publishconfig.AWS{
		Regions: regions, Accounts: []string{"111122223333"},
		Organizations: []string{"arn:aws:organizations::123456789012:organization/o-abcd123456"},
		Parallel:      4, WaitTimeout: time.Minute, PollInterval: 50 * time.Millisecond,
	}
}

const testKey = "1b2c3d4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeeff001"

func testRecord(src record.AMIArtifact) record.BuildRecord {
	return record.BuildRecord{
		APIVersion: record.APIVersion, Kind: record.KindBuildRecord,
		Cell: record.Cell{
			ID: "aws-ubuntu-2204-amd64-v1.30.2", Infra: record.InfraAWS, BuildKey: testKey,
			OS:         record.OS{ID: "ubuntu-2204", Name: "ubuntu", Version: "22.04", Arch: "amd64", Type: "linux"},
			Kubernetes: record.Kubernetes{Semver: "v1.30.2", Series: "v1.30"},
		},
		BuildKey: testKey, Status: record.BuildSucceeded, ImageBuilderVersion: "v0.1.55",
		Artifacts: record.Artifacts{AMI: []record.AMIArtifact{src}},
	}
}

// images lists the AMIs of this account in a region that carry the test build key.
func (e *env) images(t *testing.T, url, region string) []types.Image {
	t.Helper()
	out, err := e.client(url, region).DescribeImages(context.Background(), &ec2.DescribeImagesInput{
		Owners:  []string{"self"},
		Filters: []types.Filter{{Name: awssdk.String("tag:" + TagBuildKey), Values: []string{testKey}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Images
}

func tagsOf(tags []types.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[*t.Key] = *t.Value
	}
	return m
}

func launchPermissions(t *testing.T, c *ec2.Client, id string) []string {
	t.Helper()
	out, err := c.DescribeImageAttribute(context.Background(), &ec2.DescribeImageAttributeInput{
		ImageId: awssdk.String(id), Attribute: types.ImageAttributeNameLaunchPermission,
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range out.LaunchPermissions {
		got = append(got, awssdk.ToString(p.UserId)+awssdk.ToString(p.OrganizationArn)+awssdk.ToString(p.OrganizationalUnitArn)+string(p.Group))
	}
	sort.Strings(got)
	return got
}
