package publish

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/syncbuf"
)

// slowPublisher logs three lines per record with pauses between them, and counts the records
// it has in flight.
type slowPublisher struct {
	pause func() time.Duration
	gate  chan struct{} // when set, every call waits for it to close

	mu           sync.Mutex
	flying, peak int
	started      int
}

func (s *slowPublisher) Publish(ctx context.Context, rec record.BuildRecord, _ string) (record.PublishRecord, error) {
	s.mu.Lock()
	s.flying++
	s.started++
	s.peak = max(s.peak, s.flying)
	s.mu.Unlock()
	defer func() { s.mu.Lock(); s.flying--; s.mu.Unlock() }()
	if s.gate != nil {
		<-s.gate
	}
	log := Log(ctx, nil)
	for i := range 3 {
		fmt.Fprintf(log, "fake: %s: step %d\n", rec.Cell.ID, i)
		time.Sleep(s.pause())
	}
	return record.PublishRecord{AMIs: []record.AMIPlacement{{Region: "us-west-2", ID: "ami-" + rec.BuildKey[:8], Status: record.PublishSucceeded}}}, nil
}

func (s *slowPublisher) Close() error { return nil }

func (s *slowPublisher) inFlight() int { s.mu.Lock(); defer s.mu.Unlock(); return s.flying }

// mixedJobs are n vSphere and n AWS records, in the order FindRecords gives them.
func mixedJobs(n int) []Job {
	var jobs []Job
	for _, infra := range []string{record.InfraAWS, record.InfraVSphere} {
		for i := range n {
			id := fmt.Sprintf("%s-cell-%02d", infra, i)
			key := fmt.Sprintf("%064x", len(jobs)+1)
			jobs = append(jobs, Job{Path: id + ".json", Dir: ".", Record: record.BuildRecord{
				APIVersion: record.APIVersion, Kind: record.KindBuildRecord, Status: record.BuildSucceeded, BuildKey: key,
				Cell: record.Cell{ID: id, Infra: infra, BuildKey: key},
			}})
		}
	}
	return jobs
}

func TestRunnerBoundsEachInfrastructure(t *testing.T) {
	for _, tc := range []struct {
		name          string
		vsphere, aws  int
		wantV, wantA  int
		parallelIsSet bool
	}{
		{"bounded", 2, 4, 2, 4, true},
		{"all at once", 6, 6, 6, 6, true},
		{"unset: one at a time", 0, 0, 1, 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gate := make(chan struct{})
			pause := func() time.Duration { return 0 }
			v, a := &slowPublisher{gate: gate, pause: pause}, &slowPublisher{gate: gate, pause: pause}
			r := &Runner{Publishers: map[string]Interface{record.InfraVSphere: v, record.InfraAWS: a}}
			if tc.parallelIsSet {
				r.Parallel = map[string]int{record.InfraVSphere: tc.vsphere, record.InfraAWS: tc.aws}
			}
			done := make(chan []record.PublishRecord)
			go func() {
				out, err := r.Run(context.Background(), mixedJobs(6))
				if err != nil {
					t.Error(err)
				}
				done <- out
			}()
			deadline := time.Now().Add(10 * time.Second)
			for v.inFlight() < tc.wantV || a.inFlight() < tc.wantA {
				if time.Now().After(deadline) {
					t.Fatalf("in flight: vsphere %d, aws %d; want %d and %d at once", v.inFlight(), a.inFlight(), tc.wantV, tc.wantA)
				}
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(100 * time.Millisecond) // room for a record past the bound to start
			close(gate)
			out := <-done
			if v.peak != tc.wantV || a.peak != tc.wantA {
				t.Errorf("at most %d vsphere and %d aws records at once; want %d and %d", v.peak, a.peak, tc.wantV, tc.wantA)
			}
			if len(out) != 12 {
				t.Errorf("%d records; want 12", len(out))
			}
		})
	}
}

func TestRunnerOutputDoesNotDependOnTiming(t *testing.T) {
	run := func(seed uint64) (string, string, []string) {
		rng := rand.New(rand.NewPCG(seed, seed))
		var mu sync.Mutex
		pause := func() time.Duration {
			mu.Lock()
			defer mu.Unlock()
			return time.Duration(rng.IntN(20)) * time.Millisecond
		}
		p := &slowPublisher{pause: pause}
		var log syncbuf.Buffer
		var recorded []string
		r := &Runner{
			Publishers: map[string]Interface{record.InfraVSphere: p, record.InfraAWS: p},
			Parallel:   map[string]int{record.InfraVSphere: 3, record.InfraAWS: 6},
			Log:        &log,
			Group: func(title string) func() {
				fmt.Fprintf(&log, "::group::%s\n", title)
				return func() { fmt.Fprintln(&log, "::endgroup::") }
			},
			Record: func(pr record.PublishRecord) error { recorded = append(recorded, pr.Cell.ID); return nil },
			Now:    func() time.Time { return time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC) },
		}
		out, err := r.Run(context.Background(), mixedJobs(6))
		if err != nil {
			t.Fatal(err)
		}
		data, err := json.Marshal(out)
		if err != nil {
			t.Fatal(err)
		}
		return string(data), log.String(), recorded
	}
	first, log, recorded := run(1)
	if len(recorded) != 12 {
		t.Errorf("Record called for %d records; want 12", len(recorded))
	}
	var prs []record.PublishRecord
	if err := json.Unmarshal([]byte(first), &prs); err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, pr := range prs {
		order = append(order, pr.Cell.ID)
	}
	var want []string
	for _, j := range mixedJobs(6) {
		want = append(want, j.Record.Cell.ID)
	}
	if strings.Join(order, ",") != strings.Join(want, ",") {
		t.Errorf("records in the order %v; want the jobs' order %v", order, want)
	}
	for seed := uint64(2); seed < 5; seed++ {
		if again, _, _ := run(seed); again != first {
			t.Errorf("records differ with other timings:\n%s\nwant:\n%s", again, first)
		}
	}

	// Every record's lines sit in its own group, whole, with its status line last.
	groups := 0
	var cell string
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		switch {
		case strings.HasPrefix(line, "::group::publish "):
			groups++
			cell = strings.SplitN(strings.TrimPrefix(line, "::group::publish "), ":", 2)[0]
		case line == "::endgroup::":
			cell = ""
		case cell == "":
			t.Errorf("line outside a group: %q", line)
		case !strings.HasPrefix(line, "fake: "+cell+": ") && line != cell+": published":
			t.Errorf("line %q in the group of %s", line, cell)
		}
	}
	if groups != 12 {
		t.Errorf("%d groups; want 12:\n%s", groups, log)
	}
}

func TestRunnerStopsStartingWhenCancelled(t *testing.T) {
	gate := make(chan struct{})
	p := &slowPublisher{gate: gate, pause: func() time.Duration { return 0 }}
	r := &Runner{Publishers: map[string]Interface{record.InfraVSphere: p, record.InfraAWS: p}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	var out []record.PublishRecord
	go func() {
		var err error
		out, err = r.Run(ctx, mixedJobs(3))
		done <- err
	}()
	for p.inFlight() < 2 {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	close(gate)
	if err := <-done; err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("error = %v; want the cancellation", err)
	}
	if len(out) != 2 || p.started != 2 {
		t.Errorf("%d records back, %d started; want the 2 started before the cancellation", len(out), p.started)
	}
}
