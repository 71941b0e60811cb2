package build

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/imagegrid/imagegrid/internal/limits"
	"github.com/imagegrid/imagegrid/internal/record"
)

// readAnswerFile reads a Windows cell's autounattend.xml (relative to root, confined to it
// like var files) and refuses one that is missing, unreadable, changed since matrix recorded
// its digest, or not XML: all before any container starts. Its content is never part of an
// error: it may hold a product key or KMS host.
func readAnswerFile(c record.Cell, root string) ([]byte, error) {
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("cell %s: answer file: %w", c.ID, err)
	}
	defer r.Close()
	data, p, err := readRecorded(c, r, root, c.Windows.AnswerFile, "windows.answerFile", "answer file", limits.AnswerFile)
	if err != nil {
		return nil, err
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

// answerFileSecrets are the values of an answer file that must never reach a log: the product
// key (Microsoft-Windows-Setup's UserData/ProductKey/Key, Shell-Setup's ProductKey), the KMS
// host (Microsoft-Windows-Security-SPP's KeyManagementServiceName) and passwords
// (AdministratorPassword, AutoLogon's Password, LocalAccount passwords: their Value). They
// join the build's secrets: masked for Actions and replaced by *** in the kept log.
func answerFileSecrets(data []byte) []string {
	var secrets, path []string
	d := xml.NewDecoder(strings.NewReader(string(data)))
	for {
		tok, err := d.Token()
		if err != nil {
			return secrets
		}
		switch t := tok.(type) {
		case xml.StartElement:
			path = append(path, t.Name.Local)
		case xml.EndElement:
			path = path[:len(path)-1]
		case xml.CharData:
			v := strings.TrimSpace(string(t))
			if v != "" && secretAnswer(path) {
				secrets = append(secrets, v)
			}
		}
	}
}

// secretAnswer reports whether the element at path holds one of answerFileSecrets.
func secretAnswer(path []string) bool {
	n := len(path)
	last := path[n-1]
	parent := ""
	if n > 1 {
		parent = path[n-2]
	}
	switch {
	case last == "ProductKey", last == "KeyManagementServiceName":
		return true
	case last == "Key" && parent == "ProductKey":
		return true
	case last == "Value" && (parent == "Password" || parent == "AdministratorPassword"):
		return true
	}
	return false
}
