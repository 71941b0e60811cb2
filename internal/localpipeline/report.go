package localpipeline

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/imagegrid/imagegrid/internal/build"
	"github.com/imagegrid/imagegrid/internal/record"
)

// report prints what the run made: per cell its build key, the verdict on its node image,
// where the image lives and the catalog change, then the catalog commit.
func (r *run) report() error {
	files, err := filepath.Glob(filepath.Join(r.publishDir(), "*.json"))
	if err != nil {
		return err
	}
	fmt.Fprintln(r.Out)
	tw := tabwriter.NewWriter(r.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CELL\tBUILD KEY\tNODE IMAGE\tPUBLISHED\tCATALOG")
	for _, f := range files {
		pr, err := record.ReadFile[record.PublishRecord](f, record.KindPublishRecord)
		if err != nil {
			return err
		}
		verdict, err := r.nodeImage(pr.Cell)
		if err != nil {
			return err
		}
		where, catalog := placements(pr), catalogChanges(pr)
		for i := range max(len(where), len(catalog), 1) {
			cell, key, v := "", "", ""
			if i == 0 {
				cell, key, v = pr.Cell.ID, pr.Cell.ShortKey(), verdict
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", cell, key, v, at(where, i), at(catalog, i))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	log, err := exec.Command("git", "-C", r.catalogDir(), "log", "--stat", "--format=%ncatalog: commit %h on %D%n  %s", "-1").Output()
	if err != nil {
		return fmt.Errorf("read the catalog commit: %w", err)
	}
	fmt.Fprintf(r.Out, "%s\n", strings.TrimRight(string(log), "\n"))
	fmt.Fprintf(r.Out, "\nthe whole pipeline took %s; everything it made is in %s (logs in %s)\n",
		time.Since(r.started).Round(time.Second), r.Work, r.logs)
	return nil
}

// nodeImage is the verdict of the node image reports in the cell's build record.
func (r *run) nodeImage(c record.Cell) (string, error) {
	rec, err := record.ReadFile[record.BuildRecord](filepath.Join(r.buildDir(), c.ID, "build-record.json"), record.KindBuildRecord)
	if err != nil {
		return "", err
	}
	return build.NodeImageVerdict(rec), nil
}

// placements are the places a publish record's image lives, one a line.
func placements(pr record.PublishRecord) []string {
	var out []string
	if v := pr.VSphere; v != nil {
		out = append(out, fmt.Sprintf("%s: template %s (%s)", v.Status, v.Template, v.MoRef))
	}
	for _, a := range pr.AMIs {
		out = append(out, fmt.Sprintf("%s: %s %s", a.Status, a.Region, a.ID))
	}
	for _, a := range pr.Azure {
		out = append(out, fmt.Sprintf("%s: %s version %s (%d× %s)", a.Status, a.Region, a.ID[strings.LastIndex(a.ID, "/")+1:], a.ReplicaCount, a.StorageAccountType))
	}
	if len(out) == 0 {
		out = append(out, pr.Status+": "+pr.Error)
	}
	return out
}

// catalogChanges are the catalog's new or changed OSImages for a publish record and the
// defaults they replace, one a line.
func catalogChanges(pr record.PublishRecord) []string {
	var out []string
	for _, c := range pr.Catalog {
		switch {
		case strings.HasPrefix(c.Object, "OSImage/"):
			out = append(out, c.Action+" "+c.Object)
		case c.Replaces != "":
			out = append(out, "  replacing "+c.Replaces)
		}
	}
	return out
}

func at(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return ""
}
