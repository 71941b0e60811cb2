package aws

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/imagegrid/imagegrid/internal/record"
)

// findByKey returns the id of this account's AMI in the client's region that carries the
// build key, preferring an available one; "" when there is none.
func findByKey(ctx context.Context, c *ec2.Client, key string) (string, error) {
	out, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{
		Owners:  []string{"self"},
		Filters: []types.Filter{{Name: awssdk.String("tag:" + TagBuildKey), Values: []string{key}}},
	})
	if err != nil {
		return "", fmt.Errorf("look for an AMI with build key %s: %w", key[:min(12, len(key))], err)
	}
	var best *types.Image
	for i, img := range out.Images {
		switch {
		case img.State == types.ImageStateFailed || img.State == types.ImageStateDeregistered:
		case best == nil,
			img.State == types.ImageStateAvailable && best.State != types.ImageStateAvailable,
			img.State == best.State && awssdk.ToString(img.CreationDate) < awssdk.ToString(best.CreationDate):
			best = &out.Images[i]
		}
	}
	if best == nil {
		return "", nil
	}
	return awssdk.ToString(best.ImageId), nil
}

func describe(ctx context.Context, c *ec2.Client, id string) (types.Image, error) {
	out, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{id}})
	if err != nil {
		return types.Image{}, fmt.Errorf("describe %s: %w", id, err)
	}
	if len(out.Images) != 1 {
		return types.Image{}, fmt.Errorf("describe %s: %d images found", id, len(out.Images))
	}
	return out.Images[0], nil
}

func snapshots(img types.Image) []string {
	var ids []string
	for _, m := range img.BlockDeviceMappings {
		if m.Ebs != nil && m.Ebs.SnapshotId != nil {
			ids = append(ids, *m.Ebs.SnapshotId)
		}
	}
	return ids
}

func tag(ctx context.Context, c *ec2.Client, ids []string, tags map[string]string) error {
	keys := slices.Sorted(maps.Keys(tags))
	list := make([]types.Tag, 0, len(keys))
	for _, k := range keys {
		list = append(list, types.Tag{Key: awssdk.String(k), Value: awssdk.String(tags[k])})
	}
	if _, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: ids, Tags: list}); err != nil {
		return fmt.Errorf("tag %s: %w", strings.Join(ids, ","), err)
	}
	return nil
}

// finish copies the source's tags to the available AMI img and its snapshots, adds
// imagegrid's, and grants the launch permissions. Every call is idempotent: a re-run changes nothing.
func (p *Publisher) finish(ctx context.Context, rec record.BuildRecord, src source, region string, img types.Image, sharing record.AMISharing) error {
	c := p.client(region)
	id := awssdk.ToString(img.ImageId)
	tags := map[string]string{}
	if src.Region != region || src.ID != id {
		for _, t := range src.image.Tags {
			if k := awssdk.ToString(t.Key); !strings.HasPrefix(k, "aws:") {
				tags[k] = awssdk.ToString(t.Value)
			}
		}
	}
	tags[TagBuildKey] = rec.Key()
	tags[TagCell] = rec.Cell.ID
	tags[TagSource] = src.Region + ":" + src.ID
	snaps := snapshots(img)
	if err := tag(ctx, c, append([]string{id}, snaps...), tags); err != nil {
		return err
	}
	return share(ctx, c, id, snaps, sharing)
}

// share grants launch permission on the AMI and create-volume permission on its snapshots.
// Public access is granted only when asked for explicitly.
func share(ctx context.Context, c *ec2.Client, id string, snaps []string, s record.AMISharing) error {
	var launch []types.LaunchPermission
	var users, groups []string
	for _, a := range s.Accounts {
		launch = append(launch, types.LaunchPermission{UserId: awssdk.String(a)})
		users = append(users, a)
	}
	for _, o := range s.Organizations {
		launch = append(launch, types.LaunchPermission{OrganizationArn: awssdk.String(o)})
	}
	for _, ou := range s.OrganizationalUnits {
		launch = append(launch, types.LaunchPermission{OrganizationalUnitArn: awssdk.String(ou)})
	}
	if s.Public {
		launch = append(launch, types.LaunchPermission{Group: types.PermissionGroupAll})
		groups = append(groups, string(types.PermissionGroupAll))
	}
	if len(launch) == 0 {
		return nil
	}
	if _, err := c.ModifyImageAttribute(ctx, &ec2.ModifyImageAttributeInput{
		ImageId:          awssdk.String(id),
		LaunchPermission: &types.LaunchPermissionModifications{Add: launch},
	}); err != nil {
		return fmt.Errorf("share %s: %w", id, err)
	}
	if len(users)+len(groups) == 0 {
		return nil // launching needs only the AMI's permission; snapshots are shared with accounts so they can copy the AMI
	}
	sort.Strings(snaps)
	for _, snap := range snaps {
		if _, err := c.ModifySnapshotAttribute(ctx, &ec2.ModifySnapshotAttributeInput{
			SnapshotId:    awssdk.String(snap),
			Attribute:     types.SnapshotAttributeNameCreateVolumePermission,
			OperationType: types.OperationTypeAdd,
			UserIds:       users,
			GroupNames:    groups,
		}); err != nil {
			return fmt.Errorf("share snapshot %s of %s: %w", snap, id, err)
		}
	}
	return nil
}
