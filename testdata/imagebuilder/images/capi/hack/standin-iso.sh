#!/usr/bin/env bash
# The ISO a vsphere-iso build boots from (iso_url, iso_checksum), as packer's ISO download
# step checks it before creating the VM. Upstream's RHEL var files (packer/ova/rhel-8.json at
# v0.1.14, rhel-9.json at v0.1.55) name a placeholder, file:///rhel-<version>-x86_64-dvd.iso:
# Red Hat's ISO is not redistributable and each user supplies their own. The stand-in checks
# file:// URLs (the file exists, its sha256 is iso_checksum); other schemes are not fetched.
set -euo pipefail
[[ -n "${ISO_URL:-}" ]] || exit 0
case "$ISO_URL" in
  file://*)
    path=${ISO_URL#file://}
    if [[ ! -f "$path" ]]; then
      echo "Build 'vsphere' errored: error downloading ISO: [stat $path: no such file or directory]"
      exit 1
    fi
    want=${ISO_CHECKSUM#sha256:}
    got=$(sha256sum "$path" | cut -d' ' -f1)
    if [[ "$got" != "$want" ]]; then
      echo "Build 'vsphere' errored: error downloading ISO: checksums didn't match: expected $want and got $got"
      exit 1
    fi
    echo "Using ISO $path (sha256 $got)" ;;
  *) echo "stand-in: not fetching $ISO_URL" ;;
esac
