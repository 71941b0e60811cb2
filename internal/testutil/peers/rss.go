package peers

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Usage is what a process used: its peak resident set in MiB and its CPU time (user and
// system).
type Usage struct {
	PeakMiB float64
	CPU     time.Duration
}

// Run runs cmd to its end and returns what its process used. The peak resident set is
// VmHWM read from /proc every 10 ms (the last value before it exits): the rusage of a child
// is no use for this, as os/exec starts it sharing the parent's memory until exec, so its
// maximum counts the parent's resident set.
func Run(cmd *exec.Cmd) (Usage, error) {
	if err := cmd.Start(); err != nil {
		return Usage{}, err
	}
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	done := make(chan struct{})
	peak := make(chan float64, 1)
	go func() {
		var last float64
		for {
			if v, err := vmHWM(status); err == nil {
				last = max(last, v)
			}
			select {
			case <-done:
				peak <- last
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	u := Usage{PeakMiB: <-peak}
	if cmd.ProcessState != nil {
		u.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	return u, err
}

// vmHWM reads the peak resident set from a /proc status file, in MiB. A zombie has none.
func vmHWM(path string) (float64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024, err
		}
	}
	return 0, fmt.Errorf("%s: no VmHWM", path)
}
