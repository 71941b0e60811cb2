// Package workflowlint checks imagegrid's CI configuration: every workflow and action.yml is run
// through actionlint (used as a library) and through the repository's own security rules, and
// the Dockerfile through its image rules. Findings name the file, line and column.
package workflowlint

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/rhysd/actionlint"
)

// Rule names of the security rules, as they appear in findings.
const (
	RulePermissions       = "permissions"
	RulePinned            = "pinned-uses"
	RuleUntrustedInput    = "untrusted-input"
	RulePullRequestTarget = "pull-request-target"
	RuleSecretsInherit    = "secrets-inherit"
	RuleOIDC              = "aws-oidc"
	RuleAzureOIDC         = "azure-oidc"
	RuleLegNeeds          = "leg-needs"
	RuleSyntax            = "syntax"
	// RuleDockerfile prefixes the Dockerfile rules.
	RuleDockerfile = "dockerfile"
)

// MinRoleSeconds is the shortest AWS role session accepted: an image build with its retries
// must not outlive its credentials.
const MinRoleSeconds = 7200

// Finding is one problem in one file.
type Finding struct {
	File    string
	Line    int
	Col     int
	Rule    string
	Message string
}

// String formats the finding as file:line:col: message [rule], the form editors link.
func (f Finding) String() string {
	return fmt.Sprintf("%s:%d:%d: %s [%s]", f.File, f.Line, f.Col, f.Message, f.Rule)
}

// Repository lints the repository at root: actionlint and the security rules over every
// .github/workflows/*.yml and *.yaml, the security rules over action.yml, and the Dockerfile
// rules over Dockerfile. File names in findings are relative to root.
func Repository(root string) ([]Finding, error) {
	workflows, err := workflowFiles(root)
	if err != nil {
		return nil, err
	}
	findings, err := Actionlint(root, workflows)
	if err != nil {
		return nil, err
	}
	for _, rel := range workflows {
		fs, err := checkFile(root, rel, CheckWorkflow)
		if err != nil {
			return nil, err
		}
		findings = append(findings, fs...)
	}
	fs, err := checkFile(root, "action.yml", CheckAction)
	if err != nil {
		return nil, err
	}
	findings = append(findings, fs...)
	fs, err = checkFile(root, "Dockerfile", CheckDockerfile)
	if err != nil {
		return nil, err
	}
	return sortFindings(append(findings, fs...)), nil
}

func checkFile(root, rel string, check func(name string, src []byte) []Finding) ([]Finding, error) {
	src, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		return nil, fmt.Errorf("lint %s: %w", rel, err)
	}
	return check(rel, src), nil
}

// workflowFiles lists the workflow files of root, relative to it.
func workflowFiles(root string) ([]string, error) {
	var files []string
	for _, pattern := range []string{"*.yml", "*.yaml"} {
		matches, err := filepath.Glob(filepath.Join(root, ".github", "workflows", pattern))
		if err != nil {
			return nil, fmt.Errorf("list workflows: %w", err)
		}
		for _, m := range matches {
			rel, err := filepath.Rel(root, m)
			if err != nil {
				return nil, fmt.Errorf("list workflows: %w", err)
			}
			files = append(files, rel)
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("list workflows: no .yml or .yaml file in %s", filepath.Join(root, ".github", "workflows"))
	}
	sort.Strings(files)
	return files, nil
}

// Actionlint runs actionlint over the workflow files (relative to root, the repository whose
// local actions and reusable workflows they use). Shellcheck and pyflakes are not run.
func Actionlint(root string, files []string) ([]Finding, error) {
	linter, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{WorkingDir: root})
	if err != nil {
		return nil, fmt.Errorf("actionlint: %w", err)
	}
	project, err := actionlint.NewProject(root)
	if err != nil {
		return nil, fmt.Errorf("actionlint: %w", err)
	}
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = filepath.Join(root, f)
	}
	errs, err := linter.LintFiles(paths, project)
	if err != nil {
		return nil, fmt.Errorf("actionlint: %w", err)
	}
	findings := make([]Finding, 0, len(errs))
	for _, e := range errs {
		file := e.Filepath
		if rel, err := filepath.Rel(root, file); err == nil && filepath.IsAbs(file) {
			file = rel
		}
		findings = append(findings, Finding{File: file, Line: e.Line, Col: e.Column, Rule: "actionlint/" + e.Kind, Message: e.Message})
	}
	return findings, nil
}

// sortFindings orders findings by file and position and drops repeats (a step shared through a
// YAML alias is checked once per use but reported once).
func sortFindings(fs []Finding) []Finding {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return a.Rule < b.Rule
	})
	out := fs[:0]
	for i, f := range fs {
		if i > 0 && f == fs[i-1] {
			continue
		}
		out = append(out, f)
	}
	return out
}
