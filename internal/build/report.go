package build

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/imagegrid/imagegrid/internal/actions"
	"github.com/imagegrid/imagegrid/internal/record"
)

// Outputs are the step outputs Report may write.
var Outputs = []string{"record", "status", "ova", "ova-version", "ova-sha256", "amis", "azure"}

// Report publishes a finished build to the Actions runner: step outputs (see Outputs; the
// OVA as an absolute path) and one row of the job summary.
func Report(r *actions.Runner, res Result) error {
	rec := res.Record
	outputs := [][2]string{{"record", res.Path}, {"status", rec.Status}}
	if o := rec.Artifacts.OVA; o != nil {
		ova := filepath.Join(filepath.Dir(res.Path), filepath.FromSlash(o.Path))
		outputs = append(outputs, [2]string{"ova", ova}, [2]string{"ova-version", o.Version}, [2]string{"ova-sha256", o.SHA256})
	}
	if len(rec.Artifacts.AMI) > 0 {
		var pairs []string
		for _, a := range rec.Artifacts.AMI {
			pairs = append(pairs, a.Region+":"+a.ID)
		}
		outputs = append(outputs, [2]string{"amis", strings.Join(pairs, ",")})
	}
	if len(rec.Artifacts.Azure) > 0 {
		var ids []string
		for _, a := range rec.Artifacts.Azure {
			ids = append(ids, a.ID)
		}
		outputs = append(outputs, [2]string{"azure", strings.Join(ids, ",")})
	}
	for _, kv := range outputs {
		if err := r.SetOutput(kv[0], kv[1]); err != nil {
			return err
		}
	}
	return r.AddSummary(SummaryRow(rec))
}

// ArtifactIDs are the ids of a record's artifacts: the OVA VERSION (or file), region:ami-id
// pairs, Azure resource ids.
func ArtifactIDs(rec record.BuildRecord) []string {
	var ids []string
	if o := rec.Artifacts.OVA; o != nil {
		id := o.Version
		if id == "" {
			id = o.Path
		}
		ids = append(ids, id)
	}
	for _, a := range rec.Artifacts.AMI {
		ids = append(ids, a.Region+":"+a.ID)
	}
	for _, a := range rec.Artifacts.Azure {
		ids = append(ids, a.ID)
	}
	return ids
}

// SummaryRow is the job summary table (header and one row) for a build.
func SummaryRow(rec record.BuildRecord) string {
	status := rec.Status
	if rec.Failure != nil {
		status += " (" + rec.Failure.Class + ")"
	}
	artifacts := strings.Join(ArtifactIDs(rec), "<br>")
	if rec.Failure != nil {
		artifacts = escapeCell(rec.Failure.Reason)
	}
	return fmt.Sprintf("| cell | status | attempts | time | Image Builder | artifacts |\n|---|---|---|---|---|---|\n| %s | %s | %d | %s | %s | %s |\n",
		rec.Cell.ID, status, rec.Attempts, rec.Finished.Sub(rec.Started).Round(time.Second), rec.ImageBuilderVersion, artifacts)
}

func escapeCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
