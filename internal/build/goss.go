package build

import (
	"regexp"
	"strings"

	"github.com/imagegrid/imagegrid/internal/imagebuilder"
	"github.com/imagegrid/imagegrid/internal/record"
)

// packerPrefix is what packer puts before each line a provisioner prints:
// "    vsphere: " or "    vsphere (shell-local): ".
var packerPrefix = regexp.MustCompile(`^ {4}[^\s:"]+( \([^)]*\))?: `)

// gossJSON collects the last JSON document printed in the goss phase: goss's result, one line
// "{" to one line "}" once packer's prefix is removed.
type gossJSON struct {
	lines []string
	open  bool
	last  []byte
}

func (g *gossJSON) line(text string) {
	body := packerPrefix.ReplaceAllString(text, "")
	switch {
	case !g.open && body == "{":
		g.open, g.lines = true, []string{body}
	case g.open:
		g.lines = append(g.lines, body)
		if body == "}" {
			g.open, g.last = false, []byte(strings.Join(g.lines, "\n"))
		}
	}
}

// nodeImage adds the goss report of a build to the record (for Windows, read against
// upstream's Windows checks) and fails the build when goss did not confirm what Cluster API
// expects of a node image (or printed no result to read).
func (b *builder) nodeImage() *record.Failure {
	rep := record.NodeImageReport{Source: record.NodeImageSourceGoss, Verdict: record.NodeImageNotChecked,
		Reason: "the log holds no goss JSON result (goss_format json) from the goss phase"}
	if b.goss != nil {
		out, err := imagebuilder.ParseGoss(b.goss)
		if err != nil {
			rep.Reason = "goss's result in the log cannot be read: " + err.Error()
		} else {
			rep = imagebuilder.NodeImageFromGoss(b.cell, out, b.gossSpec)
		}
	}
	b.rec.NodeImage = append(b.rec.NodeImage, rep)
	if rep.Verdict != record.NodeImagePassed {
		return &record.Failure{Class: record.FailureVerification, Reason: "node image (goss): " + rep.Reason}
	}
	return nil
}
