package build

import (
	"bytes"
	"io"
	"regexp"
	"strings"

	"github.com/imagegrid/imagegrid/internal/imagebuilder"
)

// Image Builder phases, in the order a build passes them.
const (
	PhaseBoot      = "boot"
	PhaseProvision = "provision"
	PhaseGoss      = "goss"
	PhaseExport    = "export"
)

var phases = []struct {
	name string
	re   *regexp.Regexp
}{
	{PhaseBoot, regexp.MustCompile(`Waiting for (SSH|WinRM|IP)|Launching a source AWS instance|Creating VM|Starting the virtual machine`)},
	{PhaseProvision, regexp.MustCompile(`Provisioning with (Ansible|shell script|powershell|windows-restart)`)},
	{PhaseGoss, regexp.MustCompile(`Provisioning with Goss|Running goss`)},
	{PhaseExport, regexp.MustCompile(`Running post-processor|Creating AMI|Exporting|Capturing image|ovftool`)},
}

var ansiEscape = regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]")

// stream turns Image Builder's output into clean lines: colour codes stripped, secrets
// replaced by ***, each line written to the log and to the console, classified, and watched
// for phase changes (reported to onPhase, only ever forward).
type stream struct {
	log, console io.Writer
	secrets      []string
	onPhase      func(phase string)
	classifier   classifier
	goss         gossJSON
	phase        int
	last         string
	partial      []byte
	// galleryImageVersion is the Compute Gallery image version id an azure-arm build
	// printed with its artifact, read before secrets are replaced (the subscription id is
	// one, and publish needs the whole id).
	galleryImageVersion string
}

func newStream(log, console io.Writer, secrets []string, onPhase func(string)) *stream {
	return &stream{log: log, console: console, secrets: secrets, onPhase: onPhase, phase: -1}
}

// Write takes output in any chunks and handles it line by line.
func (s *stream) Write(p []byte) (int, error) {
	s.partial = append(s.partial, p...)
	for {
		i := bytes.IndexByte(s.partial, '\n')
		if i < 0 {
			break
		}
		s.line(string(s.partial[:i]))
		s.partial = s.partial[i+1:]
	}
	return len(p), nil
}

// Close handles a last line without a newline.
func (s *stream) Close() error {
	if len(s.partial) > 0 {
		s.line(string(s.partial))
		s.partial = nil
	}
	return nil
}

func (s *stream) line(raw string) {
	clean := strings.TrimRight(ansiEscape.ReplaceAllString(raw, ""), "\r")
	if id, ok := imagebuilder.GalleryImageVersionLine(clean); ok {
		s.galleryImageVersion = id
	}
	text := redact(clean, s.secrets)
	for i := s.phase + 1; i < len(phases); i++ {
		if phases[i].re.MatchString(text) {
			s.phase = i
			s.onPhase(phases[i].name)
			break
		}
	}
	io.WriteString(s.log, text+"\n")
	io.WriteString(s.console, text+"\n")
	s.classifier.line(text)
	if s.Phase() == PhaseGoss {
		s.goss.line(text)
	}
	if strings.TrimSpace(text) != "" {
		s.last = strings.TrimSpace(text)
	}
}

// Phase is the last phase the build reached, "" before the first.
func (s *stream) Phase() string {
	if s.phase < 0 {
		return ""
	}
	return phases[s.phase].name
}

// minSecretLen is the shortest secret redacted from logs; replacing shorter ones would garble
// them (Actions still masks every secret).
const minSecretLen = 4

// redact replaces every secret value in text with ***.
func redact(text string, secrets []string) string {
	for _, v := range secrets {
		if len(v) >= minSecretLen {
			text = strings.ReplaceAll(text, v, "***")
		}
	}
	return text
}
