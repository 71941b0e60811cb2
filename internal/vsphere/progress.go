package vsphere

import (
	"context"
	"fmt"
	"time"

	"github.com/vmware/govmomi/vim25/progress"
)

// uploadLog is a progress.Sinker that logs an upload every 10% with its rate, and forwards
// the reports to forward, when not nil (the NFC lease updater keeps the lease alive with
// them).
type uploadLog struct {
	logf    func(format string, args ...any)
	label   string
	size    int64
	forward chan<- progress.Report
	done    chan struct{}
}

func newUploadLog(logf func(string, ...any), label string, size int64, forward chan<- progress.Report) *uploadLog {
	return &uploadLog{logf: logf, label: label, size: size, forward: forward, done: make(chan struct{})}
}

// Sink implements progress.Sinker; the upload closes the returned channel when it ends.
func (u *uploadLog) Sink() chan<- progress.Report {
	ch := make(chan progress.Report)
	go u.loop(ch)
	return ch
}

func (u *uploadLog) loop(ch <-chan progress.Report) {
	defer close(u.done)
	if u.forward != nil {
		defer close(u.forward)
	}
	start := time.Now()
	next := float32(10)
	for r := range ch {
		select {
		case u.forward <- r: // a nil forward is never ready
		default: // the lease updater has stopped listening; never block the upload on it
		}
		if r.Error() != nil {
			continue
		}
		if pct := r.Percentage(); pct >= next {
			u.logf("upload %s: %3.0f%% of %s, %s", u.label, pct, mib(u.size), rate(int64(float64(u.size)*float64(pct)/100), time.Since(start)))
			for next <= pct {
				next += 10
			}
		}
	}
}

// wait blocks until the upload has ended and its last line is logged, or ctx ends (a
// cancelled upload does not close its progress channel).
func (u *uploadLog) wait(ctx context.Context) {
	select {
	case <-u.done:
	case <-ctx.Done():
	}
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func rate(n int64, d time.Duration) string {
	if d <= 0 {
		return "- MB/s"
	}
	return fmt.Sprintf("%.1f MB/s", float64(n)/1e6/d.Seconds())
}
