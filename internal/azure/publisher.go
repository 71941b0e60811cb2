// Package azure publishes Compute Gallery image versions: it takes the version a build made
// (in the grid's gallery, replicated to the build's region only), replicates it to every
// region the cell names with the grid's replica count and storage account type, tags it with
// the build key and the cell, and shares the gallery as the grid says. A version already
// tagged with the build key is completed, never made twice; each region's result lands in the
// publish record on its own.
package azure

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v8"

	"github.com/imagegrid/imagegrid/internal/publish"
	"github.com/imagegrid/imagegrid/internal/publishconfig"
	"github.com/imagegrid/imagegrid/internal/record"
)

var _ publish.Interface = (*Publisher)(nil)

// Tags imagegrid sets on every gallery image version it publishes. Azure tag names may not
// hold ':' the way AWS's do, hence the dots.
const (
	TagBuildKey = "imagegrid.build-key"
	TagCell     = "imagegrid.cell"
)

// conflictTries bounds the tries of an update Azure refuses with 409 Conflict (another
// operation on the version is in progress).
const conflictTries = 5

// Options tune a Publisher.
type Options struct {
	// Log receives progress lines when the context of a Publish carries no log of its own
	// (publish.WithLog); nil discards them.
	Log io.Writer
	// Client are the ARM clients' options: the cloud, retries, and in tests the transport
	// of a fake. Nil means Azure's public cloud with the SDK's retry policy (which waits as
	// long as a 429's Retry-After says).
	Client *arm.ClientOptions
}

// Publisher publishes gallery image versions with one credential. It is safe for
// concurrent use.
type Publisher struct {
	cfg  *publishconfig.Azure
	cred azcore.TokenCredential
	opts Options

	mu        sync.Mutex
	factories map[string]*armcompute.ClientFactory // by subscription
}

// New returns a Publisher that signs its requests with cred.
func New(cfg *publishconfig.Azure, cred azcore.TokenCredential, opts Options) *Publisher {
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	return &Publisher{cfg: cfg, cred: cred, opts: opts, factories: map[string]*armcompute.ClientFactory{}}
}

// Target is where a cell's version goes and who may use it.
type Target struct {
	Regions            []string
	ReplicaCount       int
	StorageAccountType string
	Sharing            record.AzureSharing
}

// TargetFor reads a cell's Azure publish hints: the grid's regions, replicas and sharing.
// The replica count defaults to 1 and the storage to Standard_LRS, as Azure's do.
func TargetFor(cell record.Cell) Target {
	h := cell.Publish.Azure
	if h == nil {
		return Target{ReplicaCount: 1, StorageAccountType: string(armcompute.StorageAccountTypeStandardLRS)}
	}
	var regions []string
	for _, r := range h.Regions {
		if !slices.ContainsFunc(regions, func(s string) bool { return normRegion(s) == normRegion(r) }) {
			regions = append(regions, r)
		}
	}
	return Target{
		Regions:            regions,
		ReplicaCount:       cmp.Or(h.ReplicaCount, 1),
		StorageAccountType: cmp.Or(h.StorageAccountType, string(armcompute.StorageAccountTypeStandardLRS)),
		Sharing:            record.AzureSharing{Subscriptions: h.Subscriptions, Tenants: h.Tenants, Community: h.Community},
	}
}

func (t Target) shared() bool {
	return t.Sharing.Community || len(t.Sharing.Subscriptions)+len(t.Sharing.Tenants) > 0
}

// Publish replicates the build's gallery image version to every region of the cell, tags and
// shares it. Every region gets a placement with its own status; the error lists the regions
// that failed.
func (p *Publisher) Publish(ctx context.Context, rec record.BuildRecord, _ string) (record.PublishRecord, error) {
	src, err := sourceVersion(rec)
	if err != nil {
		return record.PublishRecord{}, err
	}
	target := TargetFor(rec.Cell)
	if len(target.Regions) == 0 {
		return record.PublishRecord{}, fmt.Errorf("cell %s names no Azure region: set azure.regions in a settings rule of the grid", rec.Cell.ID)
	}
	w := publish.Log(ctx, p.opts.Log)
	logf := func(format string, args ...any) {
		fmt.Fprintf(w, "azure: %s: %s\n", rec.Cell.ID, fmt.Sprintf(format, args...))
	}
	f, err := p.factory(src.Subscription)
	if err != nil {
		return failAll(target, src.String(), err), err
	}
	job := &job{p: p, rec: rec, target: target, versions: f.NewGalleryImageVersionsClient(), logf: logf}
	id, err := job.find(ctx, src)
	if err != nil {
		return failAll(target, src.String(), err), err
	}
	changed, lroErr := job.replicate(ctx, id)
	if lroErr != nil {
		logf("%s: %v", id.Name, lroErr)
	}
	var refused notUpdated
	if errors.As(lroErr, &refused) {
		return failAll(target, id.String(), lroErr), lroErr
	}
	status, err := job.status(context.WithoutCancel(ctx), id)
	if err != nil {
		return failAll(target, id.String(), errors.Join(lroErr, err)), errors.Join(lroErr, err)
	}
	var shareErr error
	if target.shared() {
		if shareErr = p.share(ctx, f, id, target.Sharing, logf); shareErr != nil {
			logf("failed: %v", shareErr)
		}
	}
	out := record.PublishRecord{Azure: job.placements(id, status, changed, shareErr)}
	if failed := publish.FailedRegions(out); len(failed) > 0 {
		return out, fmt.Errorf("%s: %d of %d regions failed: %s", id, len(failed), len(out.Azure), strings.Join(failed, "; "))
	}
	return out, nil
}

// failAll is the record of a publish that failed before any region was worked on.
func failAll(t Target, id string, err error) record.PublishRecord {
	var out record.PublishRecord
	for _, r := range t.Regions {
		out.Azure = append(out.Azure, record.AzurePlacement{ID: id, Region: r, ReplicaCount: t.ReplicaCount, StorageAccountType: t.StorageAccountType,
			Status: record.PublishFailed, Error: err.Error()})
	}
	return out
}

// job is the publish of one build record's version.
type job struct {
	p        *Publisher
	rec      record.BuildRecord
	target   Target
	versions *armcompute.GalleryImageVersionsClient
	logf     func(string, ...any)
}

// find returns the version to publish: the version of the build's image already tagged with
// the build key when there is one (a run before this one published it, or began to), else
// the version the build recorded. A recorded version tagged with another build key is
// refused: it is another build's.
func (j *job) find(ctx context.Context, src versionID) (versionID, error) {
	var tagged []string
	pager := j.versions.NewListByGalleryImagePager(src.ResourceGroup, src.Gallery, src.Image, nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return src, fmt.Errorf("look for a version of %s/%s with build key %s: %w", src.Gallery, src.Image, j.rec.Cell.ShortKey(), err)
		}
		for _, v := range page.Value {
			if v != nil && v.Name != nil && tag(v.Tags, TagBuildKey) == j.rec.BuildKey {
				tagged = append(tagged, *v.Name)
			}
		}
	}
	slices.Sort(tagged)
	switch {
	case slices.Contains(tagged, src.Name):
		return src, nil
	case len(tagged) > 0:
		j.logf("version %s of %s already carries build key %s; publishing it, not the build's %s", tagged[0], src.Image, j.rec.Cell.ShortKey(), src.Name)
		return src.withName(tagged[0]), nil
	}
	got, err := j.versions.Get(ctx, src.ResourceGroup, src.Gallery, src.Image, src.Name, nil)
	if err != nil {
		return src, fmt.Errorf("the build's version %s: %w", src, err)
	}
	if other := tag(got.Tags, TagBuildKey); other != "" {
		return src, fmt.Errorf("the build's version %s carries build key %s of another build", src, other)
	}
	return src, nil
}

func tag(tags map[string]*string, key string) string {
	if v, ok := tags[key]; ok && v != nil {
		return *v
	}
	return ""
}

// replicate makes the version's tags and target regions what the cell asks, and waits, up to
// the configured deadline, until every region has replicated. changed says it updated the
// version; the error is the update's or the wait's.
func (j *job) replicate(ctx context.Context, id versionID) (changed bool, err error) {
	cur, err := j.get(ctx, id)
	if err != nil {
		return false, err
	}
	update, why := j.update(cur)
	wctx, cancel := context.WithTimeout(ctx, j.p.cfg.WaitTimeout)
	defer cancel()
	var poller *updatePoller
	if update != nil {
		j.logf("%s: %s", id.Name, why)
		if poller, err = j.begin(wctx, id, *update); err != nil {
			return false, notUpdated{err}
		}
	}
	err = j.wait(wctx, id, poller)
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		err = fmt.Errorf("replication not finished after %s (azure.waitTimeout)", j.p.cfg.WaitTimeout)
	}
	return update != nil, err
}

// notUpdated is an update Azure did not take: nothing the cell asks was done (not even the
// tags), so no region is as asked.
type notUpdated struct{ error }

func (e notUpdated) Unwrap() error { return e.error }

// updatePoller polls the long-running update of a version.
type updatePoller = runtime.Poller[armcompute.GalleryImageVersionsClientUpdateResponse]

// update is the PATCH that gives the version what the cell asks, or nil when it has it all:
// the build key and cell tags (kept beside the version's own), every target region with the
// grid's replicas and storage (regions it replicates to already stay: one of them is the
// version's own), and a new try for a region whose replication failed.
func (j *job) update(cur armcompute.GalleryImageVersion) (*armcompute.GalleryImageVersionUpdate, string) {
	var why []string
	tags := map[string]*string{}
	for k, v := range cur.Tags {
		tags[k] = v
	}
	if tag(tags, TagBuildKey) != j.rec.BuildKey || tag(tags, TagCell) != j.rec.Cell.ID {
		why = append(why, "tag it with build key "+j.rec.Cell.ShortKey())
	}
	tags[TagBuildKey], tags[TagCell] = to.Ptr(j.rec.BuildKey), to.Ptr(j.rec.Cell.ID)
	props := valOr(cur.Properties, armcompute.GalleryImageVersionProperties{})
	targets, targetsWhy := j.targets(valOr(props.PublishingProfile, armcompute.GalleryImageVersionPublishingProfile{}).TargetRegions, replication(cur))
	why = append(why, targetsWhy...)
	if len(why) == 0 {
		return nil, ""
	}
	return &armcompute.GalleryImageVersionUpdate{
		Tags: tags,
		// The version's own storage profile: an update's properties are the create's
		// GalleryImageVersionProperties, whose StorageProfile is REQUIRED (armcompute v8
		// models.go, generated from azure-rest-api-specs).
		Properties: &armcompute.GalleryImageVersionProperties{StorageProfile: props.StorageProfile,
			PublishingProfile: &armcompute.GalleryImageVersionPublishingProfile{TargetRegions: targets}},
	}, strings.Join(why, "; ")
}

// targets are the target regions the version needs, from those it has and their replication
// states, and what changes: the cell's regions with its replicas and storage, then the
// version's other regions as they are.
func (j *job) targets(existing []*armcompute.TargetRegion, states map[string]regionState) ([]*armcompute.TargetRegion, []string) {
	replicas := int32(j.target.ReplicaCount)
	storage := armcompute.StorageAccountType(j.target.StorageAccountType)
	var targets []*armcompute.TargetRegion
	var add, retry, why []string
	for _, r := range j.target.Regions {
		targets = append(targets, &armcompute.TargetRegion{Name: to.Ptr(r), RegionalReplicaCount: to.Ptr(replicas), StorageAccountType: to.Ptr(storage)})
		i := slices.IndexFunc(existing, func(e *armcompute.TargetRegion) bool { return e.Name != nil && normRegion(*e.Name) == normRegion(r) })
		switch {
		case i < 0 || valOr(existing[i].RegionalReplicaCount, 1) != replicas || valOr(existing[i].StorageAccountType, armcompute.StorageAccountTypeStandardLRS) != storage:
			add = append(add, r)
		case states[normRegion(r)].state == armcompute.ReplicationStateFailed:
			retry = append(retry, r)
		}
	}
	for _, e := range existing {
		if e.Name != nil && !slices.ContainsFunc(j.target.Regions, func(r string) bool { return normRegion(r) == normRegion(*e.Name) }) {
			targets = append(targets, e)
		}
	}
	if len(add) > 0 {
		why = append(why, fmt.Sprintf("replicate to %s (%d replicas, %s)", strings.Join(add, ", "), replicas, storage))
	}
	if len(retry) > 0 {
		why = append(why, "replicate again to "+strings.Join(retry, ", ")+", where it failed")
	}
	return targets, why
}

// begin starts the update. Azure refuses an update with 409 Conflict while another
// operation on the version runs (another publish, a replication still going); it is tried
// again after the poll interval, a few times.
func (j *job) begin(ctx context.Context, id versionID, u armcompute.GalleryImageVersionUpdate) (*updatePoller, error) {
	for try := 1; ; try++ {
		poller, err := j.versions.BeginUpdate(ctx, id.ResourceGroup, id.Gallery, id.Image, id.Name, u, nil)
		if err == nil {
			return poller, nil
		}
		var re *azcore.ResponseError
		if !errors.As(err, &re) || re.StatusCode != http.StatusConflict || try == conflictTries {
			return nil, fmt.Errorf("update %s: %w", id.Name, err)
		}
		j.logf("%s: update refused (409 %s), another operation is in progress; trying again in %s", id.Name, re.ErrorCode, j.p.cfg.PollInterval)
		if err := sleep(ctx, j.p.cfg.PollInterval); err != nil {
			return nil, err
		}
	}
}

// wait polls the update (when there is one) and the version's replication status every
// poll interval, logging each region's progress as it changes, until the update is done
// or, without one, no region is replicating any more.
func (j *job) wait(ctx context.Context, id versionID, poller *updatePoller) error {
	seen := map[string]string{}
	var lroErr error
	for {
		done := true
		if poller != nil && !poller.Done() {
			if _, err := poller.Poll(ctx); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				lroErr = fmt.Errorf("update %s: %w", id.Name, err)
			}
			done = lroErr != nil || poller.Done()
		}
		cur, err := j.get(ctx, id)
		if err != nil {
			return errors.Join(lroErr, err)
		}
		for _, r := range j.target.Regions {
			s := replication(cur)[normRegion(r)]
			line := fmt.Sprintf("%s %d%%", strings.ToLower(string(s.state)), s.progress)
			if s.state == "" {
				line = "not a target region yet"
			}
			if seen[r] != line {
				seen[r] = line
				j.logf("%s: %s: %s", id.Name, r, line)
			}
			if poller == nil && s.state == armcompute.ReplicationStateReplicating {
				done = false
			}
		}
		if done {
			return lroErr
		}
		if err := sleep(ctx, j.p.cfg.PollInterval); err != nil {
			return err
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// regionState is one region's replication as the version reports it.
type regionState struct {
	state    armcompute.ReplicationState
	progress int32
	details  string
}

// replication reads a version's replication status ($expand=ReplicationStatus) by region.
func replication(v armcompute.GalleryImageVersion) map[string]regionState {
	out := map[string]regionState{}
	if v.Properties == nil || v.Properties.ReplicationStatus == nil {
		return out
	}
	for _, s := range v.Properties.ReplicationStatus.Summary {
		if s != nil && s.Region != nil {
			out[normRegion(*s.Region)] = regionState{state: valOr(s.State, armcompute.ReplicationStateUnknown), progress: valOr(s.Progress, 0), details: valOr(s.Details, "")}
		}
	}
	return out
}

func (j *job) get(ctx context.Context, id versionID) (armcompute.GalleryImageVersion, error) {
	got, err := j.versions.Get(ctx, id.ResourceGroup, id.Gallery, id.Image, id.Name,
		&armcompute.GalleryImageVersionsClientGetOptions{Expand: to.Ptr(armcompute.ReplicationStatusTypesReplicationStatus)})
	if err != nil {
		return armcompute.GalleryImageVersion{}, fmt.Errorf("get %s: %w", id, err)
	}
	return got.GalleryImageVersion, nil
}

// status reads the version's replication once more, when the wait is over (for whatever
// reason): it is what the publish record says of each region.
func (j *job) status(ctx context.Context, id versionID) (map[string]regionState, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cur, err := j.get(ctx, id)
	if err != nil {
		return nil, err
	}
	return replication(cur), nil
}

// placements says what happened in each target region: replicated (published, or reused when
// this run changed nothing), failed with Azure's details, still replicating when the wait
// ended (failed; a rerun waits for it again), or not a target at all.
func (j *job) placements(id versionID, status map[string]regionState, changed bool, shareErr error) []record.AzurePlacement {
	out := make([]record.AzurePlacement, 0, len(j.target.Regions))
	for _, r := range j.target.Regions {
		pl := record.AzurePlacement{ID: id.String(), Region: r, ReplicaCount: j.target.ReplicaCount, StorageAccountType: j.target.StorageAccountType, Status: record.PublishFailed}
		s, ok := status[normRegion(r)]
		switch {
		case !ok:
			pl.Error = "not a target region of the version"
		case s.state == armcompute.ReplicationStateCompleted && shareErr != nil:
			pl.Error = shareErr.Error()
		case s.state == armcompute.ReplicationStateCompleted:
			pl.Status = record.PublishSucceeded
			if !changed {
				pl.Status = record.PublishReused
			}
			if j.target.shared() {
				pl.Shared = &j.target.Sharing
			}
		case s.state == armcompute.ReplicationStateReplicating:
			pl.Error = fmt.Sprintf("still replicating (%d%%) after %s (azure.waitTimeout); a rerun waits for it", s.progress, j.p.cfg.WaitTimeout)
		default:
			pl.Error = fmt.Sprintf("replication %s", strings.ToLower(string(s.state)))
			if s.details != "" {
				pl.Error += ": " + s.details
			}
		}
		j.logf("%s: %s: %s", id.Name, r, cmp.Or(pl.Error, pl.Status))
		out = append(out, pl)
	}
	return out
}

func valOr[T any](p *T, or T) T {
	if p == nil {
		return or
	}
	return *p
}

// factory returns the ARM clients of a subscription.
func (p *Publisher) factory(subscription string) (*armcompute.ClientFactory, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if f, ok := p.factories[subscription]; ok {
		return f, nil
	}
	f, err := armcompute.NewClientFactory(subscription, p.cred, p.opts.Client)
	if err != nil {
		return nil, fmt.Errorf("azure clients for subscription %s: %w", subscription, err)
	}
	p.factories[subscription] = f
	return f, nil
}

// Close does nothing: ARM clients hold no sessions.
func (p *Publisher) Close() error { return nil }
