#!/usr/bin/env python3
"""The provision phase of the stand-in: what Image Builder's Ansible playbook does to the
node, reduced to what decides whether the image is a Cluster API node image. It writes the
node's state (what is installed, which roles ran) to the packer cache for the goss phase.

Modelled on kubernetes-sigs/image-builder images/capi (v0.1.14, the release of TKG's image
builder, and v0.1.55):
- ansible/node.yml: node_custom_roles_pre, then the node, providers, containerd and
  kubernetes roles, then custom_role_names.split() + node_custom_roles_post.split() (v0.1.14
  includes a role named in both twice), then sysprep. A role is a folder (a path) or a name
  under ansible/roles; Ansible fails the play when it finds neither.
- ansible/roles/containerd/tasks/main.yml: downloads containerd_url, checked against
  "sha256:" + containerd_sha256 (get_url fails on a mismatch).
- ansible/roles/kubernetes/tasks/main.yml: debian/redhat/photon.yml (packages at
  kubernetes_deb_version/kubernetes_rpm_version) when kubernetes_source_type == "pkg";
  url.yml only when kubernetes_source_type == "http" and kubernetes_cni_source_type == "http"
  (packer/config/cni.json defaults the latter to "pkg"). So "http" with the CNI type left at
  its default installs no Kubernetes at all, and the play still succeeds.
- ansible/roles/kubernetes/tasks/url.yml: the CNI plugins from kubernetes_cni_http_source/
  <kubernetes_cni_semver>/cni-plugins-linux-amd64-<kubernetes_cni_semver>.tgz, kubeadm, kubelet
  and kubectl from kubernetes_http_source/<kubernetes_semver>/bin/linux/amd64/, and the
  kube-apiserver, kube-controller-manager, kube-scheduler and kube-proxy image archives from
  there too, loaded into containerd.
- ansible/roles/kubernetes/tasks/kubeadmpull.yml (pkg): kubeadm pulls the control plane images.
- ansible/roles/node: cloud-init installed and enabled.

A file served over http:// is really fetched (from the stand-in resource bundle); an https://
address (upstream's defaults on the internet) is taken as fetched, since tests have no network."""
import json, os, sys

from standin_lib import fatal, fetch, node_file, var

role_dir = os.path.join(os.getcwd(), "ansible", "roles")


def include_roles(names):
    ran = []
    for name in names:
        print("TASK [include_role : %s]" % name)
        path = name if "/" in name else os.path.join(role_dir, name)
        if not os.path.isdir(path):
            print("ERROR! the role '%s' was not found in %s" % (name, role_dir))
            sys.exit(2)
        if not any(os.path.isfile(os.path.join(path, "tasks", m)) for m in ("main.yml", "main.yaml")):
            print("ERROR! the role '%s' has no tasks/main.yml" % name)
            sys.exit(2)
        ran.append(name)
    return ran


node = {"roles": [], "kubernetes": {}, "images": [], "cni": "", "containerd": "", "cloud-init": "enabled"}
node["roles"] += include_roles(var("node_custom_roles_pre").split())

# containerd role
containerd_url = var("containerd_url")
if containerd_url:
    fetch("containerd : Download containerd", containerd_url, var("containerd_sha256"))
node["containerd"] = var("containerd_version")

# kubernetes role
source, cni_source = var("kubernetes_source_type"), var("kubernetes_cni_source_type", "pkg")
semver = var("kubernetes_semver")
if source == "pkg":
    print("TASK [kubernetes : Install Kubernetes packages] kubeadm=%s kubelet=%s kubectl=%s" % ((var("kubernetes_deb_version"),) * 3))
    for b in ("kubeadm", "kubelet", "kubectl"):
        node["kubernetes"][b] = semver.lstrip("v")
    node["images"] = ["coredns", "etcd", "kube-apiserver", "kube-controller-manager", "kube-proxy", "kube-scheduler", "pause"]
elif source == "http" and cni_source == "http":
    cni = var("kubernetes_cni_semver")
    data = fetch("kubernetes : Download CNI tarball", "%s/%s/cni-plugins-linux-amd64-%s.tgz" % (var("kubernetes_cni_http_source"), cni, cni))
    node["cni"] = data.split()[-1].lstrip("v")
    base = "%s/%s/bin/linux/amd64" % (var("kubernetes_http_source"), semver)
    for b in ("kubeadm", "kubelet", "kubectl"):
        data = fetch("kubernetes : Download Kubernetes binaries", "%s/%s" % (base, b))
        node["kubernetes"][b] = data.split()[-1].lstrip("v")
    for img in ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy"):
        fetch("kubernetes : Download Kubernetes images", "%s/%s.tar" % (base, img))
        node["images"].append(img)
    node["images"].sort()
else:
    print("TASK [kubernetes : Import URL Kubernetes tasks] skipping: kubernetes_source_type=%s kubernetes_cni_source_type=%s" % (source, cni_source))

node["roles"] += include_roles(var("custom_role_names").split() + var("node_custom_roles_post").split())
with open(node_file(), "w") as f:
    json.dump(node, f, indent=2)
print("PLAY RECAP: default ok=42 changed=17 failed=0")
