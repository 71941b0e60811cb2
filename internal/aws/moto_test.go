package aws

import (
	"context"
	"sort"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/imagegrid/imagegrid/internal/publishconfig"
	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/testutil/moto"
)

// env is a moto server with a fault proxy in front, and an Image Builder–like source AMI.
type env struct {
	url    string // moto itself, bypassing the proxy
	server *moto.Server
	proxy  *moto.Proxy
	source record.AMIArtifact
}

func newEnv(t *testing.T) *env {
	t.Helper()
	server := moto.Start(t)
	return &env{
		url: server.URL, server: server, proxy: moto.NewProxy(t, server),
		source: record.AMIArtifact{Region: "us-east-1", ID: server.ImageBuilderAMI(t, "us-east-1")},
	}
}

// client talks to moto directly (not through the proxy), for assertions.
func (e *env) client(_, region string) *ec2.Client { return e.server.EC2(region) }

func (e *env) publisher(cfg *publishconfig.AWS, opts Options) *Publisher {
	opts.Endpoint = e.proxy.URL
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = 20 * time.Millisecond
	}
	return New(cfg, moto.Config(), opts)
}

func testConfig(regions ...string) *publishconfig.AWS {
	return &publishconfig.AWS{
		AWSTarget: record.AWSTarget{
			Regions: regions, Accounts: []string{"111122223333"},
			Organizations: []string{"arn:aws:organizations::123456789012:organization/o-abcd123456"},
		},
		Parallel: 4, WaitTimeout: time.Minute, PollInterval: 50 * time.Millisecond,
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
