#!/usr/bin/env python3
"""The goss phase of the stand-in: checks the node the provision phase left (in the packer cache)
and prints goss's JSON results, as packer-provisioner-goss does with Image Builder's
goss_format "json" (packer/config/goss-args.json), then fails with its message when a check
failed.

The checks are upstream's (kubernetes-sigs/image-builder images/capi/packer/goss at v0.1.55):
goss-command.yaml (containerd --version; with kubernetes_source_type "http" kubeadm, kubelet
and kubectl versions, the CNI version when kubernetes_cni_source_type is "http", and the
crictl images list), goss-package.yaml (with "pkg", the kubeadm, kubelet and kubectl
packages), goss-service.yaml and goss-vars.yaml (cloud-init installed, its service enabled).
The entry file is <goss_tests_dir>/../<goss_entry_file>: the provisioner
(YaleUniversity/packer-plugin-goss, provisioner/goss/packer-provisioner-goss.go) uploads a tests
folder to <remote_path>/<folder name> and runs goss with the entry file from <remote_path>; a
missing one fails the build with "goss non-zero exit status"."""
import json

from standin_lib import goss_entry, goss_report, node_file, var

goss_entry()
with open(node_file()) as f:
    node = json.load(f)

version = var("kubernetes_semver").lstrip("v")
source, cni_source = var("kubernetes_source_type"), var("kubernetes_cni_source_type", "pkg")
results = []


def check(kind, rid, prop, expected, found):
    ok = expected == found
    results.append({
        "resource-type": kind, "resource-id": rid, "property": prop,
        "expected": expected, "found": found, "successful": ok, "result": 0 if ok else 1,
        "summary-line": "%s: %s: %s: %s" % (kind, rid, prop, "matches expectation" if ok else "doesn't match, expect: %s found: %s" % (expected, found)),
    })


check("Command", "containerd --version | awk -F' ' '{print substr($3,2); }'", "stdout", [var("containerd_version")], [node["containerd"]] if node["containerd"] else [])
if source == "http":
    kube = node["kubernetes"]
    check("Command", "kubectl version --client -o json | jq .clientVersion.gitVersion", "stdout", [version], [kube["kubectl"]] if "kubectl" in kube else [])
    check("Command", "kubeadm version -o json | jq .clientVersion.gitVersion", "stdout", [version], [kube["kubeadm"]] if "kubeadm" in kube else [])
    check("Command", "kubelet --version | awk -F' ' '{print $2}'", "stdout", [version], [kube["kubelet"]] if "kubelet" in kube else [])
    if cni_source == "http":
        check("Command", "/opt/cni/bin/host-device 2>&1 | awk -F' ' '{print substr($4,2); }'", "stdout", [var("kubernetes_cni_semver").lstrip("v")], [node["cni"]] if node["cni"] else [])
        check("Command", "crictl images | grep -v 'IMAGE ID' | awk '{print $1}' | awk -F'/' '{print $NF}' | sort", "stdout",
              ["kube-apiserver", "kube-controller-manager", "kube-proxy", "kube-scheduler"], node["images"])
else:
    for b in ("kubeadm", "kubelet", "kubectl"):
        check("Package", b, "installed", ["true"], ["true" if b in node["kubernetes"] else "false"])
    check("Command", "crictl images | grep -v 'IMAGE ID' | awk '{print $1}' | awk -F'/' '{print $NF}' | sort", "stdout",
          ["coredns", "etcd", "kube-apiserver", "kube-controller-manager", "kube-proxy", "kube-scheduler", "pause"], node["images"])
check("Package", "cloud-init", "installed", ["true"], ["true"])
check("Service", "cloud-init", "enabled", ["true"], ["true" if node["cloud-init"] == "enabled" else "false"])

goss_report(results)
