package build

import (
	"io"
	"strings"
	"testing"

	"github.com/imagegrid/imagegrid/internal/record"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		lines  []string
		class  string
		reason string
	}{
		{name: "ssh timeout", lines: []string{"==> vsphere-iso: Timeout waiting for SSH."}, class: record.FailureTransient, reason: "SSH/WinRM timeout"},
		{name: "winrm timeout", lines: []string{"Timeout waiting for WinRM."}, class: record.FailureTransient, reason: "SSH/WinRM timeout"},
		{name: "aws throttling", lines: []string{"Error: RequestLimitExceeded: Request limit exceeded."}, class: record.FailureTransient, reason: "cloud API throttling"},
		{name: "storage", lines: []string{"Error: Storage allocation failure"}, class: record.FailureTransient, reason: "vSphere storage allocation failure"},
		{name: "pull", lines: []string{"docker: Error response from daemon: toomanyrequests: You have reached your pull rate limit."}, class: record.FailureTransient, reason: "registry pull error"},
		{name: "goss", lines: []string{"Count: 58, Failed: 3, Skipped: 0", "Build 'vsphere' errored after 2 minutes 3 seconds: goss non-zero exit status"}, class: record.FailurePermanent, reason: "goss validation failed: Build 'vsphere' errored after 2 minutes 3 seconds: goss non-zero exit status"},
		{name: "goss inspect mode does not fail", lines: []string{"Goss validate failed", "Inspect mode on : proceeding without failing Packer", "Timeout waiting for SSH."}, class: record.FailureTransient, reason: "SSH/WinRM timeout"},
		{name: "build VM left by an earlier attempt", lines: []string{"Build 'vsphere' errored: tkg/vsphere-ubuntu-2204 already exists, you can use -force flag to destroy it: <nil>"}, class: record.FailurePermanent, reason: "build VM already exists"},
		{name: "variable", lines: []string{"Error: required variable not set: kubernetes_semver"}, class: record.FailurePermanent, reason: "bad variable"},
		{name: "target", lines: []string{"make: *** No rule to make target 'build-foo'.  Stop."}, class: record.FailurePermanent, reason: "missing make target"},
		{name: "permanent beats an earlier transient", lines: []string{"Timeout waiting for SSH.", "Build 'vsphere' errored after 2 minutes 3 seconds: goss non-zero exit status"}, class: record.FailurePermanent, reason: "goss"},
		{name: "permanent beats a later transient", lines: []string{"Build 'vsphere' errored after 2 minutes 3 seconds: goss non-zero exit status", "Timeout waiting for SSH."}, class: record.FailurePermanent, reason: "goss"},
		{name: "unknown", lines: []string{"something broke", ""}, class: record.FailurePermanent, reason: "code 2 with no known transient error in its log; last line: something broke"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log strings.Builder
			st := newStream(&log, &log, nil, func(string) {})
			st.Write([]byte(strings.Join(tt.lines, "\n") + "\n"))
			f := st.classifier.failure("Image Builder exited with code 2", st.last)
			if f.Class != tt.class || !strings.Contains(f.Reason, tt.reason) {
				t.Errorf("failure = %+v, want %s with %q", f, tt.class, tt.reason)
			}
		})
	}
}

func TestStreamPhasesAndRedaction(t *testing.T) {
	t.Parallel()
	var log, console strings.Builder
	var seen []string
	st := newStream(&log, &console, []string{"hunter22"}, func(p string) { seen = append(seen, p) })
	input := "\x1b[1;32m==> vsphere-iso: Creating VM...\x1b[0m\n" +
		"==> vsphere-iso: Waiting for SSH to become available...\r\n" +
		"==> vsphere-iso: Provisioning with Ansible...\n" +
		"    vsphere-iso: password=hunter22\n" +
		"==> vsphere-iso: Provisioning with Goss\n" +
		"==> vsphere-iso: Provisioning with shell script: cleanup.sh\n" + // no going back
		"==> vsphere-iso: Running post-processor: manifest\n" +
		"no newline at the end"
	for i := 0; i < len(input); i += 7 { // output arrives in arbitrary chunks
		st.Write([]byte(input[i:min(i+7, len(input))]))
	}
	st.Close()
	if got := strings.Join(seen, ","); got != "boot,provision,goss,export" {
		t.Errorf("phases = %s", got)
	}
	if st.Phase() != PhaseExport {
		t.Errorf("Phase = %s", st.Phase())
	}
	for name, text := range map[string]string{"log": log.String(), "console": console.String()} {
		if strings.Contains(text, "hunter22") || !strings.Contains(text, "password=***") {
			t.Errorf("%s not redacted:\n%s", name, text)
		}
		if strings.Contains(text, "\x1b") || strings.Contains(text, "\r") {
			t.Errorf("%s keeps escape codes:\n%q", name, text)
		}
		if !strings.HasSuffix(text, "no newline at the end\n") {
			t.Errorf("%s lost the last line:\n%s", name, text)
		}
	}
}

// TestGossResultFromTheLog: goss's JSON result is read from the goss phase, packer's line
// prefixes removed; JSON printed before the phase is not taken for it.
func TestGossResultFromTheLog(t *testing.T) {
	t.Parallel()
	st := newStream(io.Discard, io.Discard, nil, func(string) {})
	io.WriteString(st, `    vsphere: {
    vsphere:     "not": "goss"
    vsphere: }
==> vsphere: Provisioning with Goss
    vsphere: {
    vsphere:     "results": [],
    vsphere:     "summary": {"failed-count": 0}
    vsphere: }
==> vsphere: Running post-processor: manifest
`)
	st.Close()
	want := "{\n    \"results\": [],\n    \"summary\": {\"failed-count\": 0}\n}"
	if got := string(st.goss.last); got != want {
		t.Errorf("goss result = %q, want %q", got, want)
	}
}
