package inspect

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
)

// Versions cannot come from debug/buildinfo: Kubernetes and containerd are built with
// -trimpath and their -X values are not recorded there. A Go string variable set with -X
// is a string header (pointer, length) in a writable data section pointing into read-only
// data; in a position-independent binary the pointer slot holds zero and an R_*_RELATIVE
// relocation carries the address. These functions find such headers.

var (
	versionRe = regexp.MustCompile(`^v?[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z._+-]+)?$`)
	commitRe  = regexp.MustCompile(`^[0-9a-f]{40}$`)
	hexLetter = regexp.MustCompile(`[a-f]`)
)

// maxDataSection bounds a data section read into memory (kubelet's .noptrdata is ~2 MiB).
const maxDataSection = 64 << 20

// goString is a string header found in a data section: its slot address and the string.
type goString struct {
	slot  uint64
	value string
}

// elfStrings returns the short strings (at most 128 bytes) whose headers lie in the data
// sections of the ELF file in r, in slot order.
func elfStrings(r io.ReaderAt) (strs []goString, err error) {
	// debug/elf has panicked on malformed files before; a corrupt binary is an error.
	defer func() {
		if p := recover(); p != nil {
			strs, err = nil, fmt.Errorf("malformed ELF file: %v", p)
		}
	}()
	f, err := elf.NewFile(r)
	if err != nil {
		return nil, fmt.Errorf("not an ELF executable: %w", err)
	}
	defer f.Close()
	if f.Class != elf.ELFCLASS64 || f.ByteOrder != binary.LittleEndian {
		return nil, errors.New("not a 64-bit little-endian ELF executable")
	}
	ro, data := dataSections(f)
	if len(data) == 0 || len(ro) == 0 {
		return nil, errors.New("no .data or read-only data section")
	}
	relocs, err := relativeRelocs(f, data)
	if err != nil {
		return nil, err
	}
	var out []goString
	for _, s := range data {
		body, err := readSection(s)
		if err != nil {
			return nil, err
		}
		out = append(out, sectionStrings(s.Addr, body, ro, relocs)...)
	}
	return out, nil
}

// dataSections sorts the allocated PROGBITS sections of f: the read-only ones (where string
// bytes live) and the data sections (where string headers live).
func dataSections(f *elf.File) (ro, data []*elf.Section) {
	for _, s := range f.Sections {
		switch {
		case s.Type != elf.SHT_PROGBITS || s.Flags&elf.SHF_ALLOC == 0:
		case s.Flags&elf.SHF_WRITE == 0 && s.Flags&elf.SHF_EXECINSTR == 0:
			ro = append(ro, s)
		case s.Name == ".data" || s.Name == ".noptrdata" || s.Name == ".data.rel.ro":
			data = append(data, s)
		}
	}
	return ro, data
}

// sectionStrings reads the string headers of a data section's body loaded at addr: every
// 8-byte-aligned slot holding a pointer (or, in a position-independent executable, a relative
// relocation) into a read-only section and a length of 1 to 128.
func sectionStrings(addr uint64, body []byte, ro []*elf.Section, relocs map[uint64]uint64) []goString {
	var out []goString
	for i := 0; i+16 <= len(body); i += 8 {
		slot := addr + uint64(i)
		ptr := binary.LittleEndian.Uint64(body[i:])
		n := binary.LittleEndian.Uint64(body[i+8:])
		if n == 0 || n > 128 {
			continue
		}
		if ptr == 0 {
			if ptr = relocs[slot]; ptr == 0 {
				continue
			}
		}
		sec := containing(ro, ptr, n)
		if sec == nil {
			continue
		}
		buf := make([]byte, n)
		if _, err := sec.ReadAt(buf, int64(ptr-sec.Addr)); err != nil {
			continue
		}
		out = append(out, goString{slot: slot, value: string(buf)})
	}
	return out
}

// readSection reads a section whole, refusing one larger than maxDataSection.
func readSection(s *elf.Section) ([]byte, error) {
	if s.Size > maxDataSection {
		return nil, fmt.Errorf("section %s is %d bytes; at most %d are read", s.Name, s.Size, maxDataSection)
	}
	body := make([]byte, s.Size)
	if s.Size == 0 {
		return body, nil
	}
	if _, err := s.ReadAt(body, 0); err != nil {
		return nil, fmt.Errorf("read %s: %w", s.Name, err)
	}
	return body, nil
}

func containing(secs []*elf.Section, addr, n uint64) *elf.Section {
	for _, s := range secs {
		if addr >= s.Addr && addr+n <= s.Addr+s.Size {
			return s
		}
	}
	return nil
}

// relativeRelocs maps slot address → target for the RELATIVE relocations into the data
// sections (position-independent executables).
func relativeRelocs(f *elf.File, data []*elf.Section) (map[uint64]uint64, error) {
	relative := uint32(elf.R_X86_64_RELATIVE)
	if f.Machine == elf.EM_AARCH64 {
		relative = uint32(elf.R_AARCH64_RELATIVE)
	}
	out := map[uint64]uint64{}
	for _, s := range f.Sections {
		if s.Type != elf.SHT_RELA {
			continue
		}
		body, err := readSection(s)
		if err != nil {
			return nil, err
		}
		for i := 0; i+24 <= len(body); i += 24 {
			off := binary.LittleEndian.Uint64(body[i:])
			info := binary.LittleEndian.Uint64(body[i+8:])
			if uint32(info) != relative || containing(data, off, 16) == nil {
				continue
			}
			out[off] = binary.LittleEndian.Uint64(body[i+16:])
		}
	}
	return out, nil
}

// near returns the version-like strings closest to a string matching anchor, within window
// slots: the linker keeps a package's variables in declaration order, so gitVersion sits
// right before gitCommit and containerd's Version right after Package, while other
// version-like strings of the program lie further away.
func near(strs []goString, anchor func(string) bool, window uint64) []string {
	best := window*16 + 1
	var found []string
	for _, a := range strs {
		if !anchor(a.value) {
			continue
		}
		for _, s := range strs {
			d := max(s.slot, a.slot) - min(s.slot, a.slot)
			if d == 0 || d > best || !versionRe.MatchString(s.value) {
				continue
			}
			if d < best {
				best, found = d, nil
			}
			if !slices.Contains(found, s.value) {
				found = append(found, s.value)
			}
		}
	}
	return found
}

// kubernetesVersion finds the gitVersion Kubernetes' build stamps into a binary with -X
// (k8s.io/component-base/version: gitVersion beside the 40-hex gitCommit).
func kubernetesVersion(r io.ReaderAt) (string, error) {
	strs, err := elfStrings(r)
	if err != nil {
		return "", err
	}
	isCommit := func(s string) bool { return commitRe.MatchString(s) && hexLetter.MatchString(s) }
	found := near(strs, isCommit, 6)
	return one(found, "a Kubernetes gitVersion next to a gitCommit")
}

// containerdVersion finds the Version containerd's build stamps with -X
// (github.com/containerd/containerd[/v2]/version: Version beside Package).
func containerdVersion(r io.ReaderAt) (string, error) {
	strs, err := elfStrings(r)
	if err != nil {
		return "", err
	}
	isPackage := func(s string) bool {
		return s == "github.com/containerd/containerd" || bytes.HasPrefix([]byte(s), []byte("github.com/containerd/containerd/v"))
	}
	return one(near(strs, isPackage, 4), "containerd's Version next to its module path")
}

func one(found []string, what string) (string, error) {
	switch len(found) {
	case 0:
		return "", fmt.Errorf("no %s in the binary's data", what)
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("several candidates for %s: %q", what, found)
}
