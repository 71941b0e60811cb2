package grid

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"hash"
	"io"

	"github.com/imagegrid/imagegrid/internal/record"
)

// keyVersion changes when the meaning of the build key changes, so every cell rebuilds.
const keyVersion = 1

// keyInput is everything that determines a cell's image. Fields that only say where the image
// goes (publish hints, replacesDefault, the grid name) or how people name it are left out, and
// var files, the TKG configuration and roles count by content, not path: moving a file does
// not rebuild anything. encoding/json writes the fields of both halves as one object, in
// order.
type keyInput struct {
	keyHead
	keyTail
}

// keyHead is the part of keyInput that every cell of one declaration site shares.
type keyHead struct {
	KeyVersion int       `json:"keyVersion"`
	Infra      string    `json:"infra"`
	OS         record.OS `json:"os"`
	Target     string    `json:"target"`
}

// keyTail is the rest of keyInput.
type keyTail struct {
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

// keyHasher computes build keys, one cell after another, reusing its input, buffers and hash:
// a grid of many cells hashes them as they stream.
type keyHasher struct {
	in   keyInput
	head []byte // the JSON of in.keyHead without its closing brace; nil before the first cell
	buf  bytes.Buffer
	enc  *json.Encoder // into buf
	h    hash.Hash
	sum  []byte
}

func newKeyHasher() *keyHasher {
	k := &keyHasher{h: sha256.New(), sum: make([]byte, 0, sha256.Size)}
	k.enc = json.NewEncoder(&k.buf)
	return k
}

// key is the hex sha256 of the canonical JSON of the cell's keyInput (encoding/json writes
// struct fields in declaration order and map keys sorted, so the encoding is canonical): the
// cell's BuildKey.
func (k *keyHasher) key(c record.Cell) string {
	k.h.Reset()
	k.write(k.h, c)
	k.sum = k.h.Sum(k.sum[:0])
	return hex.EncodeToString(k.sum)
}

// write writes the JSON of the cell's keyInput to w as encoding/json's Encoder writes it:
// the head's object but for its closing brace, a comma, then the tail's object but for its
// opening brace (and the newline the encoder ends with). Cells come ordered by site, so the
// head is encoded again only when it changes.
func (k *keyHasher) write(w io.Writer, c record.Cell) {
	head := keyHead{KeyVersion: keyVersion, Infra: c.Infra, OS: c.OS, Target: c.Target.Build}
	if k.head == nil || head != k.in.keyHead {
		k.in.keyHead = head
		k.encode(&k.in.keyHead)
		k.head = append(k.head[:0], bytes.TrimSuffix(k.buf.Bytes(), []byte("}\n"))...)
	}
	tail := &k.in.keyTail
	*tail = keyTail{
		Kubernetes:   c.Kubernetes,
		ImageBuilder: c.ImageBuilder,
		Vars:         c.Vars,
		VarFiles:     tail.VarFiles[:0],
		Roles:        tail.Roles[:0],
	}
	for _, vf := range c.VarFiles {
		tail.VarFiles = append(tail.VarFiles, vf.SHA256)
	}
	if len(c.VarFiles) == 0 {
		tail.VarFiles = nil // encoded as null, as it always was
	}
	if c.TKGConfig != nil {
		tail.TKGConfig = c.TKGConfig.SHA256
	}
	for _, r := range c.Roles {
		tail.Roles = append(tail.Roles, r.SHA256)
	}
	if w := c.Windows; w != nil {
		tail.Windows = &windowsKey{ISOPath: w.ISOPath, VMToolsISOPath: w.VMToolsISOPath, AnswerFile: w.AnswerFile.SHA256}
	}
	k.encode(tail)
	w.Write(k.head)
	w.Write([]byte{','})
	w.Write(k.buf.Bytes()[1:])
}

// encode leaves the JSON of v in buf.
func (k *keyHasher) encode(v any) {
	k.buf.Reset()
	if err := k.enc.Encode(v); err != nil {
		panic("grid: build key input cannot be encoded: " + err.Error()) // plain strings and maps only
	}
}
