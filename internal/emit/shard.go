// Package emit writes a selection for its three readers: people (a table), tools (a JSON array of
// cells) and GitHub Actions (strategy.matrix outputs, sharded under the job limit, and a job
// summary).
package emit

import (
	"fmt"

	"github.com/imagegrid/imagegrid/internal/record"
)

// GitHubJobLimit is the most jobs GitHub Actions runs from one matrix.
const GitHubJobLimit = 256

// Entry is one job of a GitHub matrix: matrix.id, matrix.name and matrix.cell in the workflow.
type Entry struct {
	ID   string      `json:"id"`
	Name string      `json:"name"`
	Cell record.Cell `json:"cell"`
}

// Matrix is the value of strategy.matrix for one build job: fromJSON(outputs.matrix-N).
type Matrix struct {
	Include []Entry `json:"include"`
}

// Shard splits cells into the fewest matrices of at most maxCells each, balanced in size and
// in the order given. It fails, rather than drop a cell, when that needs more than maxShards.
func Shard(cells []record.Cell, maxCells, maxShards int) ([]Matrix, error) {
	if maxCells < 1 || maxCells > GitHubJobLimit {
		return nil, fmt.Errorf("--max-cells %d: want 1 to %d (GitHub runs at most %d jobs per matrix)", maxCells, GitHubJobLimit, GitHubJobLimit)
	}
	if maxShards < 1 {
		return nil, fmt.Errorf("--max-shards %d: want at least 1", maxShards)
	}
	n := (len(cells) + maxCells - 1) / maxCells
	if n > maxShards {
		return nil, fmt.Errorf("%d cells need %d shards of at most %d cells, more than --max-shards %d: raise --max-shards (the workflow needs a build job per shard) or narrow the run with --only",
			len(cells), n, maxCells, maxShards)
	}
	shards := make([]Matrix, n)
	start := 0
	for i := range shards {
		size := len(cells) / n
		if i < len(cells)%n {
			size++
		}
		shards[i].Include = make([]Entry, 0, size)
		for _, c := range cells[start : start+size] {
			shards[i].Include = append(shards[i].Include, Entry{ID: c.ID, Name: c.Name, Cell: c})
		}
		start += size
	}
	return shards, nil
}
