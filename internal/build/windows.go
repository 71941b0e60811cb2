package build

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/imagegrid/imagegrid/internal/limits"
	"github.com/imagegrid/imagegrid/internal/record"
)

// readAnswerFile reads a Windows cell's autounattend.xml (relative to root, confined to it
// like var files) and refuses one that is missing, unreadable, changed since matrix recorded
// its digest, or not XML: all before any container starts. Its content is never part of an
// error: it may hold a product key or KMS host.
func readAnswerFile(c record.Cell, root string) ([]byte, error) {
	af := c.Windows.AnswerFile
	name := filepath.FromSlash(af.Path)
	if !filepath.IsLocal(name) {
		return nil, fmt.Errorf("cell %s: windows.answerFile.path %q: want a path relative to the directory matrix ran in, inside it", c.ID, af.Path)
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("cell %s: answer file: %w", c.ID, err)
	}
	defer r.Close()
	p := filepath.Join(root, name)
	data, err := limits.AnswerFile.ReadFS(r.FS(), filepath.ToSlash(name), p)
	if err != nil {
		return nil, fmt.Errorf("cell %s: answer file (the grid's windows.answerFile): %w", c.ID, err)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != strings.ToLower(af.SHA256) {
		return nil, fmt.Errorf("cell %s: answer file %s changed since the cell was made: sha256 is %s, the cell says %s; run matrix again", c.ID, p, got, af.SHA256)
	}
	if err := checkAnswerFile(data); err != nil {
		return nil, fmt.Errorf("cell %s: answer file %s: %w", c.ID, p, err)
	}
	return data, nil
}

// checkAnswerFile refuses what Windows Setup would not read as an answer file: upstream's
// hack/windows-ova-unattend.py parses it with ElementTree and looks up the oobeSystem pass's
// Microsoft-Windows-Shell-Setup component to set its TimeZone. The error names the line
// only, never the content.
func checkAnswerFile(data []byte) error {
	d := xml.NewDecoder(strings.NewReader(string(data)))
	first := true
	for {
		tok, err := d.Token()
		if err != nil {
			if first || !errors.Is(err, io.EOF) {
				line, _ := d.InputPos()
				return fmt.Errorf("line %d: not well-formed XML; want Windows Setup's answer file (an <unattend> document)", line)
			}
			return nil
		}
		if se, ok := tok.(xml.StartElement); ok && first {
			if se.Name.Local != "unattend" || se.Name.Space != "urn:schemas-microsoft-com:unattend" {
				line, _ := d.InputPos()
				return fmt.Errorf("line %d: the root element is <%s>, want <unattend xmlns=\"urn:schemas-microsoft-com:unattend\">", line, se.Name.Local)
			}
			first = false
		}
	}
}
