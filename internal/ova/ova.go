// Package ova reads an OVA as Image Builder writes it, in one streaming pass (Reader): the
// file's sha256, a tar walk that refuses unsafe member names and checks each member against
// the OVA's manifest, and the OVF descriptor parsed for every ProductSection property. Build
// verifies an OVA with it (Verify, against its .ova.sha256) and learns the manifest's digest;
// the vSphere import uploads the members it streams, trusting them through that digest
// (OpenTrusted) or the file's. Nothing is extracted, and memory stays flat whatever the size
// of the disks.
package ova

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// maxOVFSize bounds the OVF descriptor held in memory; real ones are a few KiB.
const maxOVFSize = 16 << 20

// Image is what reading a whole OVA learned (Verify, Reader.Finish).
type Image struct {
	// Size is the OVA's size in bytes and SHA256 its hex digest, checked against the sum file
	// (empty when read with OpenTrusted, which does not hash the file whole).
	Size   int64
	SHA256 string
	// ManifestSHA256 is the hex SHA-256 of the OVA's manifest (.mf), every member having been
	// checked against it, when the manifest can anchor a chain of trust (Manifest.Chained):
	// there is one and it lists no SHA-1 digest. Empty otherwise.
	ManifestSHA256 string
	// Members are the tar members, in order; the OVF descriptor is the first.
	Members []string
	// Product and Version are those of the first ProductSection that has them.
	Product string
	Version string
	// Properties are every ProductSection property, key → value.
	Properties map[string]string
}

// Verify reads the OVA at path once (Reader): it hashes it, walks its tar members (refusing
// absolute names, "..", links and other non-regular members), checks every member against
// the manifest (.mf) when there is one, parses the OVF descriptor (the first member), checks
// that every file the OVF references is a member, and compares the digest with the one in
// path+".sha256". A truncated or unreadable OVA is an error naming path.
func Verify(path string) (Image, error) {
	want, err := readSum(path + ".sha256")
	if err != nil {
		return Image{}, err
	}
	r, err := Open(path)
	if err != nil {
		return Image{}, err
	}
	defer r.Close()
	if _, err := r.Descriptor(); err != nil {
		return Image{}, err
	}
	img, err := r.Finish()
	if err != nil {
		return Image{}, err
	}
	if img.SHA256 != want {
		return Image{}, fmt.Errorf("%s: sha256 is %s but %s.sha256 says %s", path, img.SHA256, path, want)
	}
	return img, nil
}

// readSum reads a sha256 file: the hex digest, optionally followed by a file name
// (sha256sum's format).
func readSum(name string) (string, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return "", fmt.Errorf("read digest: %w", err)
	}
	fields := strings.Fields(string(data))
	if len(fields) == 0 {
		return "", fmt.Errorf("%s: empty; want the OVA's sha256 as 64 hex digits", name)
	}
	sum := strings.ToLower(fields[0])
	if b, err := hex.DecodeString(sum); err != nil || len(b) != sha256.Size {
		return "", fmt.Errorf("%s: %q is not a sha256 digest; want 64 hex digits", name, fields[0])
	}
	return sum, nil
}

// Checker checks the members of an OVA as they stream past, front to back: build's
// verification and the vSphere import apply the same rules through it. Next checks each
// member's header; the embedded Manifest checks their bytes.
type Checker struct {
	Manifest
	seen map[string]bool
}

// Next checks the header of the next member: a safe name of a regular file (CheckMember),
// not seen before, and for the first member an OVF descriptor of at most 16 MiB.
func (c *Checker) Next(hdr *tar.Header) error {
	if err := CheckMember(hdr.Name, hdr.Typeflag); err != nil {
		return err
	}
	if c.seen[hdr.Name] {
		return fmt.Errorf("tar member %q appears twice", hdr.Name)
	}
	if c.seen == nil {
		if !strings.EqualFold(path.Ext(hdr.Name), ".ovf") {
			return fmt.Errorf("first tar member is %q; an OVA starts with its .ovf descriptor", hdr.Name)
		}
		if hdr.Size > maxOVFSize {
			return fmt.Errorf("OVF descriptor %q is %d bytes; at most %d are accepted", hdr.Name, hdr.Size, maxOVFSize)
		}
		c.seen = map[string]bool{}
	}
	c.seen[hdr.Name] = true
	return nil
}

// CheckMember refuses tar member names that could escape a directory if extracted, and
// members that are not regular files: an OVA holds plain files with plain names.
func CheckMember(name string, typeflag byte) error {
	switch {
	case name == "":
		return errors.New("tar member with an empty name")
	case strings.HasPrefix(name, "/"):
		return fmt.Errorf("tar member %q has an absolute path; OVA members are plain file names", name)
	case strings.Contains(name, `\`):
		return fmt.Errorf("tar member %q contains a backslash; OVA members are plain file names", name)
	case name == ".." || strings.HasPrefix(name, "../") || strings.Contains(name, "/../") || strings.HasSuffix(name, "/.."):
		return fmt.Errorf("tar member %q contains \"..\"; OVA members are plain file names", name)
	case path.Clean(name) != name:
		return fmt.Errorf("tar member %q is not a clean path; OVA members are plain file names", name)
	case typeflag != tar.TypeReg:
		return fmt.Errorf("tar member %q has type %q; OVA members are regular files", name, typeflag)
	}
	return nil
}

// truncated explains an unexpected end of the tar stream.
func truncated(what string, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%s: the OVA is truncated: %w", what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}
