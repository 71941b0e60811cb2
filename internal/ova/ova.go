// Package ova verifies an OVA as Image Builder writes it, in one streaming pass: the file's
// sha256 against its .ova.sha256, a tar walk that refuses unsafe member names, and the OVF
// descriptor parsed for every ProductSection property. Nothing is extracted, and memory stays
// flat whatever the size of the disks.
package ova

import (
	"archive/tar"
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path"
	"strings"
)

// maxOVFSize bounds the OVF descriptor held in memory; real ones are a few KiB.
const maxOVFSize = 16 << 20

// readSize is the chunk read from disk and hashed at a time.
const readSize = 1 << 20

// Image is what Verify learned about an OVA.
type Image struct {
	// Size is the OVA's size in bytes and SHA256 its hex digest, checked against the sum file.
	Size   int64
	SHA256 string
	// Members are the tar members, in order; the OVF descriptor is the first.
	Members []string
	// Product and Version are those of the first ProductSection that has them.
	Product string
	Version string
	// Properties are every ProductSection property, key → value.
	Properties map[string]string
}

// Verify reads the OVA at path once: it hashes it, walks its tar members (refusing absolute
// names, "..", links and other non-regular members), parses the OVF descriptor (the first
// member), checks that every file the OVF references is a member, and compares the digest
// with the one in path+".sha256". A truncated or unreadable OVA is an error naming path.
func Verify(path string) (Image, error) {
	want, err := readSum(path + ".sha256")
	if err != nil {
		return Image{}, err
	}
	img, err := scan(path)
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

// hashingReader hashes and counts every byte read through it.
type hashingReader struct {
	r io.Reader
	h hash.Hash
	n int64
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	h.n += int64(n)
	return n, err
}

// discard is io.Discard without ReadFrom, so io.CopyBuffer uses our large buffer.
type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func scan(name string) (Image, error) {
	f, err := os.Open(name)
	if err != nil {
		return Image{}, fmt.Errorf("open OVA: %w", err)
	}
	defer f.Close()
	hr := &hashingReader{r: bufio.NewReaderSize(f, readSize), h: sha256.New()}
	img, err := walk(hr)
	if err != nil {
		return Image{}, fmt.Errorf("%s: %w", name, err)
	}
	// The tar end blocks and any padding after them are part of the digest.
	if _, err := io.CopyBuffer(discard{}, hr, make([]byte, readSize)); err != nil {
		return Image{}, fmt.Errorf("%s: read: %w", name, err)
	}
	img.Size = hr.n
	img.SHA256 = hex.EncodeToString(hr.h.Sum(nil))
	return img, nil
}

func walk(r io.Reader) (Image, error) {
	var img Image
	var ovf []byte
	seen := map[string]bool{}
	buf := make([]byte, readSize)
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return img, truncated("read tar header", err)
		}
		if err := CheckMember(hdr.Name, hdr.Typeflag); err != nil {
			return img, err
		}
		if seen[hdr.Name] {
			return img, fmt.Errorf("tar member %q appears twice", hdr.Name)
		}
		seen[hdr.Name] = true
		img.Members = append(img.Members, hdr.Name)
		if len(img.Members) == 1 {
			if ovf, err = readOVF(tr, hdr); err != nil {
				return img, err
			}
			continue
		}
		if _, err := io.CopyBuffer(discard{}, tr, buf); err != nil {
			return img, truncated("read "+hdr.Name, err)
		}
	}
	if len(img.Members) == 0 {
		return img, errors.New("no tar members; an OVA holds an .ovf descriptor and its disks")
	}
	desc, err := parseOVF(ovf)
	if err != nil {
		return img, fmt.Errorf("%s: %w", img.Members[0], err)
	}
	for _, ref := range desc.References {
		if !seen[ref] {
			return img, fmt.Errorf("%s references %q, which is not in the OVA", img.Members[0], ref)
		}
	}
	img.Product, img.Version, img.Properties = desc.Product, desc.Version, desc.Properties
	return img, nil
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
