#!/usr/bin/env bash
# The vCenter side of a vsphere-iso build, as packer-plugin-vsphere does it before the VM
# boots. Runs as the first packer shell-local step of packer/ova/packer-node.json.
#
# - builder/vsphere/common/config_location.go (LocationConfig.Prepare): a build needs
#   'host' or 'cluster'; upstream's packer/ova/vsphere.json leaves both empty.
# - builder/vsphere/driver/vm.go (PreCleanVM) and iso/step_create.go: the VM is named
#   vm_name (build_version in upstream's packer-node.json) in folder; when a VM of that path
#   exists, the build fails unless packer runs with -force, which destroys it first.
#   packer-node.json sets destroy: false, so every build leaves its VM behind.
#
# The inventory is a folder of empty files, one per VM, under $STANDIN_VCENTER_STATE
# (default $PACKER_CACHE_DIR/standin-vcenter), keyed by vcenter_server, datacenter, folder and
# VM name. STANDIN_PACKER_FORCE=1 (set by the Makefile from -force in PACKER_FLAGS) is -force.
set -euo pipefail
if [[ -z "${CLUSTER:-}" && -z "${HOST:-}" ]]; then
  echo "1 error(s) occurred:"
  echo "* 'host' or 'cluster' is required"
  exit 1
fi
state=${STANDIN_VCENTER_STATE:-${PACKER_CACHE_DIR:-./packer_cache}/standin-vcenter}
folder=${FOLDER#/}
vm_path=${folder:+$folder/}$VM_NAME
entry=$state/${VCENTER_SERVER:-vcenter}/${DATACENTER:-datacenter}/vm/$vm_path
if [[ -e "$entry" ]]; then
  if [[ "${STANDIN_PACKER_FORCE:-}" != 1 ]]; then
    echo "Build 'vsphere' errored: $vm_path already exists, you can use -force flag to destroy it: <nil>"
    exit 1
  fi
  echo "the vm/template $vm_path already exists, but deleting it due to -force flag"
  rm -f "$entry"
fi
mkdir -p "$(dirname "$entry")"
: > "$entry"
echo "Creating virtual machine $vm_path on ${CLUSTER:-host $HOST}..."
