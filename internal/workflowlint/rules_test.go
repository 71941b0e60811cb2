package workflowlint

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// at is an expected finding: rule and position.
type at struct {
	rule      string
	line, col int
}

func (a at) String() string { return fmt.Sprintf("%d:%d [%s]", a.line, a.col, a.rule) }

// TestInjectedWorkflows runs the security rules over workflows and an action that each break
// them, and over one that keeps them all.
func TestInjectedWorkflows(t *testing.T) {
	tests := []struct {
		file   string
		action bool
		want   []at
	}{
		{file: "workflows/untrusted-title.yml", want: []at{{RuleUntrustedInput, 9, 31}}},
		{file: "workflows/untrusted-forms.yml", want: []at{
			{RuleUntrustedInput, 18, 25},
			{RuleUntrustedInput, 20, 17},
			{RuleUntrustedInput, 20, 63},
			{RuleUntrustedInput, 23, 16},
			{RuleUntrustedInput, 24, 11},
			{RuleUntrustedInput, 25, 20},
			{RuleUntrustedInput, 25, 53},
			{RuleUntrustedInput, 25, 97},
			{RuleUntrustedInput, 26, 20},
			{RuleUntrustedInput, 26, 80},
		}},
		{file: "workflows/unpinned.yml", want: []at{
			{RulePinned, 9, 15},
			{RulePinned, 10, 15},
			{RulePinned, 11, 15},
			{RulePinned, 12, 15},
			{RulePinned, 16, 11},
			{RulePinned, 19, 16}, // job container
			{RulePinned, 22, 16}, // service
		}},
		{file: "workflows/untrusted-script.yml", want: []at{{RuleUntrustedInput, 12, 28}}},
		{file: "workflows/permissions-missing.yml", want: []at{{RulePermissions, 2, 1}}},
		{file: "workflows/permissions-write.yml", want: []at{{RulePermissions, 4, 13}, {RulePermissions, 9, 18}}},
		{file: "workflows/permissions-write-all.yml", want: []at{{RulePermissions, 3, 14}}},
		{file: "workflows/pull-request-target.yml", want: []at{{RulePullRequestTarget, 2, 12}}},
		{file: "workflows/secrets-inherit.yml", want: []at{{RuleSecretsInherit, 7, 14}}},
		{file: "workflows/aws.yml", want: []at{
			{RuleOIDC, 5, 3},   // AWS_SECRET_ACCESS_KEY in env
			{RuleOIDC, 12, 15}, // no role-to-assume
			{RuleOIDC, 12, 15}, // no role-duration-seconds
			{RuleOIDC, 12, 15}, // no id-token: write on the job
			{RuleOIDC, 14, 11}, // aws-access-key-id
			{RuleOIDC, 25, 34}, // 3600 seconds
			{RuleOIDC, 35, 34}, // an expression, not a number
			{RuleOIDC, 40, 17}, // id-token: write without an AWS step
		}},
		{file: "workflows/azure.yml", want: []at{
			{RuleAzureOIDC, 12, 11}, // AZURE_CLIENT_SECRET for every cell of a build step
			{RuleAzureOIDC, 20, 11}, // AZURE_CLIENT_ID without id-token: write
			{RuleAzureOIDC, 48, 11}, // AZURE_CLIENT_SECRET from an input
			{RuleAzureOIDC, 54, 11}, // AZURE_CLIENT_SECRET a literal
			{RuleAzureOIDC, 66, 11}, // AZURE_CLIENT_SECRET on vSphere legs
			{RuleAzureOIDC, 74, 7},  // AZURE_CLIENT_SECRET in a job's env
			{RuleAzureOIDC, 78, 11}, // AZURE_CLIENT_SECRET on a validate step
		}},
		{file: "workflows/leg-needs.yml", want: []at{
			{RuleLegNeeds, 9, 17},  // id-token: write on vSphere legs
			{RuleLegNeeds, 36, 29}, // vCenter credentials on cloud-identity legs
		}},
		{file: "workflows/good.yml"},
		{file: "actions/injection/action.yml", action: true, want: []at{
			{RulePinned, 9, 13},
			{RuleUntrustedInput, 12, 21},
			{RuleUntrustedInput, 13, 15},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join("testdata", tt.file)
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			check := CheckWorkflow
			if tt.action {
				check = CheckAction
			}
			findings := check(path, src)
			var got []at
			for _, f := range findings {
				if f.File != path {
					t.Errorf("finding names %q, want %q", f.File, path)
				}
				got = append(got, at{f.Rule, f.Line, f.Col})
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("findings:\n%s\nwant at:\n%v", list(findings), tt.want)
			}
		})
	}
}

// TestMessages checks that a finding says what is wrong and what to do instead.
func TestMessages(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"workflows/untrusted-title.yml", []string{"github.event.pull_request.title is untrusted", "pass it through env:"}},
		{"workflows/unpinned.yml", []string{"actions/checkout@v4 is not pinned", "full 40-hex commit SHA", "without a version comment", "docker://alpine:3.20 is not pinned", "container image debian:12 is not pinned"}},
		{"workflows/aws.yml", []string{"role-duration-seconds 3600 is shorter than an image build: use at least 7200", "static AWS keys", "id-token: write on a job that assumes no AWS role"}},
		{"workflows/secrets-inherit.yml", []string{"pass the ones it needs by name"}},
		{"workflows/azure.yml", []string{"matrix.cell.infra == 'azure' && secrets.<name> || ''", "GitHub issues no OIDC token to sign in to Azure with", "never a literal, an input or a variable", "only Azure legs sign in to Azure", "in a job's env reaches every step", "validation signs in nowhere"}},
		{"workflows/leg-needs.yml", []string{"id-token: write on a job of vSphere legs (outputs.vsphere-matrix-0)", "secrets.vsphere-username on a job of cloud-identity legs (outputs.oidc-matrix-0)"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			text := list(CheckWorkflow(path, src))
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("no finding says %q in:\n%s", w, text)
				}
			}
		})
	}
}

func TestSyntaxError(t *testing.T) {
	findings := CheckWorkflow("broken.yml", []byte("on: push\njobs:\n  test: [\n"))
	if len(findings) != 1 || findings[0].Rule != RuleSyntax || !strings.Contains(findings[0].Message, "invalid YAML") {
		t.Errorf("findings:\n%s\nwant one syntax finding", list(findings))
	}
}

func list(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintln(&b, f)
	}
	return b.String()
}
