#!/usr/bin/env python3
"""Serves a TKG resource bundle for the docker stand-in: the files tkg.json (or, for Windows,
windows.json) points Image Builder at, under /files/. A real Linux bundle
(projects.registry.vmware.com/tkg/linux-resource-bundle) holds one Kubernetes release, its CNI
plugins and containerd; this one serves the Kubernetes release of its image tag
(v1.30.2_vmware.1-tkg.1 serves v1.30.2+vmware.1) and answers 404 for any other, and serves CNI
plugins and containerd archives of any version asked for. A windows-resource-bundle image
serves the layout of VMware's windows.json for TKG's Windows custom images instead:
files/kubernetes/<kubeadm|kubelet|kubectl|kube-proxy>.exe of its release, containerd archives
under files/containerd/, files/nssm/nssm.exe, files/cloudbase_init/*.msi and
files/antrea-windows/*.zip. Every file is a few bytes that name what it stands for, so the
stand-in's provisioner can tell what it installed, and checksums of them are stable.

usage: bundle-server.py PORT IMAGE"""
import http.server, re, sys

port, image = int(sys.argv[1]), sys.argv[2]
tag = image.rsplit(":", 1)[-1]
semver = re.sub(r"-tkg\.[0-9]+$", "", tag).replace("_", "+")
linux_routes = [
    (re.compile(r"^/files/kubernetes/%s/bin/linux/amd64/(kubeadm|kubelet|kubectl)$" % re.escape(semver)), "stand-in {0} %s\n" % semver),
    (re.compile(r"^/files/kubernetes/%s/bin/linux/amd64/(kube-apiserver|kube-controller-manager|kube-scheduler|kube-proxy)\.tar$" % re.escape(semver)), "stand-in image {0} %s\n" % semver),
    (re.compile(r"^/files/cni/(v[^/]+)/cni-plugins-linux-amd64-\1\.tgz$"), "stand-in cni-plugins {0}\n"),
    (re.compile(r"^/files/containerd/([^/]+\.tar(\.gz)?)$"), "stand-in containerd {0}\n"),
]
windows_routes = [
    (re.compile(r"^/files/kubernetes/(kubeadm|kubelet|kubectl|kube-proxy)\.exe$"), "stand-in {0}.exe %s\n" % semver),
    (re.compile(r"^/files/containerd/([^/]+\.windows-amd64\.tar(\.gz)?)$"), "stand-in containerd {0}\n"),
    (re.compile(r"^/files/(nssm/nssm\.exe)$"), "stand-in {0}\n"),
    (re.compile(r"^/files/(cloudbase_init/CloudbaseInitSetup_[0-9_]+_x64\.msi)$"), "stand-in {0}\n"),
    (re.compile(r"^/files/(antrea-windows/[^/]+\.zip)$"), "stand-in {0}\n"),
]
routes = windows_routes if "/windows-resource-bundle:" in image else linux_routes


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        for pattern, body in routes:
            m = pattern.match(self.path)
            if m:
                data = body.format(m.group(1)).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
        self.send_error(404, "not in resource bundle %s" % image)


# docker run -p HOSTPORT:3000 publishes on every address of the host: the VM reaches the
# bundle at the host's outbound address (build's default --bundle-host).
http.server.ThreadingHTTPServer(("", port), Handler).serve_forever()
