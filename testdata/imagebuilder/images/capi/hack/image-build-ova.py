#!/usr/bin/env python3
"""Makes a small but genuine OVA the way Image Builder's hack/image-build-ova.py does:
a streamOptimized VMDK made by qemu-img, an OVF with the CAPI ProductSection (plus one
property per key of the JSON file named by OVF_CUSTOM_PROPERTIES), a .mf with SHA256 digests,
the .ova tar (OVF first) and .ova.sha256 holding the hex digest. Inputs come from the
environment set by packer's shell-local post-processor."""
import hashlib, json, os, subprocess, tarfile, tempfile
from xml.sax.saxutils import quoteattr, escape

env = os.environ
name = env["OVA_NAME"]
out = env["OUTPUT_DIR"]
os.makedirs(out, exist_ok=True)

def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()

disk_name = name + "-disk-0.vmdk"
disk = os.path.join(out, disk_name)
with tempfile.TemporaryDirectory(dir=out) as tmp:
    raw = os.path.join(tmp, "disk.raw")
    subprocess.run(["qemu-img", "create", "-q", "-f", "raw", raw, env.get("DISK_MIB", "4") + "M"], check=True)
    with open(raw, "r+b") as f:  # some bytes so the disk is not all zeros
        f.write(("%s %s\n" % (name, env.get("BUILD_TIMESTAMP", ""))).encode() * 64)
    subprocess.run(["qemu-img", "convert", "-q", "-O", "vmdk", "-o", "subformat=streamOptimized", raw, disk], check=True)

props = [
    ("BUILD_TIMESTAMP", env["BUILD_TIMESTAMP"]),
    ("BUILD_DATE", env["BUILD_DATE"]),
    ("IMAGE_BUILDER_VERSION", env["IMAGE_BUILDER_VERSION"]),
    ("DISTRO_NAME", env["DISTRO_NAME"]),
    ("DISTRO_VERSION", env["DISTRO_VERSION"]),
    ("DISTRO_ARCH", env["DISTRO_ARCH"]),
    ("CNI_VERSION", env["CNI_VERSION"]),
    ("CONTAINERD_VERSION", env["CONTAINERD_VERSION"]),
    ("KUBERNETES_SEMVER", env["KUBERNETES_SEMVER"]),
    ("KUBERNETES_SOURCE_TYPE", env["KUBERNETES_SOURCE_TYPE"]),
]
custom = env.get("OVF_CUSTOM_PROPERTIES", "")
if custom:
    with open(custom) as f:
        for key, value in json.load(f).items():
            props.append((key, str(value)))

prop_xml = "\n".join(
    '        <Property ovf:key=%s ovf:type="string" ovf:userConfigurable="false" ovf:value=%s/>'
    % (quoteattr(k), quoteattr(v)) for k, v in props)
size = os.path.getsize(disk)
ovf = f"""<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" xmlns:vmw="http://www.vmware.com/schema/ovf">
  <References>
    <File ovf:href="{disk_name}" ovf:id="file1" ovf:size="{size}"/>
  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
    <Disk ovf:capacity="{env.get('DISK_MIB', '4')}" ovf:capacityAllocationUnits="byte * 2^20" ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
  </DiskSection>
  <NetworkSection>
    <Info>The list of logical networks</Info>
    <Network ovf:name="nic0"><Description>Please select a network</Description></Network>
  </NetworkSection>
  <VirtualSystem ovf:id={quoteattr(name)}>
    <Info>A virtual machine</Info>
    <Name>{escape(name)}</Name>
    <OperatingSystemSection ovf:id="94" vmw:osType={quoteattr(env.get('VSPHERE_GUEST_OS_TYPE', 'otherGuest64'))}>
      <Info>The kind of installed guest operating system</Info>
    </OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements</Info>
      <System>
        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemIdentifier>{escape(name)}</vssd:VirtualSystemIdentifier>
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
    <ProductSection>
      <Info>Information about the installed software</Info>
      <Product>{escape(env.get('OS_DISPLAY_NAME', env['DISTRO_NAME']))} and Kubernetes {escape(env['KUBERNETES_SEMVER'])}</Product>
      <Version>kube-{escape(env['KUBERNETES_SEMVER'])}</Version>
      <FullVersion>kube-{escape(env['KUBERNETES_SEMVER'])}</FullVersion>
      <Category>Cluster API Provider (CAPI)</Category>
{prop_xml}
    </ProductSection>
  </VirtualSystem>
</Envelope>
"""
ovf_path = os.path.join(out, name + ".ovf")
with open(ovf_path, "w") as f:
    f.write(ovf)
mf_path = os.path.join(out, name + ".mf")
with open(mf_path, "w") as f:
    for p in (ovf_path, disk):
        f.write("SHA256(%s)= %s\n" % (os.path.basename(p), sha256(p)))

ova = os.path.join(out, name + ".ova")
partial = ova + ".partial"
with tarfile.open(partial, "w", format=tarfile.USTAR_FORMAT) as tar:
    for p in (ovf_path, mf_path, disk):
        tar.add(p, arcname=os.path.basename(p))
os.replace(partial, ova)
with open(ova + ".sha256", "w") as f:
    f.write(sha256(ova) + "\n")
print("stand-in: wrote", ova)
