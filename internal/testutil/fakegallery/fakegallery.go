// Package fakegallery is a stateful Azure Compute Gallery for tests and the local pipeline:
// gallery image versions with their tags, target regions and replication state per region,
// and the galleries' sharing profiles. It is served through armcompute's own fake servers
// (armcompute/v8/fake, plugged into the real clients by azcore's fake transport), so the
// publisher under test runs the SDK's real clients, pipelines, retry policy and pollers.
//
// Faults are injected on the wire: throttling (429 with Retry-After), a conflicting
// concurrent update (409), a region that stays Replicating, a region whose replication
// fails. Replication advances one step per read of the version (a Get; polls of its
// long-running update answer in progress as many times as there are steps), so a test
// decides how far it goes by how often it asks.
package fakegallery

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v8"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v8/fake"
)

// stuckPolls is how many in-progress answers the update of a version with a stuck region
// gives before it would end: more than any test polls before its deadline.
const stuckPolls = 100000

// pollSuffix ends the path of every poll of a long-running operation of the SDK's fake
// servers (azcore internal/pollers/fake, lroStatusURLSuffix).
const pollSuffix = "/get/fake/status"

// Gallery holds the state of every gallery of one fake Azure. Its zero value is not usable;
// call New.
type Gallery struct {
	// Steps is how many reads of a version a region replicates for (default 2).
	Steps int
	// Latency is added to every call, as the round trip to Azure would (for benchmarks).
	Latency time.Duration

	mu        sync.Mutex
	versions  map[string]*version // by lower-cased resource id
	galleries map[string]*gallery // by lower-cased resource group/gallery
	calls     map[string]int      // by API name ("GalleryImageVersionsClient.BeginUpdate")
	throttle  int
	retry     time.Duration
	conflicts int
	stuck     map[string]bool
	failing   map[string]bool
}

type version struct {
	// source is the managed image the version was made from (its storage profile).
	id, location, source string
	tags                 map[string]string
	replicas             int32
	storage              armcompute.StorageAccountType
	targets              []*armcompute.TargetRegion
	regions              map[string]*region
}

type region struct {
	state    armcompute.ReplicationState
	steps    int // reads left before the state changes
	progress int32
	details  string
}

type gallery struct {
	permissions   armcompute.GallerySharingPermissionTypes
	subscriptions []string
	tenants       []string
	community     bool
}

// New returns an empty fake Azure.
func New() *Gallery {
	return &Gallery{Steps: 2, versions: map[string]*version{}, galleries: map[string]*gallery{},
		calls: map[string]int{}, stuck: map[string]bool{}, failing: map[string]bool{}}
}

// VersionID is the resource id of a gallery image version.
func VersionID(subscription, resourceGroup, galleryName, image, name string) string {
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/galleries/%s/images/%s/versions/%s",
		subscription, resourceGroup, galleryName, image, name)
}

var versionPath = regexp.MustCompile(`(?i)^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.Compute/galleries/([^/]+)/images/([^/]+)/versions/([^/]+)`)

// AddVersion adds a gallery image version as Image Builder's build leaves it: replicated to
// the region it was built in only (packer-plugin-azure's shared_image_gallery_destination
// with upstream's replication_regions = AZURE_LOCATION, images/capi/packer/azure/
// azure-sig.json), carrying tags (nil for none). The gallery is private.
func (g *Gallery) AddVersion(id, location string, tags map[string]string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	source := id
	if m := versionPath.FindStringSubmatch(id); m != nil {
		source = fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/images/%s-%s", m[1], m[2], m[4], m[5])
	}
	v := &version{id: id, location: location, source: source, tags: maps.Clone(tags), replicas: 1, storage: armcompute.StorageAccountTypeStandardLRS,
		targets: []*armcompute.TargetRegion{{Name: to.Ptr(location), RegionalReplicaCount: to.Ptr[int32](1), StorageAccountType: to.Ptr(armcompute.StorageAccountTypeStandardLRS)}},
		regions: map[string]*region{norm(location): {state: armcompute.ReplicationStateCompleted, progress: 100}}}
	if v.tags == nil {
		v.tags = map[string]string{}
	}
	g.versions[strings.ToLower(id)] = v
	m := versionPath.FindStringSubmatch(id)
	if m != nil && g.galleries[galleryKey(m[2], m[3])] == nil {
		g.galleries[galleryKey(m[2], m[3])] = &gallery{permissions: armcompute.GallerySharingPermissionTypesPrivate}
	}
}

// CreateGallery makes the gallery as "az sig create --permissions" does: its sharing
// permissions ("Private", "Groups" or "Community") are fixed from then on. A gallery
// AddVersion meets first is Private, as init-sig.sh's "az sig create" without --permissions
// makes it. Azure does not change a gallery's permissions afterwards: "You can't use an
// existing gallery, and the property can't currently be updated" (MicrosoftDocs/
// azure-compute-docs, articles/virtual-machines/share-gallery-direct.md, Prerequisites), and
// "you currently can't migrate a regular gallery to a community gallery" (the community
// gallery note of the same docs).
func (g *Gallery) CreateGallery(resourceGroup, galleryName, permissions string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.galleries[galleryKey(resourceGroup, galleryName)] = &gallery{permissions: armcompute.GallerySharingPermissionTypes(permissions)}
}

// Throttle answers the next n calls with 429 Too Many Requests and a Retry-After header.
func (g *Gallery) Throttle(n int, retryAfter time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.throttle, g.retry = n, retryAfter
}

// Conflict refuses the next n updates of a version with 409 Conflict, as Azure refuses an
// update while another operation on the version is in progress.
func (g *Gallery) Conflict(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.conflicts = n
}

// Stick keeps the replication to region in Replicating (or lets it go on, with false).
func (g *Gallery) Stick(regionName string, stuck bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stuck[norm(regionName)] = stuck
}

// Fail makes the replication to region fail (or succeed again, with false).
func (g *Gallery) Fail(regionName string, failing bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.failing[norm(regionName)] = failing
}

// Calls counts the calls of one API ("GalleryImageVersionsClient.BeginUpdate") so far,
// the polls of long-running operations left out.
func (g *Gallery) Calls(api string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.calls[api]
}

// Version is what the fake holds of one gallery image version.
type Version struct {
	ID   string
	Tags map[string]string
	// Regions maps each target region to its replication state ("Completed" …).
	Regions map[string]string
	// ReplicaCount and StorageAccountType by region, as the targets ask.
	ReplicaCount       map[string]int
	StorageAccountType map[string]string
}

// Versions returns every version the fake holds, sorted by id.
func (g *Gallery) Versions() []Version {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []Version
	for _, k := range slices.Sorted(maps.Keys(g.versions)) {
		v := g.versions[k]
		s := Version{ID: v.id, Tags: maps.Clone(v.tags), Regions: map[string]string{}, ReplicaCount: map[string]int{}, StorageAccountType: map[string]string{}}
		for _, t := range v.targets {
			n := norm(*t.Name)
			s.Regions[n] = string(v.regions[n].state)
			s.ReplicaCount[n] = int(valOr(t.RegionalReplicaCount, v.replicas))
			s.StorageAccountType[n] = string(valOr(t.StorageAccountType, v.storage))
		}
		out = append(out, s)
	}
	return out
}

// Sharing is a gallery's sharing profile.
type Sharing struct {
	Permissions   string
	Subscriptions []string
	Tenants       []string
	Community     bool
}

// Sharing returns the sharing profile of a gallery.
func (g *Gallery) Sharing(resourceGroup, galleryName string) Sharing {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.galleries[galleryKey(resourceGroup, galleryName)]
	if s == nil {
		return Sharing{}
	}
	return Sharing{Permissions: string(s.permissions), Subscriptions: slices.Clone(s.subscriptions), Tenants: slices.Clone(s.tenants), Community: s.community}
}

// Transport is the transport to give the clients (arm.ClientOptions.Transport): the SDK's
// fake servers for galleries, image versions and sharing profiles, with this fake's state
// and faults.
func (g *Gallery) Transport() policy.Transporter {
	inner := fake.NewServerFactoryTransport(&fake.ServerFactory{
		GalleriesServer: fake.GalleriesServer{Get: g.getGallery},
		GalleryImageVersionsServer: fake.GalleryImageVersionsServer{
			Get:                        g.getVersion,
			NewListByGalleryImagePager: g.listVersions,
			BeginUpdate:                g.updateVersion,
		},
		GallerySharingProfileServer: fake.GallerySharingProfileServer{BeginUpdate: g.updateSharing},
	})
	return &transport{g: g, inner: inner}
}

// transport counts calls, adds latency, injects throttling and advances replication on
// every Get of a version, before handing the request to the SDK's fake servers.
type transport struct {
	g     *Gallery
	inner policy.Transporter
}

func (t *transport) Do(req *http.Request) (*http.Response, error) {
	g := t.g
	if g.Latency > 0 {
		select {
		case <-time.After(g.Latency):
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
	}
	api, _ := req.Context().Value(runtime.CtxAPINameKey{}).(string)
	g.mu.Lock()
	if !strings.HasSuffix(req.URL.Path, pollSuffix) {
		g.calls[api]++
	}
	if g.throttle > 0 {
		g.throttle--
		retry := g.retry
		g.mu.Unlock()
		return errorResponse(req, http.StatusTooManyRequests, "TooManyRequests", "The request is being throttled.",
			http.Header{"Retry-After": {strconv.Itoa(int(retry.Round(time.Second) / time.Second))}}), nil
	}
	if req.Method == http.MethodGet {
		if m := versionPath.FindString(req.URL.Path); m != "" && len(m) == len(req.URL.Path) {
			if v := g.versions[strings.ToLower(m)]; v != nil {
				g.step(v)
			}
		}
	}
	g.mu.Unlock()
	return t.inner.Do(req)
}

// errorResponse is an ARM error answer (the body azcore's ResponseError reads).
func errorResponse(req *http.Request, status int, code, message string, header http.Header) *http.Response {
	if header == nil {
		header = http.Header{}
	}
	header.Set("Content-Type", "application/json")
	body := fmt.Sprintf(`{"error":{"code":%q,"message":%q}}`, code, message)
	return &http.Response{StatusCode: status, Status: fmt.Sprintf("%d %s", status, http.StatusText(status)), Header: header,
		Body: io.NopCloser(strings.NewReader(body)), Request: req, ContentLength: int64(len(body))}
}

// step advances the replication of every region of v that is in progress by one read.
func (g *Gallery) step(v *version) {
	for name, r := range v.regions {
		if r.state != armcompute.ReplicationStateReplicating || g.stuck[name] {
			continue
		}
		r.steps--
		r.progress = min(99, r.progress+int32(100/max(g.Steps, 1)))
		if r.steps > 0 {
			continue
		}
		if g.failing[name] {
			r.state, r.details = armcompute.ReplicationStateFailed, "Replication to "+name+" failed: the storage account could not be created."
			continue
		}
		r.state, r.progress, r.details = armcompute.ReplicationStateCompleted, 100, ""
	}
}

// lookup finds a version by its names; when there is none, errResp answers 404 as Azure does.
func (g *Gallery) lookup(rg, galleryName, image, name string, errResp *azfake.ErrorResponder) *version {
	for _, v := range g.versions {
		m := versionPath.FindStringSubmatch(v.id)
		if m != nil && strings.EqualFold(m[2], rg) && strings.EqualFold(m[3], galleryName) && strings.EqualFold(m[4], image) && strings.EqualFold(m[5], name) {
			return v
		}
	}
	errResp.SetResponseError(http.StatusNotFound, "ResourceNotFound")
	return nil
}

// model is the version as Azure answers it; with status, its replication status too
// (the answer to $expand=ReplicationStatus).
func (g *Gallery) model(v *version, status bool) armcompute.GalleryImageVersion {
	tags := map[string]*string{}
	for k, val := range v.tags {
		tags[k] = to.Ptr(val)
	}
	targets := make([]*armcompute.TargetRegion, len(v.targets))
	for i, t := range v.targets {
		c := *t
		targets[i] = &c
	}
	props := &armcompute.GalleryImageVersionProperties{
		StorageProfile:    &armcompute.GalleryImageVersionStorageProfile{Source: &armcompute.GalleryArtifactVersionFullSource{ID: to.Ptr(v.source)}},
		PublishingProfile: &armcompute.GalleryImageVersionPublishingProfile{ReplicaCount: to.Ptr(v.replicas), StorageAccountType: to.Ptr(v.storage), TargetRegions: targets},
		ProvisioningState: to.Ptr(provisioning(v)),
	}
	if status {
		rs := &armcompute.ReplicationStatus{AggregatedState: to.Ptr(aggregated(v))}
		for _, t := range v.targets {
			r := v.regions[norm(*t.Name)]
			s := &armcompute.RegionalReplicationStatus{Region: t.Name, State: to.Ptr(r.state), Progress: to.Ptr(r.progress)}
			if r.details != "" {
				s.Details = to.Ptr(r.details)
			}
			rs.Summary = append(rs.Summary, s)
		}
		props.ReplicationStatus = rs
	}
	name := v.id[strings.LastIndex(v.id, "/")+1:]
	return armcompute.GalleryImageVersion{ID: to.Ptr(v.id), Name: to.Ptr(name), Location: to.Ptr(v.location), Tags: tags,
		Type: to.Ptr("Microsoft.Compute/galleries/images/versions"), Properties: props}
}

func provisioning(v *version) armcompute.GalleryProvisioningState {
	switch aggregated(v) {
	case armcompute.AggregatedReplicationStateInProgress:
		return armcompute.GalleryProvisioningStateUpdating
	case armcompute.AggregatedReplicationStateFailed:
		return armcompute.GalleryProvisioningStateFailed
	}
	return armcompute.GalleryProvisioningStateSucceeded
}

func aggregated(v *version) armcompute.AggregatedReplicationState {
	state := armcompute.AggregatedReplicationStateCompleted
	for _, r := range v.regions {
		switch r.state {
		case armcompute.ReplicationStateReplicating:
			return armcompute.AggregatedReplicationStateInProgress
		case armcompute.ReplicationStateFailed:
			state = armcompute.AggregatedReplicationStateFailed
		}
	}
	return state
}

func (g *Gallery) getVersion(_ context.Context, rg, galleryName, image, name string, o *armcompute.GalleryImageVersionsClientGetOptions) (resp azfake.Responder[armcompute.GalleryImageVersionsClientGetResponse], errResp azfake.ErrorResponder) {
	g.mu.Lock()
	defer g.mu.Unlock()
	v := g.lookup(rg, galleryName, image, name, &errResp)
	if v == nil {
		return
	}
	expand := o != nil && o.Expand != nil && *o.Expand == armcompute.ReplicationStatusTypesReplicationStatus
	resp.SetResponse(http.StatusOK, armcompute.GalleryImageVersionsClientGetResponse{GalleryImageVersion: g.model(v, expand)}, nil)
	return
}

func (g *Gallery) listVersions(rg, galleryName, image string, _ *armcompute.GalleryImageVersionsClientListByGalleryImageOptions) (resp azfake.PagerResponder[armcompute.GalleryImageVersionsClientListByGalleryImageResponse]) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var page armcompute.GalleryImageVersionList
	for _, k := range slices.Sorted(maps.Keys(g.versions)) {
		v := g.versions[k]
		m := versionPath.FindStringSubmatch(v.id)
		if m != nil && strings.EqualFold(m[2], rg) && strings.EqualFold(m[3], galleryName) && strings.EqualFold(m[4], image) {
			vm := g.model(v, false)
			page.Value = append(page.Value, &vm)
		}
	}
	resp.AddPage(http.StatusOK, armcompute.GalleryImageVersionsClientListByGalleryImageResponse{GalleryImageVersionList: page}, nil)
	return
}

// updateVersion applies a PATCH: tags replace the version's when given; target regions
// replace its targets, and a region new to them, failed, or asked for with other replicas
// or storage starts replicating anew. The long-running operation ends when every region
// has (or stays in progress while one is stuck), failed when one failed.
func (g *Gallery) updateVersion(_ context.Context, rg, galleryName, image, name string, u armcompute.GalleryImageVersionUpdate, _ *armcompute.GalleryImageVersionsClientBeginUpdateOptions) (resp azfake.PollerResponder[armcompute.GalleryImageVersionsClientUpdateResponse], errResp azfake.ErrorResponder) {
	g.mu.Lock()
	defer g.mu.Unlock()
	v := g.lookup(rg, galleryName, image, name, &errResp)
	if v == nil || !g.updatable(v, u, &errResp) {
		return
	}
	if u.Tags != nil {
		v.tags = map[string]string{}
		for k, val := range u.Tags {
			v.tags[k] = valOr(val, "")
		}
	}
	if pp := u.Properties.PublishingProfile; pp != nil {
		v.replicas = valOr(pp.ReplicaCount, v.replicas)
		v.storage = valOr(pp.StorageAccountType, v.storage)
		if pp.TargetRegions != nil {
			g.retarget(v, pp.TargetRegions)
		}
	}
	g.script(v, &resp)
	return
}

// updatable refuses, as Azure would, an update of v while a conflict is injected, one
// without the storage profile the REST API requires (armcompute's
// GalleryImageVersionProperties.StorageProfile is REQUIRED), and one while v replicates.
func (g *Gallery) updatable(v *version, u armcompute.GalleryImageVersionUpdate, errResp *azfake.ErrorResponder) bool {
	switch {
	case g.conflicts > 0:
		g.conflicts--
		errResp.SetResponseError(http.StatusConflict, "Conflict")
	case u.Properties == nil || u.Properties.StorageProfile == nil:
		errResp.SetResponseError(http.StatusBadRequest, "InvalidParameter")
	case aggregated(v) == armcompute.AggregatedReplicationStateInProgress:
		errResp.SetResponseError(http.StatusConflict, "OperationNotAllowed")
	default:
		return true
	}
	return false
}

// retarget gives v new target regions: a region new to them, failed, or asked for with other
// replicas or storage starts replicating anew; the others keep their state.
func (g *Gallery) retarget(v *version, targets []*armcompute.TargetRegion) {
	old := map[string]*armcompute.TargetRegion{}
	for _, t := range v.targets {
		old[norm(*t.Name)] = t
	}
	regions := map[string]*region{}
	for _, t := range targets {
		n := norm(valOr(t.Name, ""))
		r, prev := v.regions[n], old[n]
		if r == nil || r.state == armcompute.ReplicationStateFailed || prev == nil ||
			valOr(prev.RegionalReplicaCount, v.replicas) != valOr(t.RegionalReplicaCount, v.replicas) ||
			valOr(prev.StorageAccountType, v.storage) != valOr(t.StorageAccountType, v.storage) {
			r = &region{state: armcompute.ReplicationStateReplicating, steps: max(g.Steps, 1)}
		}
		regions[n] = r
	}
	v.targets, v.regions = targets, regions
}

// script writes the answers of v's update: in progress for as many polls as a region
// replicates (for ever while one is stuck), then failed when a region fails, else done.
func (g *Gallery) script(v *version, resp *azfake.PollerResponder[armcompute.GalleryImageVersionsClientUpdateResponse]) {
	polls := max(g.Steps, 1)
	var failing bool
	for n, r := range v.regions {
		if g.stuck[n] && r.state == armcompute.ReplicationStateReplicating {
			polls = stuckPolls
		}
		failing = failing || (g.failing[n] && r.state == armcompute.ReplicationStateReplicating)
	}
	for range polls {
		resp.AddNonTerminalResponse(http.StatusOK, nil)
	}
	if failing {
		resp.SetTerminalError(http.StatusInternalServerError, "ReplicationFailed")
		return
	}
	resp.SetTerminalResponse(http.StatusOK, armcompute.GalleryImageVersionsClientUpdateResponse{GalleryImageVersion: g.model(v, false)}, nil)
}

func (g *Gallery) getGallery(_ context.Context, rg, galleryName string, _ *armcompute.GalleriesClientGetOptions) (resp azfake.Responder[armcompute.GalleriesClientGetResponse], errResp azfake.ErrorResponder) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.gallery(rg, galleryName, &errResp)
	if s == nil {
		return
	}
	profile := &armcompute.SharingProfile{Permissions: to.Ptr(s.permissions)}
	if len(s.subscriptions) > 0 {
		profile.Groups = append(profile.Groups, &armcompute.SharingProfileGroup{Type: to.Ptr(armcompute.SharingProfileGroupTypesSubscriptions), IDs: to.SliceOfPtrs(s.subscriptions...)})
	}
	if len(s.tenants) > 0 {
		profile.Groups = append(profile.Groups, &armcompute.SharingProfileGroup{Type: to.Ptr(armcompute.SharingProfileGroupTypesAADTenants), IDs: to.SliceOfPtrs(s.tenants...)})
	}
	if s.permissions == armcompute.GallerySharingPermissionTypesCommunity {
		profile.CommunityGalleryInfo = &armcompute.CommunityGalleryInfo{CommunityGalleryEnabled: to.Ptr(s.community)}
	}
	resp.SetResponse(http.StatusOK, armcompute.GalleriesClientGetResponse{Gallery: armcompute.Gallery{
		Name: to.Ptr(galleryName), Properties: &armcompute.GalleryProperties{SharingProfile: profile},
	}}, nil)
	return
}

// updateSharing applies a gallery sharing update as Azure does: Add shares a gallery made
// with permissions Groups with subscriptions and tenants, EnableCommunity publishes a gallery
// made with permissions Community, Reset empties the sharing profile. The permissions
// themselves never change (CreateGallery); an operation the gallery was not made for is
// refused with 409 OperationNotAllowed (the fake's choice of code: the documentation read
// names the rule, not the error).
func (g *Gallery) updateSharing(_ context.Context, rg, galleryName string, u armcompute.SharingUpdate, _ *armcompute.GallerySharingProfileClientBeginUpdateOptions) (resp azfake.PollerResponder[armcompute.GallerySharingProfileClientUpdateResponse], errResp azfake.ErrorResponder) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.gallery(rg, galleryName, &errResp)
	if s == nil {
		return
	}
	switch valOr(u.OperationType, "") {
	case armcompute.SharingUpdateOperationTypesAdd:
		if s.permissions != armcompute.GallerySharingPermissionTypesGroups {
			errResp.SetResponseError(http.StatusConflict, "OperationNotAllowed")
			return
		}
		for _, grp := range u.Groups {
			ids := valOr(grp.Type, "") // the list the group adds to
			for _, id := range grp.IDs {
				switch ids {
				case armcompute.SharingProfileGroupTypesSubscriptions:
					s.subscriptions = addOnce(s.subscriptions, *id)
				case armcompute.SharingProfileGroupTypesAADTenants:
					s.tenants = addOnce(s.tenants, *id)
				}
			}
		}
	case armcompute.SharingUpdateOperationTypesEnableCommunity:
		if s.permissions != armcompute.GallerySharingPermissionTypesCommunity {
			errResp.SetResponseError(http.StatusConflict, "OperationNotAllowed")
			return
		}
		s.community = true
	case armcompute.SharingUpdateOperationTypesReset:
		*s = gallery{permissions: s.permissions}
	default:
		errResp.SetResponseError(http.StatusBadRequest, "InvalidParameter")
		return
	}
	resp.AddNonTerminalResponse(http.StatusOK, nil)
	resp.SetTerminalResponse(http.StatusOK, armcompute.GallerySharingProfileClientUpdateResponse{SharingUpdate: u}, nil)
	return
}

func addOnce(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// gallery finds a gallery by its names; when there is none, errResp answers 404.
func (g *Gallery) gallery(rg, galleryName string, errResp *azfake.ErrorResponder) *gallery {
	s := g.galleries[galleryKey(rg, galleryName)]
	if s == nil {
		errResp.SetResponseError(http.StatusNotFound, "ResourceNotFound")
	}
	return s
}

func galleryKey(rg, galleryName string) string { return strings.ToLower(rg + "/" + galleryName) }

// norm is a region's name as Azure compares them ("East US" and "eastus" are one region).
func norm(regionName string) string {
	return strings.ToLower(strings.ReplaceAll(regionName, " ", ""))
}

// valOr is *p, or or when p is nil.
func valOr[T any](p *T, or T) T {
	if p == nil {
		return or
	}
	return *p
}
