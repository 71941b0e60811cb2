package azure

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/imagegrid/imagegrid/internal/imagebuilder"
	"github.com/imagegrid/imagegrid/internal/publishconfig"
	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/syncbuf"
	"github.com/imagegrid/imagegrid/internal/testutil/fakegallery"
)

const (
	subscription = "00000000-0000-0000-0000-000000000001"
	buildKey     = "4790b49c3872aaaabbbbccccddddeeeeffff0000111122223333444455556666"
	updateAPI    = "GalleryImageVersionsClient.BeginUpdate"
	shareAPI     = "GallerySharingProfileClient.BeginUpdate"
)

var builtVersion = fakegallery.VersionID(subscription, "tkg-images", "tkg_gallery", "capi-ubuntu-22.04", "0.3.1732000000")

// azureRecord is the build record of an Azure cell whose version build left in eastus.
func azureRecord(hints record.AzureHints) record.BuildRecord {
	return record.BuildRecord{
		Cell: record.Cell{ID: "azure-ubuntu-2204-amd64-v1.30.2---vmware.1", Infra: record.InfraAzure, BuildKey: buildKey,
			Publish: record.PublishHints{Azure: &hints}},
		BuildKey: buildKey, Status: record.BuildSucceeded,
		Artifacts: record.Artifacts{Azure: []record.AzureArtifact{
			{ID: "/subscriptions/" + subscription + "/resourceGroups/tkg-images/providers/Microsoft.Compute/images/capi-ubuntu-2204-1732000000", Kind: imagebuilder.AzureManagedImage},
			{ID: builtVersion, Kind: imagebuilder.AzureGalleryImageVersion},
		}},
	}
}

var twoRegions = record.AzureHints{ResourceGroup: "tkg-images", Gallery: "tkg_gallery", Regions: []string{"eastus", "westeurope"},
	ReplicaCount: 2, StorageAccountType: "Premium_LRS", Subscriptions: []string{"11111111-2222-3333-4444-555555555555"}}

// publisher publishes to the fake with the SDK's retry policy, its delays shortened.
func publisher(g *fakegallery.Gallery, wait time.Duration, log io.Writer) *Publisher {
	cfg := &publishconfig.Azure{Parallel: 5, WaitTimeout: wait, PollInterval: 10 * time.Millisecond}
	return New(cfg, &azfake.TokenCredential{}, Options{Log: log, Client: &arm.ClientOptions{ClientOptions: policy.ClientOptions{
		Transport: g.Transport(),
		Retry:     policy.RetryOptions{MaxRetries: 4, RetryDelay: 10 * time.Millisecond, MaxRetryDelay: 3 * time.Second},
	}}})
}

func newGallery() *fakegallery.Gallery {
	g := fakegallery.New()
	g.CreateGallery("tkg-images", "tkg_gallery", "Groups") // made for direct sharing, as twoRegions asks
	g.AddVersion(builtVersion, "eastus", map[string]string{"kubernetes_version": "v1.30.2+vmware.1"})
	return g
}

func statuses(pr record.PublishRecord) map[string]string {
	out := map[string]string{}
	for _, p := range pr.Azure {
		out[p.Region] = p.Status
	}
	return out
}

// checkConverged asserts the fake holds one version, the build's, tagged and replicated
// everywhere as asked.
func checkConverged(t *testing.T, g *fakegallery.Gallery) {
	t.Helper()
	vs := g.Versions()
	if len(vs) != 1 {
		t.Fatalf("the gallery holds %d versions, want the build's only", len(vs))
	}
	v := vs[0]
	if v.Tags[TagBuildKey] != buildKey || v.Tags[TagCell] != "azure-ubuntu-2204-amd64-v1.30.2---vmware.1" || v.Tags["kubernetes_version"] == "" {
		t.Errorf("tags = %v; want the build key, the cell and the build's own", v.Tags)
	}
	for _, r := range []string{"eastus", "westeurope"} {
		if v.Regions[r] != "Completed" || v.ReplicaCount[r] != 2 || v.StorageAccountType[r] != "Premium_LRS" {
			t.Errorf("%s: %s, %d replicas, %s; want Completed, 2, Premium_LRS", r, v.Regions[r], v.ReplicaCount[r], v.StorageAccountType[r])
		}
	}
}

func TestPublishReplicatesTagsSharesAndRerunReuses(t *testing.T) {
	g := newGallery()
	var log syncbuf.Buffer
	p := publisher(g, 10*time.Second, &log)
	pr, err := p.Publish(context.Background(), azureRecord(twoRegions), "")
	if err != nil {
		t.Fatalf("Publish: %v\n%s", err, log.String())
	}
	if got := statuses(pr); got["eastus"] != record.PublishSucceeded || got["westeurope"] != record.PublishSucceeded || len(got) != 2 {
		t.Fatalf("placements = %v; want both regions published", got)
	}
	for _, pl := range pr.Azure {
		if pl.ID != builtVersion || pl.ReplicaCount != 2 || pl.StorageAccountType != "Premium_LRS" || pl.Shared == nil {
			t.Errorf("placement %+v: want the build's version, 2 Premium_LRS replicas, shared", pl)
		}
	}
	checkConverged(t, g)
	if s := g.Sharing("tkg-images", "tkg_gallery"); s.Permissions != "Groups" || len(s.Subscriptions) != 1 || s.Community {
		t.Errorf("sharing = %+v; want the one subscription, not community", s)
	}
	for _, want := range []string{"westeurope: replicating", "westeurope: completed 100%"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks progress %q:\n%s", want, log.String())
		}
	}

	updates, shares := g.Calls(updateAPI), g.Calls(shareAPI)
	pr, err = p.Publish(context.Background(), azureRecord(twoRegions), "")
	if err != nil {
		t.Fatalf("rerun: %v", err)
	}
	if got := statuses(pr); got["eastus"] != record.PublishReused || got["westeurope"] != record.PublishReused {
		t.Errorf("rerun placements = %v; want both reused", got)
	}
	if g.Calls(updateAPI) != updates || g.Calls(shareAPI) != shares {
		t.Errorf("the rerun updated the version or the sharing again (%d→%d updates, %d→%d shares)", updates, g.Calls(updateAPI), shares, g.Calls(shareAPI))
	}
	checkConverged(t, g)
}

func TestPublishPrivateUnlessAsked(t *testing.T) {
	g := newGallery()
	hints := twoRegions
	hints.Subscriptions = nil
	pr, err := publisher(g, 10*time.Second, io.Discard).Publish(context.Background(), azureRecord(hints), "")
	if err != nil {
		t.Fatal(err)
	}
	if s := g.Sharing("tkg-images", "tkg_gallery"); len(s.Subscriptions) > 0 || len(s.Tenants) > 0 || s.Community || g.Calls(shareAPI) != 0 {
		t.Errorf("sharing = %+v after %d sharing updates; want a gallery shared with nobody, untouched", s, g.Calls(shareAPI))
	}
	for _, pl := range pr.Azure {
		if pl.Shared != nil {
			t.Errorf("%s: shared %+v; want none", pl.Region, pl.Shared)
		}
	}
}

func TestPublishCommunityGallery(t *testing.T) {
	g := newGallery()
	hints := twoRegions
	hints.Subscriptions, hints.Community = nil, true
	g.CreateGallery("tkg-images", "tkg_gallery", "Community")
	if _, err := publisher(g, 10*time.Second, io.Discard).Publish(context.Background(), azureRecord(hints), ""); err != nil {
		t.Fatal(err)
	}
	if s := g.Sharing("tkg-images", "tkg_gallery"); s.Permissions != "Community" || !s.Community {
		t.Errorf("sharing = %+v; want a community gallery", s)
	}
}

// TestPublishSharingNeedsTheGalleryMadeForIt: Azure fixes a gallery's sharing permissions
// when it is made; sharing a gallery made for other sharing fails clean, naming how the
// gallery must be made, with no sharing update sent, while its regions still publish.
func TestPublishSharingNeedsTheGalleryMadeForIt(t *testing.T) {
	tests := []struct {
		name, permissions string
		community         bool
		want              string
	}{
		{"subscriptions, private gallery", "Private", false, "gallery tkg_gallery has sharing permissions Private: sharing with subscriptions or tenants needs a gallery made with permissions Groups (az sig create --permissions groups)"},
		{"subscriptions, community gallery", "Community", false, "needs a gallery made with permissions Groups"},
		{"community, private gallery", "Private", true, "gallery tkg_gallery has sharing permissions Private: a community gallery must be made one (az sig create --permissions community"},
		{"community, groups gallery", "Groups", true, "a community gallery must be made one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGallery()
			g.CreateGallery("tkg-images", "tkg_gallery", tt.permissions)
			hints := twoRegions
			if tt.community {
				hints.Subscriptions, hints.Community = nil, true
			}
			pr, err := publisher(g, 10*time.Second, io.Discard).Publish(context.Background(), azureRecord(hints), "")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Publish error = %v; want one saying %q", err, tt.want)
			}
			if g.Calls(shareAPI) != 0 {
				t.Errorf("%d sharing updates sent to a gallery that cannot take them", g.Calls(shareAPI))
			}
			if s := g.Sharing("tkg-images", "tkg_gallery"); s.Permissions != tt.permissions || len(s.Subscriptions) > 0 || s.Community {
				t.Errorf("sharing = %+v; want the gallery as it was made", s)
			}
			if len(g.Versions()) != 1 {
				t.Errorf("versions %+v; want the one built", g.Versions())
			}
			for _, pl := range pr.Azure {
				if pl.Shared != nil {
					t.Errorf("%s recorded shared %+v", pl.Region, pl.Shared)
				}
			}
		})
	}
}

// TestPublishFaults injects each fault of the fake gallery: every publish completes or fails
// clean (each region with its own status), a rerun without the fault converges, and the
// gallery never holds a second version.
func TestPublishFaults(t *testing.T) {
	tests := []struct {
		name string
		// inject sets the fault; clear lifts it before the rerun.
		inject, clear func(*fakegallery.Gallery)
		// first is what the first publish leaves in each region.
		first map[string]string
		// errs is part of the first publish's error ("" for none).
		errs string
		// updates is how many updates both runs make together.
		updates int
	}{{
		name:    "429 with Retry-After is waited out",
		inject:  func(g *fakegallery.Gallery) { g.Throttle(2, time.Second) },
		clear:   func(*fakegallery.Gallery) {},
		first:   map[string]string{"eastus": record.PublishSucceeded, "westeurope": record.PublishSucceeded},
		updates: 1,
	}, {
		name:    "409 on a concurrent update is tried again",
		inject:  func(g *fakegallery.Gallery) { g.Conflict(2) },
		clear:   func(*fakegallery.Gallery) {},
		first:   map[string]string{"eastus": record.PublishSucceeded, "westeurope": record.PublishSucceeded},
		updates: 3, // two refused, one accepted; the rerun changes nothing
	}, {
		name:    "a region stuck in Replicating past the deadline",
		inject:  func(g *fakegallery.Gallery) { g.Stick("westeurope", true) },
		clear:   func(g *fakegallery.Gallery) { g.Stick("westeurope", false) },
		first:   map[string]string{"eastus": record.PublishSucceeded, "westeurope": record.PublishFailed},
		errs:    "westeurope: still replicating",
		updates: 1, // the rerun waits for the replication under way, it does not start another
	}, {
		name:    "a region fails replication",
		inject:  func(g *fakegallery.Gallery) { g.Fail("westeurope", true) },
		clear:   func(g *fakegallery.Gallery) { g.Fail("westeurope", false) },
		first:   map[string]string{"eastus": record.PublishSucceeded, "westeurope": record.PublishFailed},
		errs:    "westeurope: replication failed",
		updates: 2, // the rerun replicates to westeurope again
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := newGallery()
			tt.inject(g)
			var log syncbuf.Buffer
			p := publisher(g, 400*time.Millisecond, &log)
			pr, err := p.Publish(context.Background(), azureRecord(twoRegions), "")
			if got := statuses(pr); len(got) != 2 || got["eastus"] != tt.first["eastus"] || got["westeurope"] != tt.first["westeurope"] {
				t.Errorf("first publish: placements %v, want %v (error %v)\n%s", got, tt.first, err, log.String())
			}
			if (tt.errs == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.errs)) {
				t.Errorf("first publish: error %v, want one naming %q", err, tt.errs)
			}
			if n := len(g.Versions()); n != 1 {
				t.Fatalf("after the first publish the gallery holds %d versions; want 1", n)
			}

			tt.clear(g)
			p = publisher(g, 10*time.Second, &log)
			pr, err = p.Publish(context.Background(), azureRecord(twoRegions), "")
			if err != nil {
				t.Fatalf("rerun: %v\n%s", err, log.String())
			}
			for region, s := range statuses(pr) {
				if s != record.PublishSucceeded && s != record.PublishReused {
					t.Errorf("rerun: %s %s; want published or reused", region, s)
				}
			}
			checkConverged(t, g)
			if got := g.Calls(updateAPI); got != tt.updates {
				t.Errorf("%d updates of the version; want %d", got, tt.updates)
			}
		})
	}
}

// TestPublishFindsTheVersionByItsTag: a second build of the same key (a rerun of the build
// job) made another version; publish completes the one already tagged and leaves the new
// one alone.
func TestPublishFindsTheVersionByItsTag(t *testing.T) {
	g := fakegallery.New()
	g.CreateGallery("tkg-images", "tkg_gallery", "Groups")
	earlier := fakegallery.VersionID(subscription, "tkg-images", "tkg_gallery", "capi-ubuntu-22.04", "0.3.1731000000")
	g.AddVersion(earlier, "eastus", map[string]string{TagBuildKey: buildKey})
	g.AddVersion(builtVersion, "eastus", nil)
	pr, err := publisher(g, 10*time.Second, io.Discard).Publish(context.Background(), azureRecord(twoRegions), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, pl := range pr.Azure {
		if pl.ID != earlier {
			t.Errorf("%s: published %s; want the tagged %s", pl.Region, pl.ID, earlier)
		}
	}
	for _, v := range g.Versions() {
		if v.ID == builtVersion && (len(v.Regions) != 1 || v.Tags[TagBuildKey] != "") {
			t.Errorf("the untagged version was changed: %+v", v)
		}
	}
}

func TestPublishRefuses(t *testing.T) {
	tests := []struct {
		name string
		rec  func() record.BuildRecord
		seed func(*fakegallery.Gallery)
		want string
	}{{
		name: "another build's version",
		rec:  func() record.BuildRecord { return azureRecord(twoRegions) },
		seed: func(g *fakegallery.Gallery) {
			g.AddVersion(builtVersion, "eastus", map[string]string{TagBuildKey: strings.Repeat("9", 64)})
		},
		want: "carries build key 9999",
	}, {
		name: "a version that is not there",
		rec:  func() record.BuildRecord { return azureRecord(twoRegions) },
		seed: func(*fakegallery.Gallery) {},
		want: "ResourceNotFound",
	}, {
		name: "no region",
		rec:  func() record.BuildRecord { return azureRecord(record.AzureHints{Gallery: "tkg_gallery"}) },
		seed: func(g *fakegallery.Gallery) { g.AddVersion(builtVersion, "eastus", nil) },
		want: "names no Azure region",
	}, {
		name: "a managed image only",
		rec: func() record.BuildRecord {
			r := azureRecord(twoRegions)
			r.Artifacts.Azure = r.Artifacts.Azure[:1]
			return r
		},
		seed: func(g *fakegallery.Gallery) { g.AddVersion(builtVersion, "eastus", nil) },
		want: "no Compute Gallery image version",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := fakegallery.New()
			tt.seed(g)
			_, err := publisher(g, time.Second, io.Discard).Publish(context.Background(), tt.rec(), "")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v; want one saying %q", err, tt.want)
			}
			if g.Calls(updateAPI) != 0 {
				t.Errorf("%d updates made; want none", g.Calls(updateAPI))
			}
		})
	}
}

func TestPlan(t *testing.T) {
	lines, err := DryRunSteps(azureRecord(twoRegions))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"replicate " + builtVersion, "to eastus, westeurope, 2 replicas each, Premium_LRS", "imagegrid.build-key=4790b49c3872", "share gallery tkg_gallery with subscriptions 11111111-2222-3333-4444-555555555555"} {
		if !strings.Contains(strings.Join(lines, "\n"), want) {
			t.Errorf("plan lacks %q:\n%s", want, strings.Join(lines, "\n"))
		}
	}
	if _, err := DryRunSteps(azureRecord(record.AzureHints{})); err == nil || !strings.Contains(err.Error(), "names no Azure region") {
		t.Errorf("a cell without regions: %v", err)
	}
}

// TestRerunAppliesAShareNotYetApplied: the grid shares the gallery after the version was
// published; the rerun shares it and leaves the version alone.
func TestRerunAppliesAShareNotYetApplied(t *testing.T) {
	g := newGallery()
	private := twoRegions
	private.Subscriptions = nil
	if _, err := publisher(g, 10*time.Second, io.Discard).Publish(context.Background(), azureRecord(private), ""); err != nil {
		t.Fatal(err)
	}
	updates := g.Calls(updateAPI)
	pr, err := publisher(g, 10*time.Second, io.Discard).Publish(context.Background(), azureRecord(twoRegions), "")
	if err != nil {
		t.Fatal(err)
	}
	if s := g.Sharing("tkg-images", "tkg_gallery"); len(s.Subscriptions) != 1 || g.Calls(shareAPI) != 1 {
		t.Errorf("sharing %+v after %d sharing updates; want the subscription added once", s, g.Calls(shareAPI))
	}
	if g.Calls(updateAPI) != updates {
		t.Errorf("the rerun updated the version (%d→%d updates)", updates, g.Calls(updateAPI))
	}
	for _, pl := range pr.Azure {
		if pl.Status != record.PublishReused || pl.Shared == nil {
			t.Errorf("%s: %s shared %v; want reused and shared", pl.Region, pl.Status, pl.Shared)
		}
	}
	checkConverged(t, g)
}

// TestPublishGivesUpOnConflicts: an update refused with 409 more often than it is tried
// fails every region with Azure's answer (nothing was done as asked, not even the tags), and
// a rerun converges.
func TestPublishGivesUpOnConflicts(t *testing.T) {
	g := newGallery()
	g.Conflict(conflictTries)
	pr, err := publisher(g, 10*time.Second, io.Discard).Publish(context.Background(), azureRecord(twoRegions), "")
	if err == nil || !strings.Contains(err.Error(), "update 0.3.1732000000") || !strings.Contains(err.Error(), "Conflict") {
		t.Fatalf("error %v; want the 409", err)
	}
	for _, pl := range pr.Azure {
		if pl.Status != record.PublishFailed || !strings.Contains(pl.Error, "Conflict") {
			t.Errorf("%s: %s %q; want failed with the 409", pl.Region, pl.Status, pl.Error)
		}
	}
	if n := g.Calls(updateAPI); n != conflictTries {
		t.Errorf("%d updates tried; want %d", n, conflictTries)
	}
	if _, err := publisher(g, 10*time.Second, io.Discard).Publish(context.Background(), azureRecord(twoRegions), ""); err != nil {
		t.Fatalf("rerun: %v", err)
	}
	checkConverged(t, g)
}
