package propose

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
	scope := strings.Trim(o.Path, "/")
	if scope == "" {
		scope = "."
	}
	undo, err := g.checkoutBranch(o, b.branch, scope)
	if err != nil {
		return Result{}, err
	}
	defer func() {
		if err != nil {
			undo()
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
	if res.Commit, err = g.commit(scope, b.title()); err != nil {
		return Result{}, err
	}
	fmt.Fprintf(log, "catalog: committed %s on branch %s in %s (%d files); pull request body:\n\n%s\n", res.Commit[:12], b.branch, filepath.Clean(o.Dir), len(changes), res.Body)
	return res, nil
}

// checkoutBranch checks out branch in o's checkout, making it from o.Base when there is none,
// once the checkout is known to have no uncommitted changes in scope. undo puts the checkout
// back as it was: our files (the scope was clean before), the branch switch, a new branch.
func (g gitRunner) checkoutBranch(o *Options, branch, scope string) (undo func(), err error) {
	if _, err := g.run("rev-parse", "--show-toplevel"); err != nil {
		return nil, fmt.Errorf("--catalog-dir %s is not a git checkout: %w", o.Dir, err)
	}
	if dirty, err := g.run("status", "--porcelain", "--", scope); err != nil {
		return nil, err
	} else if dirty != "" {
		return nil, fmt.Errorf("--catalog-dir %s has uncommitted changes; commit or stash them first:\n%s", o.Dir, dirty)
	}
	orig, err := g.run("rev-parse", "--abbrev-ref", "HEAD")
	if err != nil {
		return nil, err
	}
	created := false
	if _, err := g.run("rev-parse", "--verify", "--quiet", "refs/heads/"+branch); err == nil {
		if _, err := g.run("checkout", "-q", branch); err != nil {
			return nil, err
		}
	} else if _, err := g.run("checkout", "-q", "-b", branch, o.Base); err != nil {
		return nil, fmt.Errorf("create branch %s from --catalog-base %s: %w", branch, o.Base, err)
	} else {
		created = true
	}
	return func() {
		g.run("checkout", "-q", "--", scope)
		g.run("clean", "-fdq", "--", scope)
		g.run("checkout", "-q", orig)
		if created {
			g.run("branch", "-q", "-D", branch)
		}
	}, nil
}

// commit commits everything in scope with title and returns the new commit; without a
// configured git identity it commits as imagegrid.
func (g gitRunner) commit(scope, title string) (string, error) {
	if _, err := g.run("add", "-A", "--", scope); err != nil {
		return "", err
	}
	args := []string{"commit", "-q", "-m", title, "-m", "Published by imagegrid."}
	if email, _ := g.run("config", "user.email"); email == "" {
		args = append([]string{"-c", "user.name=imagegrid", "-c", "user.email=imagegrid@users.noreply.github.com"}, args...)
	}
	if _, err := g.run(args...); err != nil {
		return "", err
	}
	return g.run("rev-parse", "HEAD")
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
