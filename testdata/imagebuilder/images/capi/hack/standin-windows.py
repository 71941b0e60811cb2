#!/usr/bin/env python3
"""The Windows phases of the stand-in's packer/ova/packer-windows.json, reduced to what decides
whether the image is a TKG Windows node image. Modelled on kubernetes-sigs/image-builder
images/capi v0.1.14 (the release of TKG's image builder):

setup — what the vsphere-iso builder of packer/ova/packer-windows.json does before WinRM
answers:
- iso_paths are [os_iso_path, vmtools_iso_path], datastore paths ("[datastore] path")
  packer-plugin-vsphere mounts as CD-ROMs; packer/ova/windows-2019.json only names
  placeholders on a datastore called "datastore", which no vCenter here has.
- floppy_files holds ./packer/ova/windows/<build_name>/autounattend.xml (packer fails when a
  floppy file is missing); Windows Setup reads it and fails on a file it cannot parse. The
  stand-in says which image it installs and whether a product key is set, never the key.

provision — ansible/windows/node_windows.yml with the variables of
packer/config/windows/ansible-args-windows.json (containerd_sha256 is containerd_sha256_windows):
- cloudbase-init/ downloads cloudbase_init_url, when it is set;
- runtimes/ downloads containerd_url, checked against containerd_sha256, when runtime is
  "containerd" (packer/config/windows/common.json defaults it to "docker-ee");
- kubernetes/url.yml downloads kubernetes_base_url/<kubeadm|kubectl|kubelet>.exe
  (defaults/main.yml kubernetes_bins); kubelet.yml downloads nssm_url when
  windows_service_manager is "nssm"; wins.yml wins_url when it is set;
- load_additional_components/ downloads every URL of additional_executables_list when
  load_additional_components and additional_executables are "true" (TKG gets kube-proxy.exe
  and Antrea this way);
- roles of node_custom_roles_pre first, custom_role_names + node_custom_roles_post last.
Downloads go through standin_lib.fetch; the public stores upstream defaults to have no
+vmware builds, so a TKG release's binaries fetched there fail with a 404.
goss — packer-windows.json's goss provisioner: see goss() below."""
import json, os, re, sys
import xml.etree.ElementTree as ET

import standin_lib
from standin_lib import fatal, goss_entry, goss_report, node_file, var

NS = "{urn:schemas-microsoft-com:unattend}"
RECAP = "ok=9 changed=4 failed=1"


def fetch(task, url, sha256=None):
    """win_get_url: a +vmware release is on no public store upstream defaults to."""
    unreachable = None
    if "+" in var("kubernetes_semver") and "/kubernetes" in url:
        unreachable = "Error downloading '%(url)s': 404 Not Found (the public Kubernetes release store has no " + var("kubernetes_semver") + " build)"
    return standin_lib.fetch(task, url, sha256, failed="Error downloading '%(url)s': %(error)s", unreachable=unreachable, recap=RECAP)


def setup():
    for name in ("os_iso_path", "vmtools_iso_path"):
        p = var(name)
        m = re.match(r"^\[([^\]]+)\] (.+)$", p)
        if not m:
            print("Build 'vsphere' errored: error mounting an image '%s': invalid datastore path (want \"[datastore] path\")" % p)
            sys.exit(1)
        if m.group(1) == "datastore":
            print("Build 'vsphere' errored: error mounting an image '%s': datastore 'datastore' not found" % p)
            sys.exit(1)
        print("Mounting ISO image %s" % p)
    floppy = "./packer/ova/windows/%s/autounattend.xml" % var("build_name")
    if not os.path.isfile(floppy):
        print("Build 'vsphere' errored: Error adding floppy files: open %s: no such file or directory" % floppy)
        sys.exit(1)
    try:
        root = ET.parse(floppy).getroot()
    except ET.ParseError:
        print("Windows Setup: Windows could not parse or process unattend answer file [A:\\autounattend.xml].")
        sys.exit(1)
    image = root.find(".//%sInstallFrom/%sMetaData/%sValue" % (NS, NS, NS))
    key = root.find(".//%sUserData/%sProductKey/%sKey" % (NS, NS, NS))
    print("Windows Setup: installing image %r from the answer file on the floppy; product key %s" %
          (image.text if image is not None else "(first of the ISO)", "set" if key is not None and (key.text or "").strip() else "not set"))


def include_roles(names):
    for name in names:
        print("TASK [include_role : %s]" % name)
        if not os.path.isdir(name if "/" in name else os.path.join("ansible", "windows", "roles", name)):
            print("ERROR! the role '%s' was not found" % name)
            sys.exit(2)


def provision():
    node = {"kubernetes": {}, "containerd": "", "sandbox_image": "", "services": {}}
    include_roles(var("node_custom_roles_pre").split())
    if var("cloudbase_init_url"):
        fetch("cloudbase-init : Download Cloudbase-init", var("cloudbase_init_url"))
        # SetSetupComplete.cmd: cloudbase-init runs once at the clone's first boot.
        node["services"]["cloudbase-init"] = ["Manual", "Stopped"]
    runtime = var("runtime")
    if runtime == "containerd":
        fetch("runtimes : Download containerd", var("containerd_url"), var("containerd_sha256_windows"))
        node["containerd"] = var("containerd_version")
        # roles/runtimes/templates/config.toml: sandbox_image = pause_image
        node["sandbox_image"] = var("pause_image")
        node["services"]["containerd"] = ["Automatic", "Running"]
    else:
        print("TASK [runtimes : Install Docker EE %s] (runtime=%s)" % (var("docker_ee_version"), runtime))
    for b in ("kubeadm", "kubectl", "kubelet"):
        data = fetch("kubernetes : Download kubernetes binaries", "%s/%s.exe" % (var("kubernetes_base_url"), b))
        node["kubernetes"][b] = data.split()[-1]
    node["services"]["kubelet"] = ["Automatic", "RequiredServices : {%s}" % ("containerd" if runtime == "containerd" else "docker")]
    if var("windows_service_manager") == "nssm":
        fetch("kubernetes : Download nssm", var("nssm_url"))
    if var("wins_url"):
        fetch("kubernetes : Get wins", var("wins_url"))
    if var("load_additional_components") == "true" and var("additional_executables") == "true":
        for url in var("additional_executables_list").split(","):
            fetch("load_additional_components : Download additional executables", url.strip())
    include_roles(var("custom_role_names").split() + var("node_custom_roles_post").split())
    with open(node_file(), "w") as f:
        json.dump(node, f, indent=2)
    print("PLAY RECAP: default ok=61 changed=24 failed=0")


def goss():
    """Upstream's Windows goss checks (packer/goss/goss-command.yaml and goss-service.yaml under
    OS "windows", goss-vars.yaml's common-windows-service), with packer-windows.json's
    vars_inline (kubernetes_version is kubernetes_semver, runtime, pause_image,
    containerd_version), printed as goss's JSON result; "goss non-zero exit status" when one
    fails."""
    goss_entry()
    with open(node_file()) as f:
        node = json.load(f)
    results = []

    def check(rid, expected, found):
        ok = all(e in found for e in expected)
        results.append({"resource-type": "Command", "resource-id": rid, "property": "stdout",
                        "expected": expected, "found": [e for e in expected if e in found], "successful": ok, "result": 0 if ok else 1,
                        "summary-line": "Command: %s: stdout: %s" % (rid, "matches expectation" if ok else "patterns not found: %s" % [e for e in expected if e not in found])})

    version, arch = var("kubernetes_semver"), var("distro_arch", "amd64")
    kube = node["kubernetes"]
    check("kubectl version --client", [version, "windows", arch], [kube.get("kubectl", ""), "windows", arch] if "kubectl" in kube else [])
    check("kubeadm version", [version, "windows", arch], [kube.get("kubeadm", ""), "windows", arch] if "kubeadm" in kube else [])
    check("kubelet --version", [version], [kube.get("kubelet", "")])
    if var("runtime") == "containerd":
        check("Correct Containerd Version", [var("containerd_version")], [node["containerd"]])
        check("Correct Containerd config", ['sandbox_image = "%s"' % var("pause_image")], ['sandbox_image = "%s"' % node["sandbox_image"]])
    for svc, want in (("cloudbase-init", ["Manual", "Stopped"]), ("kubelet", node["services"].get("kubelet", ["Automatic"])), ("containerd", ["Automatic", "Running"])):
        if svc == "containerd" and var("runtime") != "containerd":
            continue
        check("Windows Service - " + svc, want, node["services"].get(svc, []))
    goss_report(results)


{"setup": setup, "provision": provision, "goss": goss}[sys.argv[1]]()
