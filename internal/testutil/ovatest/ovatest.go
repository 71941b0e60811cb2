// Package ovatest makes small but genuine OVAs for tests and benchmarks: a streamOptimized
// VMDK written by the real qemu-img, an OVF descriptor shaped like Image Builder's (the CAPI
// ProductSection with VERSION), and a manifest, in a tar with the descriptor first.
package ovatest

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"text/template"
)

// Spec describes the OVA to make. The zero value makes a 1 MiB empty disk.
type Spec struct {
	// Name is the base name of the files inside the OVA ("ubuntu-2204-kube-v1.30.2").
	Name string
	// DiskBytes is the virtual disk size; rounded up to whole MiB, at least 1 MiB.
	DiskBytes int64
	// RandomData fills the disk with random bytes, so the VMDK does not compress and the OVA
	// is about DiskBytes large (benchmarks); otherwise the disk is empty and the OVA tiny.
	RandomData bool
	// Properties are the ProductSection properties, key → value (e.g. VERSION, DISTRO_NAME).
	Properties map[string]string
}

// OVA is what Make produced.
type OVA struct {
	Path   string
	Size   int64
	SHA256 string
}

// Make writes the OVA into dir and returns its path, size and digest. It fails the test when
// qemu-img is missing (install the Debian package qemu-utils).
func Make(tb testing.TB, dir string, spec Spec) OVA {
	tb.Helper()
	ova, err := build(dir, spec)
	if err != nil {
		tb.Fatalf("make test OVA: %v", err)
	}
	return ova
}

func build(dir string, spec Spec) (OVA, error) {
	qemu, err := exec.LookPath("qemu-img")
	if err != nil {
		return OVA{}, fmt.Errorf("qemu-img is missing: install it (Debian: apt-get install qemu-utils): %w", err)
	}
	if spec.Name == "" {
		spec.Name = "test-node"
	}
	mib := max((spec.DiskBytes+(1<<20)-1)>>20, 1)
	work, err := os.MkdirTemp(dir, ".ova-*")
	if err != nil {
		return OVA{}, err
	}
	defer os.RemoveAll(work)

	raw := filepath.Join(work, "disk.raw")
	if err := writeRaw(raw, mib<<20, spec.RandomData); err != nil {
		return OVA{}, err
	}
	vmdk := filepath.Join(work, spec.Name+"-disk-0.vmdk")
	cmd := exec.Command(qemu, "convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", raw, vmdk)
	if out, err := cmd.CombinedOutput(); err != nil {
		return OVA{}, fmt.Errorf("qemu-img convert: %w: %s", err, out)
	}
	if err := os.Remove(raw); err != nil {
		return OVA{}, err
	}
	st, err := os.Stat(vmdk)
	if err != nil {
		return OVA{}, err
	}
	var ovf bytes.Buffer
	if err := descriptor.Execute(&ovf, descriptorData(spec, filepath.Base(vmdk), st.Size(), mib)); err != nil {
		return OVA{}, fmt.Errorf("render OVF: %w", err)
	}
	ovfName := spec.Name + ".ovf"
	vmdkSum, err := fileSHA256(vmdk)
	if err != nil {
		return OVA{}, err
	}
	ovfSum := sha256.Sum256(ovf.Bytes())
	mf := fmt.Sprintf("SHA256(%s)= %s\nSHA256(%s)= %s\n", ovfName, hex.EncodeToString(ovfSum[:]), filepath.Base(vmdk), vmdkSum)

	path := filepath.Join(dir, spec.Name+".ova")
	if err := writeTar(path, []entry{
		{name: ovfName, data: ovf.Bytes()},
		{name: filepath.Base(vmdk), file: vmdk},
		{name: spec.Name + ".mf", data: []byte(mf)},
	}); err != nil {
		return OVA{}, err
	}
	sum, err := fileSHA256(path)
	if err != nil {
		return OVA{}, err
	}
	st, err = os.Stat(path)
	if err != nil {
		return OVA{}, err
	}
	return OVA{Path: path, Size: st.Size(), SHA256: sum}, nil
}

func writeRaw(path string, size int64, random bool) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if random {
		_, err = io.CopyN(f, rand.Reader, size)
	} else {
		err = f.Truncate(size)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

type entry struct {
	name string
	data []byte
	file string
}

func writeTar(path string, entries []entry) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	for _, e := range entries {
		if err := addEntry(tw, e); err != nil {
			f.Close()
			return err
		}
	}
	if err := tw.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func addEntry(tw *tar.Writer, e entry) error {
	var r io.Reader = bytes.NewReader(e.data)
	size := int64(len(e.data))
	if e.file != "" {
		f, err := os.Open(e.file)
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		r, size = f, st.Size()
	}
	if err := tw.WriteHeader(&tar.Header{Name: e.name, Mode: 0o644, Size: size, Format: tar.FormatUSTAR}); err != nil {
		return err
	}
	_, err := io.Copy(tw, r)
	return err
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

type property struct{ Key, Value string }

type data struct {
	Name, Disk, Product, Version string
	DiskSize                     int64
	CapacityMiB                  int64
	Properties                   []property
}

func descriptorData(spec Spec, disk string, diskSize, mib int64) data {
	d := data{Name: spec.Name, Disk: disk, DiskSize: diskSize, CapacityMiB: mib}
	for k, v := range spec.Properties {
		d.Properties = append(d.Properties, property{k, v})
	}
	sort.Slice(d.Properties, func(i, j int) bool { return d.Properties[i].Key < d.Properties[j].Key })
	d.Product = spec.Properties["DISTRO_NAME"] + " and Kubernetes " + spec.Properties["KUBERNETES_SEMVER"]
	d.Version = "kube-" + spec.Properties["KUBERNETES_SEMVER"]
	return d
}

var descriptor = template.Must(template.New("ovf").Parse(`<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vmw="http://www.vmware.com/schema/ovf" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <References>
    <File ovf:href="{{.Disk}}" ovf:id="file1" ovf:size="{{.DiskSize}}"/>
  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
    <Disk ovf:capacity="{{.CapacityMiB}}" ovf:capacityAllocationUnits="byte * 2^20" ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized" ovf:populatedSize="0"/>
  </DiskSection>
  <NetworkSection>
    <Info>The list of logical networks</Info>
    <Network ovf:name="nic0">
      <Description>The nic0 network</Description>
    </Network>
  </NetworkSection>
  <VirtualSystem ovf:id="{{.Name}}">
    <Info>A virtual machine</Info>
    <Name>{{.Name}}</Name>
    <OperatingSystemSection ovf:id="94" vmw:osType="ubuntu64Guest">
      <Info>The kind of installed guest operating system</Info>
    </OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements</Info>
      <System>
        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemIdentifier>{{.Name}}</vssd:VirtualSystemIdentifier>
        <vssd:VirtualSystemType>vmx-15</vssd:VirtualSystemType>
      </System>
      <Item>
        <rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits>
        <rasd:Description>Number of Virtual CPUs</rasd:Description>
        <rasd:ElementName>2 virtual CPU(s)</rasd:ElementName>
        <rasd:InstanceID>1</rasd:InstanceID>
        <rasd:ResourceType>3</rasd:ResourceType>
        <rasd:VirtualQuantity>2</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits>
        <rasd:Description>Memory Size</rasd:Description>
        <rasd:ElementName>2048MB of memory</rasd:ElementName>
        <rasd:InstanceID>2</rasd:InstanceID>
        <rasd:ResourceType>4</rasd:ResourceType>
        <rasd:VirtualQuantity>2048</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:Address>0</rasd:Address>
        <rasd:Description>SCSI Controller</rasd:Description>
        <rasd:ElementName>SCSI Controller 0</rasd:ElementName>
        <rasd:InstanceID>3</rasd:InstanceID>
        <rasd:ResourceSubType>VirtualSCSI</rasd:ResourceSubType>
        <rasd:ResourceType>6</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:AddressOnParent>0</rasd:AddressOnParent>
        <rasd:ElementName>Hard Disk 1</rasd:ElementName>
        <rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource>
        <rasd:InstanceID>4</rasd:InstanceID>
        <rasd:Parent>3</rasd:Parent>
        <rasd:ResourceType>17</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:AddressOnParent>0</rasd:AddressOnParent>
        <rasd:AutomaticAllocation>true</rasd:AutomaticAllocation>
        <rasd:Connection>nic0</rasd:Connection>
        <rasd:ElementName>Network adapter 1</rasd:ElementName>
        <rasd:InstanceID>5</rasd:InstanceID>
        <rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType>
        <rasd:ResourceType>10</rasd:ResourceType>
      </Item>
    </VirtualHardwareSection>
    <ProductSection ovf:class="" ovf:instance="">
      <Info>Information about the installed software</Info>
      <Product>{{.Product}}</Product>
      <Vendor>imagegrid</Vendor>
      <Version>{{.Version}}</Version>
      <Category>Cluster API Provider (CAPI)</Category>
{{- range .Properties}}
      <Property ovf:key="{{html .Key}}" ovf:type="string" ovf:userConfigurable="false" ovf:value="{{html .Value}}"/>
{{- end}}
    </ProductSection>
  </VirtualSystem>
</Envelope>
`))
