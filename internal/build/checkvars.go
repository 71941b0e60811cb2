package build

import (
	"fmt"
	"strings"

	"github.com/imagegrid/imagegrid/internal/imagebuilder"
	"github.com/imagegrid/imagegrid/internal/record"
)

// checkVars refuses, before anything starts, a cell whose variables Image Builder would
// mishandle: a vSphere build with neither cluster nor host, a var file that overrides one of
// imagegrid's safety settings (a public AMI the grid did not ask for), an OS variable that
// upstream only has a placeholder for.
func checkVars(c record.Cell, userFiles []userVarFile) error {
	placement := imagebuilder.PlacementVars(c)
	effective := map[string]any{}
	for k, v := range placement {
		effective[k] = v
	}
	for k, v := range mergeVars(userFiles) {
		effective[k] = v
	}
	for k, v := range c.Vars {
		effective[k] = v
	}
	if c.Infra == record.InfraVSphere && !imagebuilder.HasHostOrCluster(effective) {
		return fmt.Errorf("cell %s: a vSphere build needs a cluster or a host for its VM (packer-plugin-vsphere refuses neither, upstream's vsphere.json sets neither): set vsphere.cluster or vsphere.host in a settings rule of the grid that matches the cell, or cluster/host in one of its var files", c.ID)
	}
	for _, k := range imagebuilder.SharingVars(c.Infra) {
		if got := fmt.Sprint(effective[k]); got != placement[k] {
			return fmt.Errorf("cell %s: %s sets %s to %q, but imagegrid sets it to %q from the grid: AMIs and their snapshots are private unless the grid's aws settings say public: true; remove %s from it", c.ID, varSource(c, userFiles, k), k, got, placement[k], k)
		}
	}
	var missing []string
	for _, k := range imagebuilder.RequiredOSVars(c.OS.Name) {
		if s, _ := effective[k].(string); s == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("cell %s: a %s image needs %s in its var files or vars: Image Builder only ships a placeholder ISO; name your own ISO and its checksum in a var file of the grid", c.ID, c.OS.Name, strings.Join(missing, " and "))
	}
	return nil
}

// varSource names where the last setting of packer variable k comes from: the cell's vars or
// its last var file that sets it.
func varSource(c record.Cell, userFiles []userVarFile, k string) string {
	if _, ok := c.Vars[k]; ok {
		return "the cell's vars"
	}
	for i := len(userFiles) - 1; i >= 0; i-- {
		if _, ok := userFiles[i].vars[k]; ok {
			return "var file " + userFiles[i].path
		}
	}
	return "a var file"
}
