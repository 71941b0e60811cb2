package build

import (
	"regexp"
	"strings"

	"github.com/imagegrid/imagegrid/internal/record"
)

// rule classifies a failed build from one line of its log.
type rule struct {
	class  string
	reason string
	re     *regexp.Regexp
}

// rules are checked against every log line. Transient failures are worth another attempt;
// permanent ones will fail the same way again.
var rules = []rule{
	{record.FailureTransient, "SSH/WinRM timeout", regexp.MustCompile(`(?i)timeout waiting for (ssh|winrm)|(ssh|winrm) handshake (failed|timed out)`)},
	{record.FailureTransient, "cloud API throttling", regexp.MustCompile(`RequestLimitExceeded|Throttling|(?i)rate exceeded|too many requests`)},
	{record.FailureTransient, "vSphere storage allocation failure", regexp.MustCompile(`(?i)storage allocation failure`)},
	{record.FailureTransient, "registry pull error", regexp.MustCompile(`(?i)toomanyrequests|error pulling image|failed to pull|TLS handshake timeout|unexpected EOF while pulling|connection reset by peer`)},
	// packer-provisioner-goss (provisioner.go) fails the build with "goss non-zero exit
	// status". Its "Goss validate failed" is only printed in inspect mode, which does not
	// fail the build, so it decides nothing.
	{record.FailurePermanent, "goss validation failed", regexp.MustCompile(`goss non-zero exit status`)},
	// packer-plugin-vsphere (driver PreCleanVM) without -force: the VM of a previous attempt.
	{record.FailurePermanent, "build VM already exists", regexp.MustCompile(`already exists, you can use -force flag`)},
	{record.FailurePermanent, "bad variable", regexp.MustCompile(`(?i)unknown variable|undefined variable|required variable not set|invalid value for variable|error parsing (json|var file|template)`)},
	{record.FailurePermanent, "missing make target", regexp.MustCompile(`No rule to make target`)},
}

// classifier remembers the first permanent and the last transient line of one attempt.
type classifier struct {
	permanent, transient *record.Failure
}

func (c *classifier) line(s string) {
	if c.permanent != nil {
		return
	}
	for _, r := range rules {
		if r.re.MatchString(s) {
			f := &record.Failure{Class: r.class, Reason: r.reason + ": " + strings.TrimSpace(s)}
			if r.class == record.FailurePermanent {
				c.permanent = f
			} else {
				c.transient = f
			}
			return
		}
	}
}

// failure returns the class of a failed attempt: a permanent line wins over transient ones
// (another attempt would meet it again); a failure nothing explains is permanent.
func (c *classifier) failure(exit string, last string) record.Failure {
	switch {
	case c.permanent != nil:
		return *c.permanent
	case c.transient != nil:
		return *c.transient
	}
	reason := exit + " with no known transient error in its log"
	if last != "" {
		reason += "; last line: " + last
	}
	return record.Failure{Class: record.FailurePermanent, Reason: reason}
}
