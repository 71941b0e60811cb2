package emit

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/imagegrid/imagegrid/internal/plan"
	"github.com/imagegrid/imagegrid/internal/record"
)

// GitHubOutputLimit is the most bytes of outputs one GitHub Actions job may set.
const GitHubOutputLimit = 1_000_000

// Output is one step output.
type Output struct {
	Name, Value string
}

// OutputNames are the names GitHubOutputs gives its outputs, in order.
func OutputNames(maxShards int) []string {
	names := []string{"count", "skipped", "shards"}
	for i := range maxShards {
		names = append(names, fmt.Sprintf("matrix-%d", i))
	}
	return names
}

// GitHubOutputs are the step outputs of a plan: count, skipped, shards, and matrix-0 …
// matrix-<maxShards-1> (shards past the last hold an empty include, so every output a
// workflow declares exists; gate their jobs on `shards`).
func GitHubOutputs(p plan.Plan, maxCells, maxShards int) ([]Output, error) {
	shards, err := Shard(cells(p.Build), maxCells, maxShards)
	if err != nil {
		return nil, err
	}
	outs := []Output{
		{"count", strconv.Itoa(len(p.Build))},
		{"skipped", strconv.Itoa(len(p.Skipped))},
		{"shards", strconv.Itoa(len(shards))},
	}
	size := 0
	for i := range maxShards {
		m := Matrix{Include: []Entry{}}
		if i < len(shards) {
			m = shards[i]
		}
		data, err := json.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("encode matrix-%d: %w", i, err)
		}
		size += len(data)
		outs = append(outs, Output{OutputNames(maxShards)[3+i], string(data)})
	}
	if size > GitHubOutputLimit {
		return nil, fmt.Errorf("the matrix outputs of %d cells take %d bytes, over GitHub's %d-byte limit of outputs per job: split the grid into several plan jobs with --only", len(p.Build), size, GitHubOutputLimit)
	}
	return outs, nil
}

func cells(ds []plan.Decision) []record.Cell {
	out := make([]record.Cell, len(ds))
	for i, d := range ds {
		out[i] = d.Cell
	}
	return out
}
