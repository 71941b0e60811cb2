// Package actions is imagegrid's GitHub Actions I/O: inputs, outputs, job summary, log groups,
// annotations and secret masks. Outside Actions it degrades to plain log lines, so the same
// commands run on a laptop.
package actions

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/sethvargo/go-githubactions"
)

// Runner talks to the GitHub Actions runner through its environment files and workflow
// commands. The zero value is not usable; use New.
type Runner struct {
	gh     *githubactions.Action
	getenv func(string) string
	log    io.Writer
	// outputs are the declared step outputs; nil allows any.
	outputs []string
}

// New returns a Runner that writes workflow commands to log and reads the environment
// through getenv (os.Getenv when nil).
func New(log io.Writer, getenv func(string) string) *Runner {
	if getenv == nil {
		getenv = os.Getenv
	}
	gh := githubactions.New(githubactions.WithWriter(log), githubactions.WithGetenv(getenv))
	return &Runner{gh: gh, getenv: getenv, log: log}
}

// InActions reports whether the process runs as a GitHub Actions step.
func (r *Runner) InActions() bool { return r.getenv("GITHUB_ACTIONS") == "true" }

// Input returns the action input name (INPUT_<NAME>), trimmed; "" when unset.
func (r *Runner) Input(name string) string { return r.gh.GetInput(name) }

// HasOutputs reports whether step outputs can be written (GITHUB_OUTPUT is set).
func (r *Runner) HasOutputs() bool { return r.getenv("GITHUB_OUTPUT") != "" }

// Declare lists the step outputs the command writes. From then on SetOutput refuses any
// other name, so the list a command shows in its usage (and action.yml is checked against)
// is the list it writes.
func (r *Runner) Declare(names ...string) { r.outputs = names }

// SetOutput writes a step output; a no-op outside Actions. A name not declared is an error,
// outside Actions too.
func (r *Runner) SetOutput(name, value string) (err error) {
	if r.outputs != nil && !slices.Contains(r.outputs, name) {
		return fmt.Errorf("step output %q is not one this command declares (%s)", name, strings.Join(r.outputs, ", "))
	}
	if !r.HasOutputs() {
		return nil
	}
	defer recoverInto(&err, "set output "+name)
	r.gh.SetOutput(name, value)
	return nil
}

// AddSummary appends Markdown to the job summary; a no-op outside Actions.
func (r *Runner) AddSummary(markdown string) (err error) {
	if r.getenv("GITHUB_STEP_SUMMARY") == "" {
		return nil
	}
	defer recoverInto(&err, "write job summary")
	r.gh.AddStepSummary(markdown)
	return nil
}

// Group starts a collapsible log group (a heading outside Actions) and returns the function
// that ends it.
func (r *Runner) Group(title string) (end func()) {
	if !r.InActions() {
		fmt.Fprintf(r.log, "==> %s\n", title)
		return func() {}
	}
	r.gh.Group(title)
	return r.gh.EndGroup
}

// Mask tells the runner to hide value in all later log output. Empty values are ignored
// (masking "" would be meaningless).
func (r *Runner) Mask(value string) {
	if value == "" || !r.InActions() {
		return
	}
	r.gh.AddMask(value)
}

// Annotation places a message on a file and line in the Actions UI (a plain log line elsewhere).
type Annotation struct {
	File    string
	Line    int
	Column  int
	Title   string
	Message string
}

// Error reports an annotation at error level.
func (r *Runner) Error(a Annotation) { r.annotate("error", a) }

// Warning reports an annotation at warning level.
func (r *Runner) Warning(a Annotation) { r.annotate("warning", a) }

func (r *Runner) annotate(level string, a Annotation) {
	if !r.InActions() {
		where := a.File
		if a.Line > 0 {
			where = fmt.Sprintf("%s:%d", where, a.Line)
		}
		if where != "" {
			where += ": "
		}
		fmt.Fprintf(r.log, "%s: %s%s\n", level, where, a.Message)
		return
	}
	fields := githubactions.CommandProperties{}
	if a.File != "" {
		fields["file"] = a.File
	}
	if a.Line > 0 {
		fields["line"] = fmt.Sprint(a.Line)
	}
	if a.Column > 0 {
		fields["col"] = fmt.Sprint(a.Column)
	}
	if a.Title != "" {
		fields["title"] = a.Title
	}
	gh := r.gh.WithFieldsMap(fields)
	switch level {
	case "error":
		gh.Errorf("%s", a.Message)
	case "warning":
		gh.Warningf("%s", a.Message)
	default:
		gh.Noticef("%s", a.Message)
	}
}

// OutputsUsage is the line of a command's usage that lists its step outputs.
func OutputsUsage(names []string) string {
	return "step outputs (GitHub Actions): " + strings.Join(names, ", ") + "\n"
}

// recoverInto turns go-githubactions' panics on failed file writes into errors.
func recoverInto(err *error, what string) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("%s: %v", what, p)
	}
}
