// Package aws publishes AMIs: it copies a build's source AMI to every requested region in
// parallel (bounded), waits for each copy with a deadline, tags the copies and their
// snapshots (CopyImage does not carry tags) and grants launch permissions. An AMI already
// tagged with the build key in a region is reused; throttling is retried.
package aws

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/imagegrid/imagegrid/internal/publish"
	"github.com/imagegrid/imagegrid/internal/publishconfig"
	"github.com/imagegrid/imagegrid/internal/record"
)

var _ publish.Interface = (*Publisher)(nil)

// Tags imagegrid adds to every AMI it publishes (and its snapshots).
const (
	TagBuildKey = "imagegrid:build-key"
	TagCell     = "imagegrid:cell"
	TagSource   = "imagegrid:source"
)

// Options tune a Publisher. The zero value is usable.
type Options struct {
	// Log receives progress lines when the context of a Publish carries no log of its own
	// (publish.WithLog); nil discards them.
	Log io.Writer
	// Endpoint replaces the EC2 endpoint of every region (e.g. a local moto server).
	Endpoint string
	// MaxAttempts bounds the tries of one API call, throttled and 5xx ones retried
	// (default 12).
	MaxAttempts int
	// MaxBackoff caps the pause between tries (default 20s).
	MaxBackoff time.Duration
}

// Publisher copies, tags and shares AMIs for one AWS account. It is safe for concurrent use:
// the records of a run are published at once and share the account's cfg.Parallel slots.
type Publisher struct {
	cfg  *publishconfig.AWS
	base awssdk.Config
	opts Options
	// slots bound the regions worked on at once, across every record of the account. A
	// region holds one while it calls the API, not while it waits for a copy: the copy runs
	// in AWS, and a slot held for its minutes would serialise the regions behind it.
	slots chan struct{}

	mu      sync.Mutex
	clients map[string]*ec2.Client
}

// New returns a Publisher; base carries the credentials (the SDK's default chain).
func New(cfg *publishconfig.AWS, base awssdk.Config, opts Options) *Publisher {
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 12
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 20 * time.Second
	}
	return &Publisher{cfg: cfg, base: base, opts: opts, slots: make(chan struct{}, max(cfg.Parallel, 1)), clients: map[string]*ec2.Client{}}
}

// Target is where one build's AMI goes and who may launch it.
type Target struct {
	Regions []string
	Sharing record.AMISharing
}

// TargetFor applies a cell's AWS publish hints to the configuration: regions named by the
// hints replace the configured ones; the hints' sharing adds to the configured sharing.
func TargetFor(cfg *publishconfig.AWS, cell record.Cell) Target {
	t := Target{Regions: cfg.Regions, Sharing: record.AMISharing{
		Accounts: cfg.Accounts, Organizations: cfg.Organizations, OrganizationalUnits: cfg.OrganizationalUnits, Public: cfg.Public,
	}}
	if h := cell.Publish.AWS; h != nil {
		if len(h.Regions) > 0 {
			t.Regions = h.Regions
		}
		t.Sharing.Accounts = union(t.Sharing.Accounts, h.Accounts)
		t.Sharing.Organizations = union(t.Sharing.Organizations, h.Organizations)
		t.Sharing.OrganizationalUnits = union(t.Sharing.OrganizationalUnits, h.OrganizationalUnits)
		t.Sharing.Public = t.Sharing.Public || h.Public
	}
	t.Regions = union(nil, t.Regions)
	return t
}

func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// Publish places the build's AMI in every target region, all at once but at most cfg.Parallel
// regions of the account calling the API at a time (waiting for a copy takes no slot). Every
// region gets a placement with its own status; the error lists the regions that failed.
func (p *Publisher) Publish(ctx context.Context, rec record.BuildRecord, _ string) (record.PublishRecord, error) {
	if len(rec.Artifacts.AMI) == 0 {
		return record.PublishRecord{}, fmt.Errorf("build record of %s has no AMI artifact", rec.Cell.ID)
	}
	target := TargetFor(p.cfg, rec.Cell)
	sources := p.sources(ctx, rec.Artifacts.AMI)
	placements := make([]record.AMIPlacement, len(target.Regions))
	var wg sync.WaitGroup
	for i, region := range target.Regions {
		wg.Go(func() {
			placements[i] = p.region(ctx, rec, sources, region, target.Sharing)
		})
	}
	wg.Wait()
	out := record.PublishRecord{AMIs: placements}
	if failed := publish.FailedRegions(out); len(failed) > 0 {
		return out, fmt.Errorf("%d of %d regions failed: %s", len(failed), len(placements), strings.Join(failed, "; "))
	}
	return out, nil
}

// source is a build's AMI as described once, before the fan-out: its name, description and
// tags are copied to every region. err says why it could not be described.
type source struct {
	record.AMIArtifact
	image types.Image
	err   error
}

// sources describes the build's AMIs.
func (p *Publisher) sources(ctx context.Context, amis []record.AMIArtifact) map[record.AMIArtifact]source {
	out := make(map[record.AMIArtifact]source, len(amis))
	for _, a := range amis {
		img, err := describe(ctx, p.client(a.Region), a.ID)
		if err != nil {
			err = fmt.Errorf("source %s:%s: %w", a.Region, a.ID, err)
		}
		out[a] = source{AMIArtifact: a, image: img, err: err}
	}
	return out
}

// region places the AMI in one region and says what happened there.
func (p *Publisher) region(ctx context.Context, rec record.BuildRecord, sources map[record.AMIArtifact]source, region string, sharing record.AMISharing) record.AMIPlacement {
	w := publish.Log(ctx, p.opts.Log)
	logf := func(format string, args ...any) {
		fmt.Fprintf(w, "aws: %s: %s: %s\n", rec.Cell.ID, region, fmt.Sprintf(format, args...))
	}
	src := sources[sourceFor(rec.Artifacts.AMI, region)]
	pl := record.AMIPlacement{Region: region, Status: record.PublishFailed, Source: src.Region + ":" + src.ID}
	if src.err != nil {
		pl.Error = src.err.Error()
		logf("failed: %v", src.err)
		return pl
	}
	var id string
	var reused bool
	err := p.withSlot(ctx, func() (err error) {
		id, reused, err = p.place(ctx, rec, src, region, logf)
		return err
	})
	var img types.Image
	if err == nil {
		img, err = p.wait(ctx, p.client(region), id, logf)
	}
	if err == nil {
		err = p.withSlot(ctx, func() error { return p.finish(ctx, rec, src, region, img, sharing) })
	}
	pl.ID = id
	if err != nil {
		pl.Error = err.Error()
		logf("failed: %v", err)
		return pl
	}
	pl.Status = record.PublishSucceeded
	if reused {
		pl.Status = record.PublishReused
	}
	if sharing.Public || len(sharing.Accounts)+len(sharing.Organizations)+len(sharing.OrganizationalUnits) > 0 {
		pl.Shared = &sharing
	}
	logf("%s %s", id, pl.Status)
	return pl
}

// sourceFor picks the AMI to copy into region: the build's own AMI in that region, else the
// first one.
func sourceFor(amis []record.AMIArtifact, region string) record.AMIArtifact {
	for _, a := range amis {
		if a.Region == region {
			return a
		}
	}
	return amis[0]
}

// withSlot runs f in one of the account's slots.
func (p *Publisher) withSlot(ctx context.Context, f func() error) error {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-p.slots }()
	return f()
}

// place finds or makes the AMI carrying the build key in region; the caller waits for it to
// be available. reused says it was there already.
func (p *Publisher) place(ctx context.Context, rec record.BuildRecord, src source, region string, logf func(string, ...any)) (string, bool, error) {
	c := p.client(region)
	existing, err := findByKey(ctx, c, rec.Key())
	if err != nil {
		return "", false, err
	}
	id, reused := existing, existing != ""
	switch {
	case reused:
		logf("%s already carries build key %s", id, rec.Cell.ShortKey())
	case src.Region == region:
		id = src.ID // the build made it here: tag and share it in place
		if err := tag(ctx, c, []string{id}, map[string]string{TagBuildKey: rec.Key()}); err != nil {
			return id, false, err
		}
	default:
		if id, err = p.copy(ctx, rec, src, region, logf); err != nil {
			return id, false, err
		}
	}
	return id, reused, nil
}

// copy starts copying the source AMI into region and tags the copy with the build key at
// once, so a run interrupted from here on finds it.
func (p *Publisher) copy(ctx context.Context, rec record.BuildRecord, src source, region string, logf func(string, ...any)) (string, error) {
	out, err := p.client(region).CopyImage(ctx, &ec2.CopyImageInput{
		Name:          src.image.Name,
		Description:   src.image.Description,
		SourceImageId: awssdk.String(src.ID),
		SourceRegion:  awssdk.String(src.Region),
		// The same token makes a repeated call (a retry after a lost answer) return the
		// same copy instead of starting another.
		ClientToken: awssdk.String(clientToken(rec.Key(), region)),
		// Tagged as it is made, where the API supports it; tagged again below for the rest.
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeImage, Tags: []types.Tag{
			{Key: awssdk.String(TagBuildKey), Value: awssdk.String(rec.Key())},
		}}},
	})
	if err != nil {
		return "", fmt.Errorf("copy %s from %s: %w", src.ID, src.Region, err)
	}
	id := awssdk.ToString(out.ImageId)
	logf("copying %s:%s to %s", src.Region, src.ID, id)
	// A new AMI can be invisible to other calls for a moment (EC2 is eventually consistent).
	for attempt := 1; ; attempt++ {
		err := tag(ctx, p.client(region), []string{id}, map[string]string{TagBuildKey: rec.Key()})
		if err == nil || !isNotFound(err) || attempt == 10 {
			return id, err
		}
		select {
		case <-time.After(p.cfg.PollInterval):
		case <-ctx.Done():
			return id, ctx.Err()
		}
	}
}

// isNotFound reports an EC2 "no such AMI" error.
func isNotFound(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "InvalidAMIID.NotFound"
}

func clientToken(buildKey, region string) string {
	return "imagegrid-" + buildKey[:min(len(buildKey), 32)] + "-" + region
}

// wait polls until the AMI is available, up to the configured deadline, with the SDK's own
// waiter (aws-sdk-go-v2 service/ec2 v1.345.0 api_op_DescribeImages.go, ImageAvailableWaiter:
// DescribeImages until every image is available, a failed one ends the wait). Throttled
// polls are retried by the client's retryer before the waiter sees them. A copy that failed
// is deregistered so the next run copies again. It returns the available image as the last
// poll described it.
func (p *Publisher) wait(ctx context.Context, c *ec2.Client, id string, logf func(string, ...any)) (types.Image, error) {
	w := ec2.NewImageAvailableWaiter(c, func(o *ec2.ImageAvailableWaiterOptions) {
		// Every poll interval, not backing off towards 4×: a copy seen late holds the
		// whole record back, and the waits of the regions end at the latest of them.
		o.MinDelay = p.cfg.PollInterval
		o.MaxDelay = p.cfg.PollInterval
		o.Retryable = availableYet
	})
	out, err := w.WaitForOutput(ctx, &ec2.DescribeImagesInput{ImageIds: []string{id}}, p.cfg.WaitTimeout)
	if err == nil {
		if len(out.Images) != 1 {
			return types.Image{}, fmt.Errorf("describe %s: %d images found", id, len(out.Images))
		}
		return out.Images[0], nil
	}
	img, derr := describe(ctx, c, id)
	if derr == nil && img.State == types.ImageStateFailed {
		logf("copy %s failed (%s); deregistering it", id, awssdk.ToString(img.StateReason.Message))
		if _, err := c.DeregisterImage(context.WithoutCancel(ctx), &ec2.DeregisterImageInput{ImageId: awssdk.String(id)}); err != nil {
			logf("deregister %s: %v", id, err)
		}
	}
	return types.Image{}, fmt.Errorf("wait for %s to become available (up to %s): %w", id, p.cfg.WaitTimeout, err)
}

// availableYet decides whether to keep waiting: yes while the AMI is pending or not yet
// visible, no once it is available; a failed copy or another error ends the wait.
func availableYet(_ context.Context, _ *ec2.DescribeImagesInput, out *ec2.DescribeImagesOutput, err error) (bool, error) {
	switch {
	case err != nil && isNotFound(err):
		return true, nil
	case err != nil:
		return false, err
	case len(out.Images) == 0:
		return true, nil
	}
	switch img := out.Images[0]; img.State {
	case types.ImageStateAvailable:
		return false, nil
	case types.ImageStateFailed, types.ImageStateError, types.ImageStateDeregistered, types.ImageStateInvalid:
		reason := ""
		if img.StateReason != nil {
			reason = ": " + awssdk.ToString(img.StateReason.Message)
		}
		return false, fmt.Errorf("the copy is %s%s", img.State, reason)
	}
	return true, nil
}

// client returns the EC2 client of a region, with retries that outlast throttling. EC2
// throttles per account and region, so each region's client has its own adaptive retryer
// (aws-sdk-go-v2 v1.48.0 aws/retry/adaptive.go): on top of the standard mode's backoff, it
// lowers the client's own request rate while answers come back throttled (a token bucket
// refilled at a rate that a cubic function raises again once the throttling stops,
// adaptive_ratelimit.go), so fifteen regions polling their copies do not keep the API hot.
func (p *Publisher) client(region string) *ec2.Client {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clients[region]; ok {
		return c
	}
	c := ec2.NewFromConfig(p.base, func(o *ec2.Options) {
		o.Region = region
		if p.opts.Endpoint != "" {
			o.BaseEndpoint = awssdk.String(p.opts.Endpoint)
		}
		o.Retryer = retry.NewAdaptiveMode(func(a *retry.AdaptiveModeOptions) {
			a.StandardOptions = append(a.StandardOptions, func(s *retry.StandardOptions) {
				s.MaxAttempts = p.opts.MaxAttempts
				s.MaxBackoff = p.opts.MaxBackoff
				// Throttling is expected when many regions are copied at once: retry
				// every throttled call instead of giving up when the standard mode's
				// client-side retry quota runs dry.
				s.RateLimiter = ratelimit.None
			})
		})
	})
	p.clients[region] = c
	return c
}

// Close does nothing: EC2 clients hold no sessions.
func (p *Publisher) Close() error { return nil }

// DryRunSteps says what Publish would do for rec, without calling AWS.
func DryRunSteps(cfg *publishconfig.AWS, rec record.BuildRecord) ([]string, error) {
	if len(rec.Artifacts.AMI) == 0 {
		return nil, errors.New("build record has no AMI artifact")
	}
	t := TargetFor(cfg, rec.Cell)
	var lines []string
	for _, r := range t.Regions {
		src := sourceFor(rec.Artifacts.AMI, r)
		verb := "copy " + src.Region + ":" + src.ID + " to " + r
		if src.Region == r {
			verb = "tag " + src.Region + ":" + src.ID + " in place"
		}
		lines = append(lines, verb+" (unless an AMI there carries build key "+rec.Cell.ShortKey()+")")
	}
	lines = append(lines, "share with "+describeSharing(t.Sharing))
	return lines, nil
}

func describeSharing(s record.AMISharing) string {
	var parts []string
	if len(s.Accounts) > 0 {
		parts = append(parts, "accounts "+strings.Join(s.Accounts, ","))
	}
	if len(s.Organizations) > 0 {
		parts = append(parts, "organizations "+strings.Join(s.Organizations, ","))
	}
	if len(s.OrganizationalUnits) > 0 {
		parts = append(parts, "OUs "+strings.Join(s.OrganizationalUnits, ","))
	}
	if s.Public {
		parts = append(parts, "everyone (public)")
	}
	if len(parts) == 0 {
		return "nobody else"
	}
	return strings.Join(parts, ", ")
}
