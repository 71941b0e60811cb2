package aws

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/testutil/moto"
)

func TestPublishRetriesThrottling(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := testRecord(e.source)
	e.proxy.Inject("CopyImage", moto.Throttle, 4)
	e.proxy.Inject("DescribeImages", moto.Unavailable, 3)
	e.proxy.Inject("CreateTags", moto.Throttle, 2)
	e.proxy.Inject("ModifyImageAttribute", moto.Unavailable, 2)
	got, err := e.publisher(testConfig("us-east-1", "us-west-2", "eu-west-1"), Options{}).Publish(context.Background(), rec, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, pl := range got.AMIs {
		if pl.Status != record.PublishSucceeded {
			t.Errorf("%+v", pl)
		}
	}
	for _, action := range []string{"CopyImage", "DescribeImages", "CreateTags", "ModifyImageAttribute"} {
		if e.proxy.Faulted(action) == 0 {
			t.Errorf("no fault injected into %s", action)
		}
	}
}

func TestPublishReportsEachRegion(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := testRecord(e.source)
	cfg := testConfig("us-east-1", "us-west-2", "eu-west-1")
	cfg.Parallel = 1
	// More throttles than attempts: exactly one copy gives up.
	e.proxy.Inject("CopyImage", moto.Throttle, 3)
	got, err := e.publisher(cfg, Options{MaxAttempts: 3}).Publish(context.Background(), rec, "")
	if err == nil || !strings.Contains(err.Error(), "1 of 3 regions failed") || !strings.Contains(err.Error(), "RequestLimitExceeded") {
		t.Fatalf("error = %v; want one region failed by throttling", err)
	}
	var failed, ok int
	for _, pl := range got.AMIs {
		switch pl.Status {
		case record.PublishFailed:
			failed++
			if pl.Error == "" {
				t.Errorf("failed placement without an error: %+v", pl)
			}
		case record.PublishSucceeded:
			ok++
		}
	}
	if failed != 1 || ok != 2 {
		t.Fatalf("placements = %+v; want 1 failed, 2 published", got.AMIs)
	}

	// The next run converges: the failed region is copied, the others reused.
	again, err := e.publisher(cfg, Options{}).Publish(context.Background(), rec, "")
	if err != nil {
		t.Fatal(err)
	}
	for i, pl := range again.AMIs {
		want := record.PublishReused
		if got.AMIs[i].Status == record.PublishFailed {
			want = record.PublishSucceeded
		}
		if pl.Status != want {
			t.Errorf("re-run %s: %s; want %s", pl.Region, pl.Status, want)
		}
		if n := len(e.images(t, e.url, pl.Region)); n != 1 {
			t.Errorf("%s: %d AMIs with the build key; want 1", pl.Region, n)
		}
	}
}

func TestPublishFansOutBounded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.proxy.Delay("CopyImage", 300*time.Millisecond) // a publisher starting more than its bound overlaps them
	for i, tc := range []struct {
		name     string
		parallel int
	}{
		{"one at a time", 1},
		{"two at a time", 2},
		{"all at once", 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.proxy.ResetCalls()
			rec := testRecord(e.source)
			rec.Cell.BuildKey = fmt.Sprintf("%064d", i) // a fresh key: nothing to reuse
			regions := []string{"us-west-1", "us-west-2", "eu-west-1", "eu-central-1"}
			cfg := testConfig(regions...)
			cfg.Parallel = tc.parallel
			want := min(tc.parallel, len(regions))
			// The first want copies wait (up to 5 s) for one another: a publisher that starts
			// fewer at once shows a lower peak whatever the load.
			e.proxy.Gather("CopyImage", want, 5*time.Second)
			if _, err := e.publisher(cfg, Options{}).Publish(context.Background(), rec, ""); err != nil {
				t.Fatal(err)
			}
			if got := e.proxy.Peak("CopyImage"); got != want {
				t.Errorf("copies in flight at once = %d; want %d", got, want)
			}
		})
	}
}

func TestPublishWaitDeadline(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := testRecord(e.source)
	cfg := testConfig("us-west-2", "eu-west-1")
	cfg.WaitTimeout = 500 * time.Millisecond
	e.proxy.Rewrite("DescribeImages", "<imageState>available<", "<imageState>pending<")
	got, err := e.publisher(cfg, Options{}).Publish(context.Background(), rec, "")
	if err == nil || !strings.Contains(err.Error(), "2 of 2 regions failed") || !strings.Contains(err.Error(), "to become available (up to 500ms)") {
		t.Fatalf("error = %v; want both copies past their deadline", err)
	}
	for _, pl := range got.AMIs {
		if pl.Status != record.PublishFailed || pl.ID == "" {
			t.Errorf("placement %+v; want failed with the pending copy's id", pl)
		}
	}

	// The copies finish; the next run finds them by their build key instead of copying again.
	e.proxy.Rewrite("DescribeImages", "", "")
	e.proxy.ResetCalls()
	again, err := e.publisher(cfg, Options{}).Publish(context.Background(), rec, "")
	if err != nil {
		t.Fatal(err)
	}
	for i, pl := range again.AMIs {
		if pl.ID != got.AMIs[i].ID || pl.Status != record.PublishReused {
			t.Errorf("re-run %+v; want %s reused", pl, got.AMIs[i].ID)
		}
	}
	if n := e.proxy.Calls("CopyImage"); n != 0 {
		t.Errorf("re-run copied %d times", n)
	}
}

// TestPublishWaitsForCopiesWithoutHoldingSlots publishes to four regions through one slot
// while each copy stays pending until all four have started: only a publisher whose waiting
// regions give their slot back starts the fourth copy and sees any copy become available.
func TestPublishWaitsForCopiesWithoutHoldingSlots(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	regions := []string{"us-west-1", "us-west-2", "eu-west-1", "eu-central-1"}
	e.proxy.HoldCopiesUntil(len(regions))
	cfg := testConfig(regions...)
	cfg.Parallel = 1
	cfg.PollInterval = 100 * time.Millisecond
	cfg.WaitTimeout = time.Minute // bounds the wait of a publisher that holds the slot
	got, err := e.publisher(cfg, Options{}).Publish(context.Background(), testRecord(e.source), "")
	if err != nil {
		t.Fatalf("%v: the copies stayed pending, so a region waiting for its copy held the slot", err)
	}
	for _, pl := range got.AMIs {
		if pl.Status != record.PublishSucceeded {
			t.Errorf("%+v", pl)
		}
	}
	if n := e.proxy.Peak("CopyImage"); n != 1 {
		t.Errorf("%d copies started at once; want 1 (parallel: 1)", n)
	}
	if n := e.proxy.Calls("CopyImage"); n < len(regions) {
		t.Errorf("%d copies; want %d", n, len(regions))
	}
}

// TestPublishRidesOutConcurrencyThrottling starts four copies at once against an account
// that throttles a third call in flight: each copy is held long enough (500 ms, against a
// start skew of milliseconds) that the third and fourth arrive while two are held, so they
// are refused with RequestLimitExceeded and retried until the others land; every region
// ends with exactly one AMI, the retried copies reusing their client token.
func TestPublishRidesOutConcurrencyThrottling(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	regions := []string{"us-west-1", "us-west-2", "eu-west-1", "eu-central-1"}
	e.proxy.Delay("CopyImage", 500*time.Millisecond)
	e.proxy.ThrottleAbove(2)
	cfg := testConfig(regions...)
	cfg.Parallel = len(regions)
	// Retries spread over more than the held copies' 500 ms (12 attempts, up to 200 ms apart).
	got, err := e.publisher(cfg, Options{MaxBackoff: 200 * time.Millisecond}).Publish(context.Background(), testRecord(e.source), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, pl := range got.AMIs {
		if pl.Status != record.PublishSucceeded {
			t.Errorf("%+v", pl)
		}
		if n := len(e.images(t, e.url, pl.Region)); n != 1 {
			t.Errorf("%s: %d AMIs with the build key; want 1", pl.Region, n)
		}
	}
	if e.proxy.Throttled() == 0 {
		t.Errorf("no call was throttled (CopyImage peak %d in flight): the copies did not overlap", e.proxy.Peak("CopyImage"))
	}
}
