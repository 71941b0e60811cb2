package build

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Command is one process to run: a program, its arguments, its whole environment and its
// working directory. Secrets are never in Args; they reach the process through Env only.
type Command struct {
	Path string
	Args []string
	Env  []string
	Dir  string
}

// String is the command as a shell would take it, for logs and --dry-run.
func (c Command) String() string {
	words := append([]string{c.Path}, c.Args...)
	for i, w := range words {
		words[i] = shellQuote(w)
	}
	return strings.Join(words, " ")
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@+,%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Exec runs a command to completion, writing its combined output to out. When ctx ends it
// stops the command's whole process tree and returns ctx's error; a non-zero exit is an
// *ExitError. It is the seam between imagegrid and the tools it runs (make, docker).
type Exec func(ctx context.Context, cmd Command, out io.Writer) error

// ExitError is a command that exited with a non-zero code.
type ExitError struct {
	Command string
	Code    int
}

func (e *ExitError) Error() string { return fmt.Sprintf("%s exited with code %d", e.Command, e.Code) }

// ProcessExec returns the Exec that runs real processes. Each command runs in its own process
// group; when ctx ends the group gets SIGTERM, then SIGKILL after grace. When the command's
// first process exits, whatever it left running in its group is killed, so nothing outlives it.
func ProcessExec(grace time.Duration) Exec {
	return func(ctx context.Context, cmd Command, out io.Writer) error {
		return runProcess(ctx, cmd, out, grace)
	}
}

func runProcess(ctx context.Context, cmd Command, out io.Writer, grace time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("run %s: %w", cmd.Path, err)
	}
	c := exec.Command(cmd.Path, cmd.Args...)
	c.Env, c.Dir = cmd.Env, cmd.Dir
	c.Stdout, c.Stderr = pw, pw
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.Start(); err != nil {
		pr.Close()
		pw.Close()
		return fmt.Errorf("run %s: %w", cmd.Path, err)
	}
	pw.Close() // the children hold the write end now
	pgid := c.Process.Pid

	copied := make(chan struct{})
	go func() {
		io.Copy(out, pr)
		close(copied)
	}()
	exited := make(chan error, 1)
	go func() { exited <- c.Wait() }()

	var waitErr error
	stopped := false
	select {
	case waitErr = <-exited:
	case <-ctx.Done():
		stopped = true
		syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case waitErr = <-exited:
		case <-time.After(grace):
			syscall.Kill(-pgid, syscall.SIGKILL)
			waitErr = <-exited
		}
	}
	// Whatever the first process left behind in its group goes with it.
	syscall.Kill(-pgid, syscall.SIGKILL)
	select {
	case <-copied:
	case <-time.After(grace + time.Second):
		// A process that left the group still holds the output pipe; stop reading it.
	}
	pr.Close()
	<-copied

	if stopped {
		return ctx.Err()
	}
	var exitErr *exec.ExitError
	if errors.As(waitErr, &exitErr) {
		return &ExitError{Command: cmd.Path, Code: exitErr.ExitCode()}
	}
	if waitErr != nil {
		return fmt.Errorf("run %s: %w", cmd.Path, waitErr)
	}
	return nil
}
