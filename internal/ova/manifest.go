package ova

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"
)

// maxManifestSize bounds the .mf held in memory; real ones are a line per file.
const maxManifestSize = 1 << 20

// manifestLine is one entry of an OVF manifest, "SHA256(disk.vmdk)= <hex>", as
// kubernetes-sigs/image-builder images/capi/hack/image-build-ova.py writes it
// (create_ova_manifest) and govmomi's library.ReadManifest (vapi/library, v0.56.0) reads it.
var manifestLine = regexp.MustCompile(`^(SHA1|SHA256|SHA512) ?\((.+)\) ?= ?([0-9a-fA-F]+)$`)

// newHash returns the hash of a manifest algorithm.
func newHash(alg string) hash.Hash {
	switch alg {
	case "SHA1":
		return sha1.New()
	case "SHA512":
		return sha512.New()
	}
	return sha256.New()
}

// IsManifest reports whether an OVA member is its manifest.
func IsManifest(name string) bool { return strings.EqualFold(path.Ext(name), ".mf") }

// Digest is a member's digest as an OVA's manifest lists it.
type Digest struct {
	// Algorithm is SHA1, SHA256 or SHA512, as the manifest names it; Sum is lower-case hex.
	Algorithm, Sum string
}

// Manifest checks the members of an OVA against its .mf as they stream past, the way
// ovftool and vCenter do (govmomi's ovf/importer VerifyManifest, v0.56.0, compares each
// uploaded file with its manifest entry): a member whose digest differs, a member the
// manifest does not list, or an entry with no member is an error. The manifest may come
// right after the descriptor (Image Builder's order: ovf, mf, disks) or after the disks;
// members read before it are hashed with SHA-256 and checked when it arrives. An OVA
// without a manifest passes (the manifest is optional in the OVF specification, DSP0243);
// its digest is still checked against its .sha256 or record.
//
// A manifest whose own SHA-256 is trusted (Trust) anchors a chain of trust, as the OVF
// specification's certificate anchors one on the manifest (DSP0243): trusted digest →
// manifest bytes → each member's digest. The manifest is then required, and so are digests
// of SHA-256 or stronger in it.
type Manifest struct {
	desc     []byte // the descriptor, which always comes before the manifest
	descName string
	name     string            // the .mf member once read
	want     map[string]Digest // member → digest the manifest lists
	early    map[string]string // members read before the manifest → SHA-256
	seen     []string          // members checked against the manifest
	trusted  string            // the SHA-256 the manifest's bytes must have; "" when none is
	sum      string            // the SHA-256 of the manifest's bytes once read
	weak     bool              // the manifest lists a SHA1 digest
	// handedOff holds the members whose bytes were hashed by whoever received them, not
	// here, until Confirm compares that digest with the manifest's.
	handedOff map[string]Digest
}

// Trust makes sum, the SHA-256 of a manifest whose members were all checked against it (as
// build records it), the anchor of the OVA's checks: the manifest must be there and its bytes
// must have that digest, and each member is trusted through the manifest alone. Call it
// before the manifest is read.
func (m *Manifest) Trust(sum string) { m.trusted = strings.ToLower(sum) }

// Chained returns the SHA-256 of the manifest's bytes when the manifest can anchor a chain of
// trust: it was read, and every digest it lists is SHA-256 or SHA-512 (a SHA-1 digest cannot
// carry trust: SHA-1 collisions can be made). It is "" otherwise.
func (m *Manifest) Chained() string {
	if m.name == "" || m.weak {
		return ""
	}
	return m.sum
}

// Descriptor records the OVF descriptor (the first member, held in memory), to be checked
// against the manifest in whichever algorithm it names.
func (m *Manifest) Descriptor(name string, data []byte) {
	m.descName, m.desc = name, data
}

// Hash returns the hash member name must be read through; pass it to Check once the
// member has been read whole. It hashes on another goroutine, beside the whole file's
// SHA-256 that every reader of an OVA computes too.
func (m *Manifest) Hash(name string) (hash.Hash, error) {
	if m.name == "" {
		return newPipelined(sha256.New()), nil
	}
	d, ok := m.want[name]
	if !ok {
		return nil, fmt.Errorf("tar member %q is not listed in the manifest %s", name, m.name)
	}
	return newPipelined(newHash(d.Algorithm)), nil
}

// Check compares the hash of member name, read whole through h, with the manifest.
func (m *Manifest) Check(name string, h hash.Hash) error {
	sum := hex.EncodeToString(h.Sum(nil))
	if m.name == "" {
		if m.early == nil {
			m.early = map[string]string{}
		}
		m.early[name] = sum
		return nil
	}
	return m.compare(name, Digest{m.want[name].Algorithm, sum})
}

func (m *Manifest) compare(name string, got Digest) error {
	want := m.want[name]
	if got.Algorithm != want.Algorithm {
		return fmt.Errorf("the manifest %s lists %s with %s, which can only be checked when the manifest comes before it in the OVA", m.name, name, want.Algorithm)
	}
	if got.Sum != want.Sum {
		return fmt.Errorf("tar member %q has %s %s; the manifest %s says %s", name, want.Algorithm, got.Sum, m.name, want.Sum)
	}
	m.seen = append(m.seen, name)
	return nil
}

// ReadFrom reads the manifest member name (size bytes from r) and checks the members read
// before it.
func (m *Manifest) ReadFrom(name string, size int64, r io.Reader) error {
	if size > maxManifestSize {
		return fmt.Errorf("manifest %s is %d bytes; at most %d are accepted", name, size, maxManifestSize)
	}
	data, err := io.ReadAll(io.LimitReader(r, maxManifestSize))
	if err != nil {
		return truncated("read "+name, err)
	}
	return m.read(name, data)
}

func (m *Manifest) read(name string, data []byte) error {
	if m.name != "" {
		return fmt.Errorf("the OVA holds two manifests, %s and %s", m.name, name)
	}
	sum := sha256.Sum256(data)
	m.sum = hex.EncodeToString(sum[:])
	if m.trusted != "" && m.sum != m.trusted {
		return fmt.Errorf("manifest %s has SHA256 %s; the build record says %s", name, m.sum, m.trusted)
	}
	want, weak, err := parseManifest(name, data, m.trusted != "")
	if err != nil {
		return err
	}
	m.name, m.want, m.weak = name, want, weak
	if err := m.checkDescriptor(); err != nil {
		return err
	}
	for _, member := range slices.Sorted(maps.Keys(m.early)) {
		if _, ok := want[member]; !ok {
			return fmt.Errorf("tar member %q is not listed in the manifest %s", member, name)
		}
		if err := m.compare(member, Digest{"SHA256", m.early[member]}); err != nil {
			return err
		}
	}
	return nil
}

// parseManifest reads the entries of the manifest name: member → digest, and whether one is
// SHA-1 (weak), which is an error when the manifest is to carry trust (strong).
func parseManifest(name string, data []byte, strong bool) (want map[string]Digest, weak bool, err error) {
	want = map[string]Digest{}
	s := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; s.Scan(); line++ {
		text := strings.TrimSpace(s.Text())
		if text == "" {
			continue
		}
		f := manifestLine.FindStringSubmatch(text)
		if f == nil {
			return nil, false, fmt.Errorf("%s:%d: %q is not a manifest entry; want ALGORITHM(file)= hex digest, ALGORITHM one of SHA1, SHA256, SHA512", name, line, text)
		}
		d := Digest{Algorithm: f[1], Sum: strings.ToLower(f[3])}
		if len(d.Sum) != 2*newHash(d.Algorithm).Size() {
			return nil, false, fmt.Errorf("%s:%d: %s digest of %s has %d hex digits, want %d", name, line, d.Algorithm, f[2], len(d.Sum), 2*newHash(d.Algorithm).Size())
		}
		if _, dup := want[f[2]]; dup {
			return nil, false, fmt.Errorf("%s:%d: %s is listed twice", name, line, f[2])
		}
		if d.Algorithm == "SHA1" && strong {
			return nil, false, fmt.Errorf("%s:%d: %s is listed with SHA1, which cannot carry the build record's trust; want SHA256 or SHA512", name, line, f[2])
		}
		weak = weak || d.Algorithm == "SHA1"
		want[f[2]] = d
	}
	return want, weak, nil
}

// checkDescriptor checks the descriptor, read before the manifest, against it.
func (m *Manifest) checkDescriptor() error {
	if m.descName == "" {
		return nil
	}
	d, ok := m.want[m.descName]
	if !ok {
		return fmt.Errorf("the OVF descriptor %s is not listed in the manifest %s", m.descName, m.name)
	}
	h := newHash(d.Algorithm)
	h.Write(m.desc)
	return m.compare(m.descName, Digest{d.Algorithm, hex.EncodeToString(h.Sum(nil))})
}

// Listed returns the member the manifest lists under the base name of name, and its digest;
// ok is false until the manifest is read, and for a member it does not list.
func (m *Manifest) Listed(name string) (member string, d Digest, ok bool) {
	for member, d := range m.want {
		if path.Base(member) == path.Base(name) {
			return member, d, true
		}
	}
	return "", Digest{}, false
}

// HandOff notes that the bytes of member name are hashed by whoever receives them rather
// than here: Confirm must then be given that digest, and Done fails until it is.
func (m *Manifest) HandOff(name string) error {
	d, ok := m.want[name]
	if !ok {
		return fmt.Errorf("tar member %q cannot be checked by its receiver: no manifest listing it precedes it", name)
	}
	if m.handedOff == nil {
		m.handedOff = map[string]Digest{}
	}
	m.handedOff[name] = d
	return nil
}

// Confirm compares got, the digest the receiver of a handed-off member computed of the bytes
// it received, with the manifest's.
func (m *Manifest) Confirm(name string, got Digest) error {
	member, _, ok := m.Listed(name)
	if _, handedOff := m.handedOff[member]; !ok || !handedOff {
		return fmt.Errorf("tar member %q was not handed off to its receiver to be hashed", name)
	}
	delete(m.handedOff, member)
	got = Digest{strings.ToUpper(got.Algorithm), strings.ToLower(got.Sum)}
	if want := m.want[member].Algorithm; got.Algorithm != want {
		return fmt.Errorf("the receiver of tar member %q computed its %s; the manifest %s lists its %s", member, got.Algorithm, m.name, want)
	}
	return m.compare(member, got)
}

// Done reports a manifest entry that named no member of the OVA, a member handed off to its
// receiver whose digest was never confirmed, and a trusted manifest (Trust) that the OVA
// lacks.
func (m *Manifest) Done() error {
	if m.trusted != "" && m.name == "" {
		return fmt.Errorf("the OVA has no manifest (.mf); its build record gives the manifest's SHA256 %s", m.trusted)
	}
	if len(m.handedOff) > 0 {
		return fmt.Errorf("tar member %q was handed off to its receiver to be hashed, and the digest it computed was never confirmed", slices.Sorted(maps.Keys(m.handedOff))[0])
	}
	for _, name := range slices.Sorted(maps.Keys(m.want)) {
		if !slices.Contains(m.seen, name) {
			return fmt.Errorf("the manifest %s lists %s, which is not in the OVA", m.name, name)
		}
	}
	return nil
}

// pipelinedChunk is how many bytes a pipelined hash gathers before hashing them.
const pipelinedChunk = 256 << 10

// pipelined is a hash that hashes its input on another goroutine, one chunk behind the
// writer, so that hashing a member and hashing the whole file use two cores. Each chunk's
// goroutine ends on its own; Sum waits for the last.
type pipelined struct {
	h    hash.Hash
	bufs [2][]byte
	cur  int           // the buffer being filled
	done chan struct{} // closed when the chunk being hashed is done; nil when none is
}

func newPipelined(h hash.Hash) *pipelined {
	return &pipelined{h: h, bufs: [2][]byte{make([]byte, 0, pipelinedChunk), make([]byte, 0, pipelinedChunk)}}
}

func (p *pipelined) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		buf := p.bufs[p.cur]
		k := copy(buf[len(buf):cap(buf)], b)
		p.bufs[p.cur], b = buf[:len(buf)+k], b[k:]
		if len(p.bufs[p.cur]) == pipelinedChunk {
			p.flush()
		}
	}
	return n, nil
}

// flush hands the buffer being filled to a goroutine and starts filling the other.
func (p *pipelined) flush() {
	p.wait()
	chunk, done := p.bufs[p.cur], make(chan struct{})
	go func() {
		p.h.Write(chunk)
		close(done)
	}()
	p.done = done
	p.cur ^= 1
	p.bufs[p.cur] = p.bufs[p.cur][:0]
}

func (p *pipelined) wait() {
	if p.done != nil {
		<-p.done
		p.done = nil
	}
}

func (p *pipelined) Sum(b []byte) []byte {
	p.wait()
	p.h.Write(p.bufs[p.cur])
	p.bufs[p.cur] = p.bufs[p.cur][:0]
	return p.h.Sum(b)
}

func (p *pipelined) Reset() {
	p.wait()
	p.bufs[p.cur] = p.bufs[p.cur][:0]
	p.h.Reset()
}

// unpipelined is the hash behind h when h is pipelined, for a caller that already hashes
// off the reading goroutine (hashedFile.tap): written to directly, it is spared a copy and a
// goroutine per chunk. h's buffers stay empty, so h.Sum is still the digest of what was written.
func unpipelined(h hash.Hash) hash.Hash {
	if p, ok := h.(*pipelined); ok {
		return p.h
	}
	return h
}

func (p *pipelined) Size() int      { return p.h.Size() }
func (p *pipelined) BlockSize() int { return p.h.BlockSize() }
