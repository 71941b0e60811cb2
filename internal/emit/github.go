package emit

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/selection"
)

// GitHubOutputLimit is the most bytes of outputs one GitHub Actions job may set.
const GitHubOutputLimit = 1_000_000

// Output is one step output.
type Output struct {
	Name, Value string
}

// A group is a family of build jobs in a workflow, named by what its legs need: GitHub grants
// permissions per job, not per leg, so cells that need a cloud identity and cells that need
// vCenter credentials are built by different jobs, each holding only its own.
const (
	// GroupVSphere legs get the vCenter credentials and no OIDC token.
	GroupVSphere = "vsphere"
	// GroupOIDC legs get an OIDC token (id-token: write) for a cloud identity and no vCenter
	// credentials.
	GroupOIDC = "oidc"
)

// groups are the groups, in the order of their outputs.
var groups = []string{GroupVSphere, GroupOIDC}

// groupOf is the group that builds each infrastructure's cells.
var groupOf = map[string]string{
	record.InfraVSphere: GroupVSphere,
	record.InfraAWS:     GroupOIDC,
	record.InfraAzure:   GroupOIDC, // a workload identity federated with GitHub's OIDC
}

// OutputNames are the names GitHubOutputs gives its outputs, in order: count, skipped, shards,
// matrix-0 … matrix-<maxShards-1>, then for each group <group>-shards and <group>-matrix-0 …
// <group>-matrix-<maxShards-1>.
func OutputNames(maxShards int) []string {
	names := append([]string{"count", "skipped"}, shardNames("", maxShards)...)
	for _, g := range groups {
		names = append(names, shardNames(g+"-", maxShards)...)
	}
	return names
}

// shardNames are <prefix>shards and <prefix>matrix-0 … <prefix>matrix-<maxShards-1>.
func shardNames(prefix string, maxShards int) []string {
	names := []string{prefix + "shards"}
	for i := range maxShards {
		names = append(names, fmt.Sprintf("%smatrix-%d", prefix, i))
	}
	return names
}

// GitHubOutputs are the step outputs of a selection: count, skipped, and the cells to build in
// shards of at most maxCells, at most maxShards of them per family. Unless byNeeds, every
// cell is in shards and matrix-0 …; with byNeeds, each cell is in the shards of its group
// (<group>-shards, <group>-matrix-0 …) and shards counts them all. Every output named by
// OutputNames is set (an unused matrix holds an empty include, so every output a workflow
// declares exists: gate its jobs on the shard count).
func GitHubOutputs(p selection.Selection, maxCells, maxShards int, byNeeds bool) ([]Output, error) {
	families := map[string][]record.Cell{} // output name prefix → its cells
	for _, d := range p.Build {
		prefix := ""
		if byNeeds {
			g, ok := groupOf[d.Cell.Infra]
			if !ok {
				return nil, fmt.Errorf("cell %s: no group of build jobs holds what infrastructure %q needs", d.Cell.ID, d.Cell.Infra)
			}
			prefix = g + "-"
		}
		families[prefix] = append(families[prefix], d.Cell)
	}
	order := append([]string{""}, prefixes()...)
	sharded := map[string][]Matrix{}
	total := 0
	for _, prefix := range order {
		shards, err := Shard(families[prefix], maxCells, maxShards)
		if err != nil {
			if prefix != "" {
				err = fmt.Errorf("%sbuild jobs: %w", prefix, err)
			}
			return nil, err
		}
		sharded[prefix] = shards
		total += len(shards)
	}
	outs := []Output{
		{"count", strconv.Itoa(len(p.Build))},
		{"skipped", strconv.Itoa(len(p.Skipped))},
	}
	size := 0
	for _, prefix := range order {
		names, shards := shardNames(prefix, maxShards), sharded[prefix]
		count := len(shards)
		if prefix == "" {
			count = total // every shard, whichever family holds it
		}
		outs = append(outs, Output{names[0], strconv.Itoa(count)})
		for i := range maxShards {
			m := Matrix{Include: []Entry{}}
			if i < len(shards) {
				m = shards[i]
			}
			data, err := json.Marshal(m)
			if err != nil {
				return nil, fmt.Errorf("encode %s: %w", names[1+i], err)
			}
			size += len(data)
			outs = append(outs, Output{names[1+i], string(data)})
		}
	}
	if size > GitHubOutputLimit {
		return nil, fmt.Errorf("the matrix outputs of %d cells take %d bytes, over GitHub's %d-byte limit of outputs per job: split the grid into several plan jobs with --only", len(p.Build), size, GitHubOutputLimit)
	}
	return outs, nil
}

// prefixes are the output name prefixes of the groups.
func prefixes() []string {
	out := make([]string, len(groups))
	for i, g := range groups {
		out[i] = g + "-"
	}
	return out
}
