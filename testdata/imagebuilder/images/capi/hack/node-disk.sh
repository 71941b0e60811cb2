#!/usr/bin/env bash
# Writes the stand-in OVA's raw disk ($1): a real partitioned ext4 root holding what Image
# Builder's ansible roles install for Cluster API (kubeadm, kubelet, kubectl, containerd,
# the images kubeadm pulls, cloud-init), so that imagegrid's inspection of the built disk
# reads a genuine filesystem. The disk is made by internal/testutil/nodeimage (mkfs.ext4 -d,
# containerd's own metadata package). Inputs come from the environment packer's
# shell-local post-processor sets; STANDIN_NODE_BREAK makes a broken variant.
# STANDIN_MKNODEDISK names a prebuilt mknodedisk; without it, go run builds one (the first
# build compiles containerd's packages: minutes on a cold cache).
set -euo pipefail
out=$(realpath -m "$1")
root=$(cd "$(dirname "$0")/../../../../.." && pwd)
mib=${DISK_MIB:-32}
(( mib < 32 )) && mib=32
cd "$root"
tool=(go run ./internal/testutil/nodeimage/mknodedisk)
[[ -n "${STANDIN_MKNODEDISK:-}" ]] && tool=("$STANDIN_MKNODEDISK")
exec "${tool[@]}" -out "$out" -size-mib "$mib" \
  -kubernetes "$KUBERNETES_SEMVER" -series "$KUBERNETES_SERIES" -containerd "$CONTAINERD_VERSION" \
  -registry "${KUBERNETES_CONTAINER_REGISTRY:-registry.k8s.io}" -arch "${DISTRO_ARCH:-amd64}" -distro "${DISTRO_NAME:-ubuntu}"
