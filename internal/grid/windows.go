package grid

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/imagegrid/imagegrid/internal/imagebuilder"
	"github.com/imagegrid/imagegrid/internal/limits"
	"github.com/imagegrid/imagegrid/internal/record"
)

// noDefaultOS are the OS names TKG ships no default image of (the seed: "RHEL v8 o Windows";
// REFERENCE.md): their images are only ever custom ones, so there is no default to replace.
var noDefaultOS = map[string]bool{"rhel": true, "windows": true}

// datastorePath is a vSphere datastore path, "[datastore] folder/file.iso", as
// packer-plugin-vsphere's iso_paths take them.
var datastorePath = regexp.MustCompile(`^\[[^\]]+\] \S.*$`)

// applyOS adds what a settings rule says of the cell's OS: replacesDefault (refused for an OS
// TKG ships no default of) and, for a vSphere Windows cell, the windows block (its ISOs in a
// datastore, its answer file). It returns the files it read.
func (g *grid) applyOS(cell *record.Cell, s *settings) []string {
	if s.decl.ReplacesDefault != nil {
		cell.ReplacesDefault = *s.decl.ReplacesDefault
		if cell.ReplacesDefault && noDefaultOS[cell.OS.Name] {
			g.errs.Add(s.decl.Field("replacesDefault"), "settings.replacesDefault", fmt.Sprintf("cell %s: TKG ships no default %s image to replace (a %s image is only ever a custom one): remove replacesDefault for it", cell.ID, cell.OS.Name, cell.OS.Name))
		}
	}
	if w := s.decl.Windows; w != nil && cell.Infra == record.InfraVSphere && imagebuilder.IsWindows(*cell) {
		return g.applyWindows(cell, s.rule.file, w)
	}
	return nil
}

// applyWindows adds a settings rule's windows block to the cell (later rules win, key by key)
// and returns the answer file it read.
func (g *grid) applyWindows(cell *record.Cell, declFile string, w *windowsDecl) []string {
	if cell.Windows == nil {
		cell.Windows = &record.Windows{}
	}
	for _, iso := range []struct {
		s   Scalar
		key string
		to  *string
	}{
		{w.ISOPath, "isoPath", &cell.Windows.ISOPath},
		{w.VMToolsISOPath, "vmToolsIsoPath", &cell.Windows.VMToolsISOPath},
	} {
		if iso.s.Value == "" {
			continue
		}
		if !datastorePath.MatchString(iso.s.Value) {
			g.errs.Add(iso.s.Pos, "settings.windows."+iso.key, fmt.Sprintf("%q is not a datastore path: want \"[datastore] folder/file.iso\", the ISO already uploaded to a datastore the build's vCenter sees", iso.s.Value))
			continue
		}
		*iso.to = iso.s.Value
	}
	if w.AnswerFile.Value == "" {
		return nil
	}
	p, sum, err := g.answerFile(declFile, w.AnswerFile.Value)
	if err != nil {
		g.errs.Add(w.AnswerFile.Pos, "settings.windows.answerFile", err.Error())
		return nil
	}
	cell.Windows.AnswerFile = record.VarFile{Path: p, SHA256: sum}
	return []string{p}
}

// answerFile resolves an answer file named in declFile like a var file and returns its path
// and digest (part of the build key). Its content is never part of a message: it may hold a
// product key.
func (g *grid) answerFile(declFile, name string) (string, string, error) {
	p, err := declaredPath(declFile, name)
	if err != nil {
		return "", "", fmt.Errorf("answer file %w", err)
	}
	if sum, ok := g.fileHash[p]; ok {
		return p, sum, nil
	}
	root, err := os.OpenRoot(filepath.FromSlash(path.Dir(declFile)))
	if err != nil {
		return "", "", fmt.Errorf("answer file %q: %w", name, err)
	}
	defer root.Close()
	data, err := limits.AnswerFile.ReadFS(root.FS(), path.Clean(filepath.ToSlash(name)), p)
	if err != nil {
		return "", "", fmt.Errorf("answer file %q (relative to the declaring file's folder): %w", name, err)
	}
	h := sha256.Sum256(data)
	g.fileHash[p] = hex.EncodeToString(h[:])
	return p, g.fileHash[p], nil
}

// checkWindows reports a Windows vSphere cell that lacks what Image Builder cannot build it
// without, at the place the cell is declared: the grid's windows settings (upstream's
// packer/ova/windows-2019.json only names placeholder ISOs), and for TKG the TKG
// configuration's windows.json.
func (g *grid) checkWindows(c *candidate, cell record.Cell) {
	if !imagebuilder.IsWindows(cell) || cell.Infra != record.InfraVSphere {
		return
	}
	g.checkWindowsTarget(c, cell)
	if missing := imagebuilder.MissingWindows(cell); len(missing) > 0 {
		g.errs.Add(c.origin, "settings."+missing[0], fmt.Sprintf("cell %s: a Windows image needs %s in a settings rule matching it: the datastore paths of the Windows and VMware Tools ISOs (Image Builder's windows var files only name placeholders such as \"[datastore] ISO/en_windows_server_2019_x64_dvd_4cb967d8.iso\") and your autounattend.xml",
			cell.ID, strings.Join(missing, ", ")))
	}
	if t := cell.TKGConfig; t != nil {
		info, err := os.Stat(filepath.Join(filepath.FromSlash(t.Path), imagebuilder.TKGConfigWindowsVars))
		if err != nil || !info.Mode().IsRegular() {
			g.errs.Add(c.release.tkgConfigAt, fmt.Sprintf("kubernetes[%d].tkgConfig", c.release.index), fmt.Sprintf("cell %s: a TKG Windows image needs %s in the TKG configuration %s: the Windows variables of TKr %s (kubernetes_base_url, containerd_url, nssm_url, … on the windows-resource-bundle at <IP>:<PORT>)",
				cell.ID, imagebuilder.TKGConfigWindowsVars, t.Path, cell.Kubernetes.TKr))
		}
	}
}

// checkWindowsTarget refuses a Windows vSphere cell whose Image Builder release has no OVA
// target for its Windows version, naming the releases that have one. A vendor build such as
// TKG's is checked as the upstream release it is based on (v0.1.14_vmware.2 as v0.1.14): its
// Windows targets are upstream's packer/ova/windows-<version>.json (windows-2022.json came
// with v0.1.11), whatever OS targets the vendor added.
func (g *grid) checkWindowsTarget(c *candidate, cell record.Cell) {
	tos := targetOS(c.osID, c.arch)
	names, err := imagebuilder.Targets(cell.ImageBuilder.Version, cell.Infra)
	if err == nil && slices.Contains(names, tos) {
		return
	}
	why := fmt.Sprintf("Image Builder %s has no %s target for %s", cell.ImageBuilder.Version, cell.Infra, tos)
	if err != nil {
		why = err.Error()
	}
	have := strings.Join(imagebuilder.ReleasesWith(cell.Infra, tos), ", ")
	if have == "" {
		have = "none"
	}
	g.errs.Add(c.origin, "", fmt.Sprintf("cell %s: %s; the Image Builder releases with that target: %s", cell.ID, why, have))
}
