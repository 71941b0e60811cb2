// Package peers is the other side of the benchmarks. It builds the programs they measure
// against, and imagegrid's own commands to run as whole processes — always before a
// benchmark's timer starts, since building one while it runs would charge the build to
// whichever side it fell in — and runs the two sides of a round in alternating order.
package peers

import (
	"crypto/sha256"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Interleave runs a then b, or b then a when round is odd, and returns their wall times: in
// a benchmark that counts its rounds, neither side always runs on a machine the other has
// just warmed (or loaded).
func Interleave(round int, a, b func()) (ta, tb time.Duration) {
	timed := func(f func()) time.Duration { start := time.Now(); f(); return time.Since(start) }
	if round%2 == 1 {
		tb = timed(b)
		ta = timed(a)
		return ta, tb
	}
	ta = timed(a)
	tb = timed(b)
	return ta, tb
}

//go:embed testdata/govc/main.go
var govcMain []byte

var (
	buildMu sync.Mutex
	built   = map[string]string{}
)

// Govc builds govmomi's govc, at the govmomi version this module requires, and returns its
// path. It is built once per process.
func Govc(tb testing.TB) string {
	tb.Helper()
	return once(tb, "govc", string(govcMain), func(dir, out string) error {
		v, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "github.com/vmware/govmomi").Output()
		if err != nil {
			return fmt.Errorf("which govmomi version this module uses: %w", err)
		}
		version := strings.TrimSpace(string(v))
		gomod := fmt.Sprintf("module govcpeer\n\ngo 1.26\n\nrequire github.com/vmware/govmomi %s\n", version)
		if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "main.go"), govcMain, 0o644); err != nil {
			return err
		}
		cmd := exec.Command("go", "build", "-mod=mod", "-o", out, ".")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("build govc (govmomi %s): %w: %s", version, err, out)
		}
		return nil
	})
}

// Command builds one of imagegrid's commands (e.g. "github.com/imagegrid/imagegrid/cmd/publish")
// and returns the binary's path. It is built once per process.
func Command(tb testing.TB, pkg string) string {
	tb.Helper()
	wd, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	return once(tb, pkg, wd, func(_, out string) error {
		cmd := exec.Command("go", "build", "-o", out, pkg)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("build %s: %w: %s", pkg, err, out)
		}
		return nil
	})
}

// once builds name the first time a process asks for it, and returns the binary's path. The
// binaries live in the user's cache directory (imagegrid/peers), one per name and source,
// replaced atomically, so that runs neither pile up copies nor see half-written ones. source
// says what the binary is built from (the govc main, the checkout a command is built in):
// runs from two checkouts of different code share the cache directory and must not replace
// each other's binary while they measure it. build gets a scratch directory and the path to
// write the binary to.
func once(tb testing.TB, name, source string, build func(dir, out string) error) string {
	tb.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if bin, ok := built[name]; ok {
		return bin
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		tb.Fatal(err)
	}
	sum := sha256.Sum256([]byte(source))
	bin := filepath.Join(cache, "imagegrid", "peers", fmt.Sprintf("%s-%x", filepath.Base(name), sum[:6]))
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		tb.Fatal(err)
	}
	dir, err := os.MkdirTemp(filepath.Dir(bin), "build-")
	if err != nil {
		tb.Fatal(err)
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, "bin")
	if err := build(dir, tmp); err != nil {
		tb.Fatal(err)
	}
	if err := os.Rename(tmp, bin); err != nil {
		tb.Fatal(err)
	}
	built[name] = bin
	return bin
}
