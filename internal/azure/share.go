package azure

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v8"

	"github.com/imagegrid/imagegrid/internal/record"
)

// share gives the version's gallery the sharing the grid asks for, adding only what the
// gallery does not have yet; nothing is ever unshared. Sharing is a property of the gallery
// in Azure, not of a version (the gallery's sharingProfile, changed through
// GallerySharingProfileClient.BeginUpdate): direct sharing with subscriptions and tenants
// (operation Add), or a community gallery anyone may use (EnableCommunity); the gallery must
// have been made for it (sharable).
func (p *Publisher) share(ctx context.Context, f *armcompute.ClientFactory, id versionID, want record.AzureSharing, logf func(string, ...any)) error {
	g, err := f.NewGalleriesClient().Get(ctx, id.ResourceGroup, id.Gallery, &armcompute.GalleriesClientGetOptions{Select: to.Ptr(armcompute.SelectPermissionsPermissions)})
	if err != nil {
		return fmt.Errorf("read the sharing of gallery %s: %w", id.Gallery, err)
	}
	groups, community := missingSharing(g.Gallery, want)
	if err := sharable(g.Gallery, id.Gallery, len(groups) > 0, community); err != nil {
		return err
	}
	sharing := f.NewGallerySharingProfileClient()
	var errs []error
	if len(groups) > 0 {
		logf("share gallery %s with %s", id.Gallery, describeGroups(groups))
		errs = append(errs, p.updateSharing(ctx, sharing, id, armcompute.SharingUpdate{OperationType: to.Ptr(armcompute.SharingUpdateOperationTypesAdd), Groups: groups}))
	}
	if community {
		logf("make gallery %s a community gallery", id.Gallery)
		errs = append(errs, p.updateSharing(ctx, sharing, id, armcompute.SharingUpdate{OperationType: to.Ptr(armcompute.SharingUpdateOperationTypesEnableCommunity)}))
	}
	return errors.Join(errs...)
}

// sharable says why gallery g, named name, cannot take the sharing still missing (groups:
// subscriptions or tenants; community), or nil. A gallery's sharingProfile.permissions is
// fixed when it is made and Azure does not change it: direct sharing needs a gallery made
// with permissions Groups ("You can't use an existing gallery, and the property can't
// currently be updated", MicrosoftDocs/azure-compute-docs articles/virtual-machines/
// share-gallery-direct.md), a community gallery one made with permissions Community (with
// the publisher's information). Upstream's init-sig.sh makes its gallery with neither.
func sharable(g armcompute.Gallery, name string, groups, community bool) error {
	perm := armcompute.GallerySharingPermissionTypesPrivate
	if props := g.Properties; props != nil && props.SharingProfile != nil && props.SharingProfile.Permissions != nil {
		perm = *props.SharingProfile.Permissions
	}
	switch {
	case groups && perm != armcompute.GallerySharingPermissionTypesGroups:
		return fmt.Errorf("gallery %s has sharing permissions %s: sharing with subscriptions or tenants needs a gallery made with permissions Groups (az sig create --permissions groups), which Azure does not change on an existing gallery", name, perm)
	case community && perm != armcompute.GallerySharingPermissionTypesCommunity:
		return fmt.Errorf("gallery %s has sharing permissions %s: a community gallery must be made one (az sig create --permissions community with --publisher-uri, --publisher-email, --eula, --public-name-prefix), which Azure does not change on an existing gallery", name, perm)
	}
	return nil
}

// missingSharing is what gallery g lacks of the sharing want asks for: the subscriptions and
// tenants it is not shared with yet, and whether it still has to become a community gallery.
func missingSharing(g armcompute.Gallery, want record.AzureSharing) ([]*armcompute.SharingProfileGroup, bool) {
	have := map[armcompute.SharingProfileGroupTypes][]string{}
	community := false
	if props := g.Properties; props != nil && props.SharingProfile != nil {
		for _, grp := range props.SharingProfile.Groups {
			if grp != nil && grp.Type != nil {
				for _, id := range grp.IDs {
					have[*grp.Type] = append(have[*grp.Type], strings.ToLower(valOr(id, "")))
				}
			}
		}
		if info := props.SharingProfile.CommunityGalleryInfo; info != nil {
			community = valOr(info.CommunityGalleryEnabled, false)
		}
	}
	var groups []*armcompute.SharingProfileGroup
	for _, g := range []struct {
		typ armcompute.SharingProfileGroupTypes
		ids []string
	}{{armcompute.SharingProfileGroupTypesSubscriptions, want.Subscriptions}, {armcompute.SharingProfileGroupTypesAADTenants, want.Tenants}} {
		var missing []string
		for _, id := range g.ids {
			if !slices.Contains(have[g.typ], strings.ToLower(id)) {
				missing = append(missing, id)
			}
		}
		if len(missing) > 0 {
			groups = append(groups, &armcompute.SharingProfileGroup{Type: to.Ptr(g.typ), IDs: to.SliceOfPtrs(missing...)})
		}
	}
	return groups, want.Community && !community
}

func (p *Publisher) updateSharing(ctx context.Context, c *armcompute.GallerySharingProfileClient, id versionID, u armcompute.SharingUpdate) error {
	poller, err := c.BeginUpdate(ctx, id.ResourceGroup, id.Gallery, u, nil)
	if err == nil {
		_, err = poller.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{Frequency: p.cfg.PollInterval})
	}
	if err != nil {
		return fmt.Errorf("share gallery %s (%s): %w", id.Gallery, valOr(u.OperationType, ""), err)
	}
	return nil
}

func describeGroups(groups []*armcompute.SharingProfileGroup) string {
	var parts []string
	for _, g := range groups {
		name := "subscriptions"
		if valOr(g.Type, "") == armcompute.SharingProfileGroupTypesAADTenants {
			name = "tenants"
		}
		var ids []string
		for _, id := range g.IDs {
			ids = append(ids, valOr(id, ""))
		}
		parts = append(parts, name+" "+strings.Join(ids, ","))
	}
	return strings.Join(parts, " and ")
}

// describeSharing says who may use the images of a gallery shared as s.
func describeSharing(s record.AzureSharing) string {
	var parts []string
	if len(s.Subscriptions) > 0 {
		parts = append(parts, "subscriptions "+strings.Join(s.Subscriptions, ","))
	}
	if len(s.Tenants) > 0 {
		parts = append(parts, "tenants "+strings.Join(s.Tenants, ","))
	}
	if s.Community {
		parts = append(parts, "everyone (community gallery)")
	}
	if len(parts) == 0 {
		return "nobody else (private gallery)"
	}
	return strings.Join(parts, ", ")
}

// DryRunSteps says what Publish would do for rec, without calling Azure.
func DryRunSteps(rec record.BuildRecord) ([]string, error) {
	src, err := sourceVersion(rec)
	if err != nil {
		return nil, err
	}
	t := TargetFor(rec.Cell)
	if len(t.Regions) == 0 {
		return nil, fmt.Errorf("cell %s names no Azure region: set azure.regions in a settings rule of the grid", rec.Cell.ID)
	}
	return []string{
		fmt.Sprintf("replicate %s (unless a version of %s carries build key %s) to %s, %d replicas each, %s",
			src, src.Image, rec.Cell.ShortKey(), strings.Join(t.Regions, ", "), t.ReplicaCount, t.StorageAccountType),
		fmt.Sprintf("tag it %s=%s, %s=%s", TagBuildKey, rec.Cell.ShortKey(), TagCell, rec.Cell.ID),
		"share gallery " + src.Gallery + " with " + describeSharing(t.Sharing),
	}, nil
}
