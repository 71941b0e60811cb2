package build

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/imagegrid/imagegrid/internal/imagebuilder"
	"github.com/imagegrid/imagegrid/internal/record"
)

// The effective variables a build hands Image Builder, and the customisation (roles, goss
// spec) imagegrid composes.

// secretVar matches the names of variables that may hold credentials in users' var files;
// --dry-run shows their values as ***.
var secretVar = regexp.MustCompile(`(?i)pass|secret|token|credential|private|key$|user`)

// note records the variables of a var file's JSON as the effective ones; from names the file,
// secret says every value in it is a credential.
func (p *recipe) note(data []byte, from string, secret bool) error {
	var vars map[string]any
	if err := json.Unmarshal(data, &vars); err != nil {
		return fmt.Errorf("%s: %w", from, err)
	}
	for k, v := range vars {
		value, ok := v.(string)
		if !ok {
			value = strings.TrimSpace(string(mustJSON(v)))
		}
		p.vars[k] = imagebuilder.Setting{Value: value, From: from}
		p.masked[k] = secret || secretVar.MatchString(k)
	}
	return nil
}

func mustJSON(v any) []byte {
	data, _ := json.Marshal(v) // decoded from JSON: always encodes
	return data
}

// customisation is where Image Builder finds the roles and the goss spec: the TKG
// configuration's tkg/ role and goss spec, then the grid's roles, as copied into the workspace.
func (p *recipe) customisation() (imagebuilder.Customisation, error) {
	var custom imagebuilder.Customisation
	p.gossSpec = "Image Builder's packer/goss/goss.yaml"
	for i, f := range p.folders {
		if i == 0 && p.cell.TKGConfig != nil && imagebuilder.IsWindows(p.cell) {
			// The tkg/ role and goss spec are Linux's; a Windows build takes only windows.json
			// from the TKG configuration and Image Builder's own Windows goss checks.
			p.gossSpec = "Image Builder's packer/goss/goss.yaml (Windows)"
			continue
		}
		if i == 0 && p.cell.TKGConfig != nil {
			if info, err := os.Stat(filepath.Join(f.src, imagebuilder.TKGConfigRoles)); err == nil && info.IsDir() {
				custom.Roles = append(custom.Roles, p.exec.see(filepath.Join(f.dst, imagebuilder.TKGConfigRoles)))
			}
			spec, err := gossSpec(p.cell, f.src)
			if err != nil {
				return custom, err
			}
			custom.GossTestsDir = p.exec.see(filepath.Join(f.dst, imagebuilder.TKGConfigGoss))
			custom.GossEntryFile = spec
			p.gossSpec = path.Join(p.cell.TKGConfig.Path, spec)
			continue
		}
		custom.Roles = append(custom.Roles, p.exec.see(f.dst))
	}
	for _, r := range custom.Roles {
		if strings.ContainsAny(r, " \t\n") {
			return custom, fmt.Errorf("cell %s: role folder %s: Image Builder splits custom_role_names at spaces, so a role's path cannot hold one; use a work dir without spaces", p.cell.ID, r)
		}
	}
	return custom, nil
}

// gossSpec is the goss spec of the TKG configuration in dir for the cell, relative to dir.
func gossSpec(c record.Cell, dir string) (string, error) {
	names := imagebuilder.GossSpecNames(c)
	for _, name := range names {
		if info, err := os.Stat(filepath.Join(dir, filepath.FromSlash(name))); err == nil && info.Mode().IsRegular() {
			return name, nil
		}
	}
	return "", fmt.Errorf("cell %s: TKG configuration %s has no goss spec for it: want %s", c.ID, c.TKGConfig.Path, strings.Join(names, " or "))
}
