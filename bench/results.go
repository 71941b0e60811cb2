package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
)

// invocation is one go test run and what it printed: per result line name, the metrics of
// each round in order.
type invocation struct {
	args                  []string
	loadBefore, loadAfter string
	lines                 map[string][]map[string]float64
}

func (inv *invocation) run(ctx context.Context, progress io.Writer) error {
	inv.loadBefore = loadAverage()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "go", inv.args...)
	cmd.Stdout = io.MultiWriter(&out, progress)
	cmd.Stderr = progress
	err := cmd.Run()
	inv.loadAfter = loadAverage()
	if err != nil {
		return fmt.Errorf("go %s: %w", strings.Join(inv.args, " "), err)
	}
	inv.lines, err = parse(&out)
	return err
}

// parse reads go test -bench output: "BenchmarkX/sub-2  1  123 ns/op  1.5 unit-a  2 unit-b".
// go test prints a line's name before the benchmark runs and its numbers after: when the
// benchmark logs in between, the numbers start a line of their own.
func parse(r io.Reader) (map[string][]map[string]float64, error) {
	lines := map[string][]map[string]float64{}
	sc := bufio.NewScanner(r)
	var name string // the last benchmark name seen
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) > 0 && strings.HasPrefix(f[0], "Benchmark") {
			name = f[0]
			if i := strings.LastIndexByte(name, '-'); i > 0 {
				if _, err := strconv.Atoi(name[i+1:]); err == nil {
					name = name[:i] // the GOMAXPROCS suffix
				}
			}
			f = f[1:]
		}
		if name == "" || len(f) < 3 || f[2] != "ns/op" {
			continue
		}
		if _, err := strconv.Atoi(f[0]); err != nil {
			continue
		}
		metrics := map[string]float64{}
		for i := 1; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("benchmark line %q: metric %q: %w", sc.Text(), f[i+1], err)
			}
			metrics[f[i+1]] = v
		}
		lines[name] = append(lines[name], metrics)
	}
	return lines, sc.Err()
}

// spread is min/median/max of a row's values over the rounds.
type spread struct{ min, median, max float64 }

func spreadOf(vs []float64) spread {
	s := slices.Clone(vs)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return spread{s[0], med, s[len(s)-1]}
}

func (s spread) String() string {
	return fmt.Sprintf("%s / **%s** / %s", num(s.min), num(s.median), num(s.max))
}

func num(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// values picks a metric from every round of a result line.
func values(rounds []map[string]float64, line, metric string) ([]float64, error) {
	if len(rounds) == 0 {
		return nil, fmt.Errorf("no result line %s", line)
	}
	out := make([]float64, 0, len(rounds))
	for i, m := range rounds {
		v, ok := m[metric]
		if !ok {
			return nil, fmt.Errorf("%s round %d: no metric %q", line, i+1, metric)
		}
		out = append(out, v)
	}
	return out, nil
}

// render makes the Markdown table of the rows from their invocations' results.
func render(rs []row, results map[string]*invocation) (string, error) {
	var b strings.Builder
	b.WriteString("| row | peer | imagegrid min / **median** / max | peer min / **median** / max | ratio min / **median** / max | target | rounds | load avg before → after | command |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rs {
		inv := results[r.pkg+" "+r.bench]
		ours, err := values(inv.lines[r.line], r.line, r.ours)
		if err != nil {
			return "", err
		}
		theirs, err := values(inv.lines[r.line], r.line, r.theirs)
		if err != nil {
			return "", err
		}
		ratios, err := values(inv.lines[r.line], r.line, r.ratio)
		if err != nil {
			return "", err
		}
		unit := r.ours[strings.LastIndexByte(r.ours, '-')+1:]
		fmt.Fprintf(&b, "| %s | %s | %s %s | %s %s | %s | %s | %d | %s → %s | `go %s` |\n",
			r.name, r.peer, spreadOf(ours), unit, spreadOf(theirs), unit, spreadOf(ratios), r.target, len(ours),
			inv.loadBefore, inv.loadAfter, strings.Join(inv.args, " "))
	}
	return b.String(), nil
}

// loadAverage is the machine's 1, 5 and 15 minute load averages, as uptime prints them.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
