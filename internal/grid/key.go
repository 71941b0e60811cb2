package grid

import (
	"crypto/sha256"
	"encoding/json"

	"github.com/imagegrid/imagegrid/internal/record"
)

// keyVersion changes when the meaning of the build key changes, so every cell rebuilds.
const keyVersion = 1

// keyInput is everything that determines a cell's image. Fields that only say where the image
// goes (publish hints, replacesDefault, the grid name) or how people name it are left out, and
// var files, the TKG configuration and roles count by content, not path: moving a file does
// not rebuild anything.
type keyInput struct {
	KeyVersion   int                 `json:"keyVersion"`
	Infra        string              `json:"infra"`
	OS           record.OS           `json:"os"`
	Target       string              `json:"target"`
	Kubernetes   record.Kubernetes   `json:"kubernetes"`
	ImageBuilder record.ImageBuilder `json:"imageBuilder"`
	VarFiles     []string            `json:"varFiles"`
	Vars         map[string]string   `json:"vars"`
	// TKGConfig and Roles are folder digests; omitted when empty, so the keys of cells
	// without them are what they were before folders counted.
	TKGConfig string   `json:"tkgConfig,omitempty"`
	Roles     []string `json:"roles,omitempty"`
	// Windows is a Windows cell's ISO paths and answer file digest; omitted for others.
	Windows *windowsKey `json:"windows,omitempty"`
}

// windowsKey is the part of a Windows cell's settings that determines its image.
type windowsKey struct {
	ISOPath        string `json:"isoPath"`
	VMToolsISOPath string `json:"vmToolsIsoPath"`
	AnswerFile     string `json:"answerFile"`
}

// buildKey is the sha256 of the canonical JSON of the cell's keyInput (encoding/json writes
// struct fields in declaration order and map keys sorted, so the encoding is canonical); a
// cell's BuildKey is its hex form.
func buildKey(c record.Cell) [sha256.Size]byte {
	in := keyInput{
		KeyVersion:   keyVersion,
		Infra:        c.Infra,
		OS:           c.OS,
		Target:       c.Target.Build,
		Kubernetes:   c.Kubernetes,
		ImageBuilder: c.ImageBuilder,
		Vars:         c.Vars,
	}
	for _, vf := range c.VarFiles {
		in.VarFiles = append(in.VarFiles, vf.SHA256)
	}
	if c.TKGConfig != nil {
		in.TKGConfig = c.TKGConfig.SHA256
	}
	for _, r := range c.Roles {
		in.Roles = append(in.Roles, r.SHA256)
	}
	if w := c.Windows; w != nil {
		in.Windows = &windowsKey{ISOPath: w.ISOPath, VMToolsISOPath: w.VMToolsISOPath, AnswerFile: w.AnswerFile.SHA256}
	}
	h := sha256.New()
	if err := json.NewEncoder(h).Encode(in); err != nil {
		panic("grid: build key input cannot be encoded: " + err.Error()) // plain strings and maps only
	}
	return [sha256.Size]byte(h.Sum(nil))
}
