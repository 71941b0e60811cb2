package actions

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestApplyInputs(t *testing.T) {
	env := map[string]string{
		"INPUT_FORMAT":    "json",
		"INPUT_MAX-CELLS": " 10 ",
		"INPUT_ONLY":      "infra=aws\n\n  os=photon-5  \n",
		"INPUT_MATRICES":  "from-input",
	}
	r := New(&strings.Builder{}, func(k string) string { return env[k] })
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	format := fs.String("format", "table", "")
	maxCells := fs.Int("max-cells", 256, "")
	matrices := fs.String("matrices", "matrices", "")
	var only StringList
	fs.Var(&only, "only", "")
	if err := fs.Parse([]string{"--matrices", "from-flag"}); err != nil {
		t.Fatal(err)
	}
	if err := r.ApplyInputs(fs); err != nil {
		t.Fatal(err)
	}
	if *format != "json" || *maxCells != 10 || *matrices != "from-flag" || only.String() != "infra=aws,os=photon-5" {
		t.Errorf("format=%q max-cells=%d matrices=%q only=%q", *format, *maxCells, *matrices, only.String())
	}

	fs3 := flag.NewFlagSet("test", flag.ContinueOnError)
	cell := fs3.String("format", "", "")
	if err := r.ApplyInputs(fs3, "format"); err != nil || *cell != "" {
		t.Errorf("an excepted flag took its input: %q, %v", *cell, err)
	}

	env["INPUT_MAX-CELLS"] = "many"
	fs2 := flag.NewFlagSet("test", flag.ContinueOnError)
	fs2.Int("max-cells", 256, "")
	if err := r.ApplyInputs(fs2); err == nil || !strings.Contains(err.Error(), "input max-cells") {
		t.Errorf("a bad input: %v", err)
	}
}

func TestOutsideActions(t *testing.T) {
	var log strings.Builder
	r := New(&log, func(string) string { return "" })
	end := r.Group("build vsphere-ubuntu-2204")
	end()
	r.Mask("s3cr3t")
	r.Error(Annotation{File: "matrices/tkg.yaml", Line: 3, Message: "bad"})
	if err := r.SetOutput("count", "1"); err != nil {
		t.Fatal(err)
	}
	want := "==> build vsphere-ubuntu-2204\nerror: matrices/tkg.yaml:3: bad\n"
	if log.String() != want {
		t.Errorf("log %q, want %q", log.String(), want)
	}
}

func TestInsideActions(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{
		"GITHUB_ACTIONS":      "true",
		"GITHUB_OUTPUT":       filepath.Join(dir, "out"),
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary"),
	}
	var log strings.Builder
	r := New(&log, func(k string) string { return env[k] })
	end := r.Group("build")
	r.Mask("s3cr3t")
	r.Mask("")
	end()
	r.Warning(Annotation{File: "a.yaml", Line: 2, Column: 5, Title: "t", Message: "careful"})
	if err := r.SetOutput("count", "3"); err != nil {
		t.Fatal(err)
	}
	if err := r.AddSummary("### plan"); err != nil {
		t.Fatal(err)
	}
	wantLog := "::group::build\n::add-mask::s3cr3t\n::endgroup::\n::warning col=5,file=a.yaml,line=2,title=t::careful\n"
	if log.String() != wantLog {
		t.Errorf("log %q, want %q", log.String(), wantLog)
	}
	out, _ := os.ReadFile(env["GITHUB_OUTPUT"])
	if !strings.HasPrefix(string(out), "count<<") || !strings.Contains(string(out), "\n3\n") {
		t.Errorf("GITHUB_OUTPUT = %q", out)
	}
	summary, _ := os.ReadFile(env["GITHUB_STEP_SUMMARY"])
	if string(summary) != "### plan\n" {
		t.Errorf("summary = %q", summary)
	}

	env["GITHUB_OUTPUT"] = filepath.Join(dir, "missing", "out")
	if err := r.SetOutput("x", "y"); err == nil || !strings.Contains(err.Error(), "set output x") {
		t.Errorf("an unwritable GITHUB_OUTPUT: %v", err)
	}
}

func TestDeclaredOutputs(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": filepath.Join(dir, "out")}
	for _, tt := range []struct {
		name   string
		getenv func(string) string
	}{
		{name: "in Actions", getenv: func(k string) string { return env[k] }},
		{name: "outside Actions", getenv: func(string) string { return "" }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := New(io.Discard, tt.getenv)
			r.Declare("record", "amis")
			if err := r.SetOutput("amis", "us-east-1:ami-1"); err != nil {
				t.Fatal(err)
			}
			err := r.SetOutput("ami", "us-east-1:ami-1")
			if err == nil || err.Error() != `step output "ami" is not one this command declares (record, amis)` {
				t.Errorf("undeclared output: %v", err)
			}
		})
	}
	if got := OutputsUsage([]string{"a", "b"}); got != "step outputs (GitHub Actions): a, b\n" {
		t.Errorf("usage line %q", got)
	}
}
