#!/usr/bin/env bash
# Prints what Image Builder prints in one build phase and applies the stand-in's failure
# controls (see README.md). Runs as a packer shell-local step; $1 is the phase.
set -euo pipefail
phase=$1
# The communicator packer waits for: SSH, or WinRM for Windows (packer-windows.json).
comm=${STANDIN_COMMUNICATOR:-SSH}
state=${PACKER_CACHE_DIR:-./packer_cache}
mkdir -p "$state"
# Each run boots a fresh node: forget what an earlier run installed (standin-provision.py).
[[ "$phase" != boot ]] || rm -f "$state/standin-node.json"

if [[ "$phase" == boot && -n "${STANDIN_TRANSIENT_FAILURES:-}" ]]; then
  counter=$state/standin-transient-failures
  done_so_far=$(cat "$counter" 2>/dev/null || echo 0)
  if (( done_so_far < STANDIN_TRANSIENT_FAILURES )); then
    echo $((done_so_far + 1)) > "$counter"
    echo "Waiting for $comm to become available..."
    echo "${STANDIN_TRANSIENT_MESSAGE:-Timeout waiting for $comm.}"
    exit 1
  fi
fi

if [[ "${STANDIN_HANG:-}" == "$phase" ]]; then
  # Ignore SIGTERM (sleep inherits it) so that only a SIGKILL of the whole group ends us.
  trap '' TERM
  read -r _ _ _ _ pgid _ < /proc/$$/stat
  echo "$$ $pgid" > "$state/standin-hang.pid"
  echo "stand-in: hanging in phase $phase"
  sleep 3600
fi

if [[ "${STANDIN_FAIL_PHASE:-}" == "$phase" ]]; then
  if [[ -n "${STANDIN_FAIL_MESSAGE:-}" ]]; then
    echo "$STANDIN_FAIL_MESSAGE"
  else
    # What a failed goss run prints: goss's summary, then packer-provisioner-goss's error
    # (provisioner.go: fmt.Errorf("goss non-zero exit status")) as packer reports it.
    echo "Count: 58, Failed: 3, Skipped: 0"
    echo "Build '${PACKER_BUILD_NAME:-vsphere}' errored after 1 second 12 milliseconds: goss non-zero exit status"
  fi
  exit 1
fi

if [[ "$phase" == provision && "${DISTRO_NAME:-}" == rhel && ( -z "${RHSM_USER:-}" || -z "${RHSM_PASS:-}" ) ]]; then
  # Upstream ansible/roles/setup/tasks/redhat.yml registers with Red Hat only when RHSM_USER
  # and RHSM_PASS are both in the environment and skips the task otherwise; without a
  # subscription the RHEL repositories are unreachable and the first package install fails.
  echo "TASK [setup : RHEL subscription] skipping: [default]"
  echo "fatal: [default]: FAILED! => {\"msg\": \"Failed to download metadata for repo 'rhel-9-for-x86_64-baseos-rpms'\"}"
  exit 1
fi

case "$phase" in
  boot) echo "Waiting for $comm to become available..."; echo "Connected to $comm!" ;;
  provision) echo "Provisioning with Ansible..." ;;
  goss) echo "Provisioning with Goss" ;;
  export) echo "Exporting the image" ;;
esac
