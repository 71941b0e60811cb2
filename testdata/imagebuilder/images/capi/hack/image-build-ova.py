#!/usr/bin/env python3
"""Makes a small but genuine OVA the way Image Builder's hack/image-build-ova.py does:
a streamOptimized VMDK made by qemu-img, an OVF (hack/ovf_template.xml) with the CAPI ProductSection (plus one
property per key of the JSON file named by OVF_CUSTOM_PROPERTIES), a .mf with SHA256 digests,
the .ova tar (OVF first) and .ova.sha256 holding the hex digest. With IB_OVFTOOL set, as
upstream's create_ova does, it writes no .mf and has "ovftool <IB_OVFTOOL_ARGS> <ovf> <ova>"
make the OVA instead (the stand-in's hack/bin/ovftool, on the Makefile's PATH).

STANDIN_DISK=windows (packer-windows.json) makes the disk a Windows one: an MBR whose one
partition is NTFS-typed, which imagegrid's offline inspection cannot read, as with a real
Windows image.

As upstream's does, it takes the OVF properties from the first build of packer-manifest.json in
the output dir (builds[0], not this run's): packer appends to that file, so a manifest left by
an earlier run stamps that run's values into the OVF. The rest comes from the environment set by
packer's shell-local post-processor."""
import hashlib, json, os, string, subprocess, tarfile, tempfile
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

def windows_disk(path, mib):
    """A raw disk of mib MiB with an MBR whose one partition (from sector 2048) has type 0x07."""
    sectors = mib * 2048
    entry = bytes([0, 0, 0, 0, 0x07, 0, 0, 0]) + (2048).to_bytes(4, "little") + (sectors - 2048).to_bytes(4, "little")
    mbr = bytearray(512)
    mbr[446:462] = entry
    mbr[510:512] = b"\x55\xaa"
    with open(path, "wb") as f:
        f.write(mbr)
        f.truncate(mib << 20)


disk_name = name + "-disk-0.vmdk"
disk = os.path.join(out, disk_name)
with tempfile.TemporaryDirectory(dir=out) as tmp:
    raw = os.path.join(tmp, "disk.raw")
    if env.get("STANDIN_DISK") == "windows":
        windows_disk(raw, max(int(env.get("DISK_MIB") or 4), 4))
    else:
        subprocess.run([os.path.join(os.path.dirname(os.path.abspath(__file__)), "node-disk.sh"), raw], check=True)
    capacity_mib = os.path.getsize(raw) >> 20
    subprocess.run(["qemu-img", "convert", "-q", "-O", "vmdk", "-o", "subformat=streamOptimized", raw, disk], check=True)

# hack/image-build-ova.py (kubernetes-sigs/image-builder v0.1.14 … v0.1.55): "Get the first build."
with open(os.path.join(out, "packer-manifest.json")) as f:
    build = json.load(f)["builds"][0]["custom_data"]
props = [
    ("BUILD_TIMESTAMP", build["build_timestamp"]),
    ("BUILD_DATE", build["build_date"]),
    ("IMAGE_BUILDER_VERSION", build["ib_version"]),
    ("DISTRO_NAME", build["distro_name"]),
    ("DISTRO_VERSION", build["distro_version"]),
    ("DISTRO_ARCH", build["distro_arch"]),
    ("CNI_VERSION", build["kubernetes_cni_semver"]),
    ("CONTAINERD_VERSION", build["containerd_version"]),
    ("KUBERNETES_SEMVER", build["kubernetes_semver"]),
    ("KUBERNETES_SOURCE_TYPE", build["kubernetes_source_type"]),
]
custom = env.get("OVF_CUSTOM_PROPERTIES", "")
if custom:
    with open(custom) as f:
        for key, value in json.load(f).items():
            props.append((key, str(value)))

prop_xml = "\n".join(
    '      <Property ovf:key=%s ovf:type="string" ovf:userConfigurable="false" ovf:value=%s/>'
    % (quoteattr(k), quoteattr(v)) for k, v in props)
def xml(text):
    """Escapes text for an element or a double-quoted attribute."""
    return escape(str(text), {'"': "&quot;"})

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "ovf_template.xml")) as f:
    template = string.Template(f.read())
ovf = template.substitute(
    NAME=xml(name),
    DISK_FILE=xml(disk_name),
    DISK_SIZE=os.path.getsize(disk),
    CAPACITY_MIB=capacity_mib,
    GUEST_OS_TYPE=xml(env.get("VSPHERE_GUEST_OS_TYPE", "otherGuest64")),
    PRODUCT=xml("%s and Kubernetes %s" % (env.get("OS_DISPLAY_NAME", build["distro_name"]), build["kubernetes_semver"])),
    VERSION=xml("kube-" + build["kubernetes_semver"]),
    PROPERTIES=prop_xml,
)
ovf_path = os.path.join(out, name + ".ovf")
with open(ovf_path, "w") as f:
    f.write(ovf)
ova = os.path.join(out, name + ".ova")
if env.get("IB_OVFTOOL"):
    # hack/image-build-ova.py create_ova: f"ovftool {ovftool_args} {ovf_path} {ova_path}".split()
    subprocess.run(("ovftool %s %s %s" % (env.get("IB_OVFTOOL_ARGS", ""), ovf_path, ova)).split(), check=True)
else:
    mf_path = os.path.join(out, name + ".mf")
    with open(mf_path, "w") as f:
        for p in (ovf_path, disk):
            f.write("SHA256(%s)= %s\n" % (os.path.basename(p), sha256(p)))
    partial = ova + ".partial"
    with tarfile.open(partial, "w", format=tarfile.USTAR_FORMAT) as tar:
        for p in (ovf_path, mf_path, disk):
            tar.add(p, arcname=os.path.basename(p))
    os.replace(partial, ova)
with open(ova + ".sha256", "w") as f:
    f.write(sha256(ova) + "\n")
print("stand-in: wrote", ova)
