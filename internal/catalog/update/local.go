package update

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/imagegrid/imagegrid/internal/changeset"
)

// runLocal commits the catalog change on the branch of a local checkout with the git binary
// and prints the pull request body. The checkout is left on that branch; when anything
// fails it is put back as it was (branch, files).
func runLocal(ctx context.Context, o *Options, b *batch, log io.Writer) (res Result, err error) {
	g := gitRunner{ctx: ctx, dir: o.Dir}
	if _, err := g.run("rev-parse", "--show-toplevel"); err != nil {
		return Result{}, fmt.Errorf("--catalog-dir %s is not a git checkout: %w", o.Dir, err)
	}
	scope := strings.Trim(o.Path, "/")
	if scope == "" {
		scope = "."
	}
	if dirty, err := g.run("status", "--porcelain", "--", scope); err != nil {
		return Result{}, err
	} else if dirty != "" {
		return Result{}, fmt.Errorf("--catalog-dir %s has uncommitted changes; commit or stash them first:\n%s", o.Dir, dirty)
	}
	orig, err := g.run("rev-parse", "--abbrev-ref", "HEAD")
	if err != nil {
		return Result{}, err
	}
	created := false
	if _, err := g.run("rev-parse", "--verify", "--quiet", "refs/heads/"+b.branch); err == nil {
		if _, err := g.run("checkout", "-q", b.branch); err != nil {
			return Result{}, err
		}
	} else if _, err := g.run("checkout", "-q", "-b", b.branch, o.Base); err != nil {
		return Result{}, fmt.Errorf("create branch %s from --catalog-base %s: %w", b.branch, o.Base, err)
	} else {
		created = true
	}
	defer func() {
		if err == nil {
			return
		}
		// Undo: our files (the scope was clean before), the branch switch, a new branch.
		g.run("checkout", "-q", "--", scope)
		g.run("clean", "-fdq", "--", scope)
		g.run("checkout", "-q", orig)
		if created {
			g.run("branch", "-q", "-D", b.branch)
		}
	}()
	changes, err := b.edit(os.DirFS(o.Dir))
	if err != nil {
		return Result{}, err
	}
	res = Result{Applied: b.applied, Branch: b.branch, Body: Body(b.applied, o.RunURL, "")}
	if len(changes) == 0 {
		fmt.Fprintf(log, "catalog: %s already points at every image; nothing to commit\n", o.Dir)
		return res, nil
	}
	if err := changeset.WriteDir(o.Dir, changes); err != nil {
		return Result{}, err
	}
	if _, err := g.run("add", "-A", "--", scope); err != nil {
		return Result{}, err
	}
	args := []string{"commit", "-q", "-m", b.title(), "-m", "Published by imagegrid."}
	if email, _ := g.run("config", "user.email"); email == "" {
		args = append([]string{"-c", "user.name=imagegrid", "-c", "user.email=imagegrid@users.noreply.github.com"}, args...)
	}
	if _, err := g.run(args...); err != nil {
		return Result{}, err
	}
	if res.Commit, err = g.run("rev-parse", "HEAD"); err != nil {
		return Result{}, err
	}
	fmt.Fprintf(log, "catalog: committed %s on branch %s in %s (%d files); pull request body:\n\n%s\n", res.Commit[:12], b.branch, filepath.Clean(o.Dir), len(changes), res.Body)
	return res, nil
}

// gitRunner runs the git binary in a directory.
type gitRunner struct {
	ctx context.Context
	dir string
}

// run returns git's trimmed standard output, or an error holding its standard error.
func (g gitRunner) run(args ...string) (string, error) {
	cmd := exec.CommandContext(g.ctx, "git", args...)
	cmd.Dir = g.dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}
