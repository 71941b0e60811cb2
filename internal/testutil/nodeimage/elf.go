package nodeimage

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
)

// goString is a Go string variable set at link time (-X): its header (data pointer, length)
// in .data pointing at the bytes in .rodata.
type goString struct {
	value string
}

// goBinary writes a small ELF64 file laid out like a Go program built with
// -ldflags "-X ..." and -trimpath: the -X strings' bytes in .rodata, their string headers in
// .data, in the order the variables are declared. With pie, the binary is position
// independent as Go builds it with -buildmode=pie: the .data slots hold zero and each
// pointer is an R_X86_64_RELATIVE (or R_AARCH64_RELATIVE) relocation in .rela.dyn whose
// addend is the address. The code is a stub: these files are read, never run.
// textBytes pads the code to that size with incompressible bytes (a real kubelet has ~110 MB).
func goBinary(arch string, pie bool, textBytes int, vars []goString) []byte {
	const (
		rodataAddr = 0x500000
		dataAddr   = 0x700000
	)
	machine, relative := elf.EM_X86_64, uint32(elf.R_X86_64_RELATIVE)
	if arch == "arm64" {
		machine, relative = elf.EM_AARCH64, uint32(elf.R_AARCH64_RELATIVE)
	}
	var rodata, data, rela bytes.Buffer
	rodata.WriteString("go:buildid\x00runtime.main\x00") // some unrelated read-only data first
	data.Write(make([]byte, 64))                         // and some unrelated data
	for _, v := range vars {
		addr := uint64(rodataAddr + rodata.Len())
		rodata.WriteString(v.value)
		slot := uint64(dataAddr + data.Len())
		if pie {
			binary.Write(&data, binary.LittleEndian, uint64(0))
			binary.Write(&rela, binary.LittleEndian, elf.Rela64{Off: slot, Info: uint64(relative), Addend: int64(addr)})
		} else {
			binary.Write(&data, binary.LittleEndian, addr)
		}
		binary.Write(&data, binary.LittleEndian, uint64(len(v.value)))
	}
	text := make([]byte, max(textBytes, 1))
	for i, x := 1, uint32(2463534242); i < len(text); i++ { // xorshift: does not compress
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		text[i] = byte(x)
	}
	text[0] = 0xc3 // ret
	shstr := []byte("\x00.text\x00.rodata\x00.data\x00.rela.dyn\x00.shstrtab\x00")
	name := func(s string) uint32 { return uint32(bytes.Index(shstr, []byte("\x00"+s+"\x00")) + 1) }

	type section struct {
		name    string
		typ     elf.SectionType
		flags   elf.SectionFlag
		addr    uint64
		body    []byte
		entsize uint64
		align   uint64
	}
	secs := []section{
		{name: ".text", typ: elf.SHT_PROGBITS, flags: elf.SHF_ALLOC | elf.SHF_EXECINSTR, addr: 0x401000, body: text, align: 16},
		{name: ".rodata", typ: elf.SHT_PROGBITS, flags: elf.SHF_ALLOC, addr: rodataAddr, body: rodata.Bytes(), align: 32},
		{name: ".data", typ: elf.SHT_PROGBITS, flags: elf.SHF_ALLOC | elf.SHF_WRITE, addr: dataAddr, body: data.Bytes(), align: 32},
	}
	if pie {
		secs = append(secs, section{name: ".rela.dyn", typ: elf.SHT_RELA, flags: elf.SHF_ALLOC, body: rela.Bytes(), entsize: 24, align: 8})
	}
	secs = append(secs, section{name: ".shstrtab", typ: elf.SHT_STRTAB, body: shstr, align: 1})

	var out bytes.Buffer
	out.Write(make([]byte, 64)) // ELF header, written last
	offsets := make([]uint64, len(secs))
	for i, s := range secs {
		for uint64(out.Len())%s.align != 0 {
			out.WriteByte(0)
		}
		offsets[i] = uint64(out.Len())
		out.Write(s.body)
	}
	for out.Len()%8 != 0 {
		out.WriteByte(0)
	}
	shoff := uint64(out.Len())
	binary.Write(&out, binary.LittleEndian, elf.Section64{})
	for i, s := range secs {
		binary.Write(&out, binary.LittleEndian, elf.Section64{
			Name: name(s.name), Type: uint32(s.typ), Flags: uint64(s.flags), Addr: s.addr,
			Off: offsets[i], Size: uint64(len(s.body)), Addralign: s.align, Entsize: s.entsize,
		})
	}
	typ := elf.ET_EXEC
	if pie {
		typ = elf.ET_DYN
	}
	hdr := elf.Header64{
		Type: uint16(typ), Machine: uint16(machine), Version: uint32(elf.EV_CURRENT), Entry: 0x401000,
		Shoff: shoff, Ehsize: 64, Shentsize: 64, Shnum: uint16(len(secs) + 1), Shstrndx: uint16(len(secs)),
	}
	copy(hdr.Ident[:], elf.ELFMAG)
	hdr.Ident[elf.EI_CLASS], hdr.Ident[elf.EI_DATA], hdr.Ident[elf.EI_VERSION] = byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)
	var h bytes.Buffer
	binary.Write(&h, binary.LittleEndian, hdr)
	b := out.Bytes()
	copy(b, h.Bytes())
	return b
}

// KubeBinary is kubeadm, kubelet or kubectl for arch ("amd64", "arm64") as the stand-in
// writes it: a small ELF executable (position independent with pie) whose data carries
// version as its gitVersion.
func KubeBinary(arch string, pie bool, version string) []byte {
	return kubeBinary(arch, pie, 0, version, commit(version))
}

// kubeBinary is kubeadm, kubelet or kubectl as Kubernetes' build stamps it
// (hack/lib/version.sh, kube::version::ldflags): the variables of
// k8s.io/component-base/version/base.go in declaration order — gitMajor, gitMinor,
// gitVersion, gitCommit (40 hex), gitTreeState, buildDate.
func kubeBinary(arch string, pie bool, textBytes int, version, commit string) []byte {
	major, minor := "1", "30"
	if v, ok := splitMinor(version); ok {
		major, minor = v[0], v[1]
	}
	return goBinary(arch, pie, textBytes, []goString{{major}, {minor}, {version}, {commit}, {"clean"}, {"2024-06-11T20:17:16Z"}})
}

// containerdBinary is containerd as its Makefile stamps it: -X of version.Package,
// version.Version and version.Revision (containerd/containerd version/version.go).
func containerdBinary(arch, version, revision string) []byte {
	return goBinary(arch, false, 0, []goString{{"github.com/containerd/containerd"}, {version}, {revision}})
}

func splitMinor(v string) ([2]string, bool) {
	s := v
	if len(s) > 0 && s[0] == 'v' {
		s = s[1:]
	}
	parts := bytes.SplitN([]byte(s), []byte("."), 3)
	if len(parts) < 2 {
		return [2]string{}, false
	}
	return [2]string{string(parts[0]), string(parts[1])}, true
}
