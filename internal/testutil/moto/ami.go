package moto

import (
	"context"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Test credentials moto accepts; they grant nothing anywhere else.
const (
	AccessKeyID     = "AKIAIOSFODNN7EXAMPLE"
	SecretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

// Config is an AWS configuration with the test credentials.
func Config() awssdk.Config {
	return awssdk.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, "")}
}

// EC2 is a client of the server's EC2 API in region.
func (s *Server) EC2(region string) *ec2.Client {
	return ec2.NewFromConfig(Config(), func(o *ec2.Options) {
		o.Region = region
		o.BaseEndpoint = awssdk.String(s.URL)
	})
}

// ImageBuilderAMI makes what Image Builder leaves in region: an AMI of this account, made
// from an instance (so it has an EBS snapshot), tagged as Image Builder tags it. It returns
// the AMI id.
func (s *Server) ImageBuilderAMI(tb testing.TB, region string) string {
	tb.Helper()
	ctx := context.Background()
	c := s.EC2(region)
	imgs, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"amazon"}})
	if err != nil || len(imgs.Images) == 0 {
		tb.Fatalf("moto has no base images in %s: %v", region, err)
	}
	run, err := c.RunInstances(ctx, &ec2.RunInstancesInput{
		ImageId: imgs.Images[0].ImageId, MinCount: awssdk.Int32(1), MaxCount: awssdk.Int32(1), InstanceType: types.InstanceTypeT3Medium,
	})
	if err != nil {
		tb.Fatal(err)
	}
	img, err := c.CreateImage(ctx, &ec2.CreateImageInput{
		InstanceId: run.Instances[0].InstanceId, Name: awssdk.String("capa-ami-ubuntu-22.04-v1.30.2-1720000000"),
		Description: awssdk.String("Cluster API AMI"),
	})
	if err != nil {
		tb.Fatal(err)
	}
	_, err = c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{*img.ImageId}, Tags: []types.Tag{
		{Key: awssdk.String("distribution"), Value: awssdk.String("ubuntu")},
		{Key: awssdk.String("kubernetes_version"), Value: awssdk.String("v1.30.2")},
		{Key: awssdk.String("image_builder_version"), Value: awssdk.String("v0.1.55")},
	}})
	if err != nil {
		tb.Fatal(err)
	}
	return *img.ImageId
}

// Warm makes moto build the EC2 backend of each region, which it does on the region's first
// call (loading its catalogue of public AMIs: a second or more of CPU each). AWS has no such
// cost; benchmarks warm their regions before the timer starts.
func (s *Server) Warm(tb testing.TB, regions ...string) {
	tb.Helper()
	for _, r := range regions {
		if _, err := s.EC2(r).DescribeImages(context.Background(), &ec2.DescribeImagesInput{Owners: []string{"self"}}); err != nil {
			tb.Fatalf("warm moto's %s: %v", r, err)
		}
	}
}
