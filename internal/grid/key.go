package grid

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"hash"

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
}

// keyHasher computes build keys, one cell after another, reusing its input, hash and encoder:
// a grid of many cells hashes them as they stream.
type keyHasher struct {
	in  keyInput
	h   hash.Hash
	enc *json.Encoder
	sum []byte
}

func newKeyHasher() *keyHasher {
	h := sha256.New()
	return &keyHasher{h: h, enc: json.NewEncoder(h), sum: make([]byte, 0, sha256.Size)}
}

// key is the hex sha256 of the canonical JSON of the cell's keyInput (encoding/json writes
// struct fields in declaration order and map keys sorted, so the encoding is canonical): the
// cell's BuildKey.
func (k *keyHasher) key(c record.Cell) string {
	in := &k.in
	*in = keyInput{
		KeyVersion:   keyVersion,
		Infra:        c.Infra,
		OS:           c.OS,
		Target:       c.Target.Build,
		Kubernetes:   c.Kubernetes,
		ImageBuilder: c.ImageBuilder,
		Vars:         c.Vars,
		VarFiles:     in.VarFiles[:0],
		Roles:        in.Roles[:0],
	}
	for _, vf := range c.VarFiles {
		in.VarFiles = append(in.VarFiles, vf.SHA256)
	}
	if len(c.VarFiles) == 0 {
		in.VarFiles = nil // encoded as null, as it always was
	}
	if c.TKGConfig != nil {
		in.TKGConfig = c.TKGConfig.SHA256
	}
	for _, r := range c.Roles {
		in.Roles = append(in.Roles, r.SHA256)
	}
	k.h.Reset()
	if err := k.enc.Encode(in); err != nil {
		panic("grid: build key input cannot be encoded: " + err.Error()) // plain strings and maps only
	}
	k.sum = k.h.Sum(k.sum[:0])
	return hex.EncodeToString(k.sum)
}
