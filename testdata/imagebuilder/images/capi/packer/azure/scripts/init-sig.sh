#!/bin/bash
# Sourced by the build-azure-sig-<os> targets before packer, as upstream's
# images/capi/packer/azure/scripts/init-sig.sh (v0.1.55) is: it takes the resource group,
# location and gallery from the environment and, without them, uses "cluster-api-gallery" in
# "northcentralus" and creates a NEW gallery "ClusterAPI<timestamp><random>" for every build.
# The stand-in has no Azure: it records each gallery it would create under
# $PACKER_CACHE_DIR/standin-azure/galleries/<resource group>/<gallery>.
# The az CLI login, as upstream's: with the federated token in AZURE_FEDERATED_TOKEN_FILE
# when it is set, with AZURE_CLIENT_SECRET otherwise (packer then uses the CLI's login).
if [[ "${USE_AZURE_CLI_AUTH:-}" == "True" ]]; then
  : # logged in before
elif [[ -n "${AZURE_FEDERATED_TOKEN_FILE:-}" ]]; then
  if [[ ! -s "${AZURE_FEDERATED_TOKEN_FILE}" ]]; then
    echo "init-sig.sh: az login: the federated token file ${AZURE_FEDERATED_TOKEN_FILE} is missing or empty" >&2
    exit 1
  fi
  echo "az login --service-principal -u ${AZURE_CLIENT_ID} -t ${AZURE_TENANT_ID} --federated-token \$(cat ${AZURE_FEDERATED_TOKEN_FILE})"
else
  if [[ -z "${AZURE_CLIENT_SECRET:-}" ]]; then
    echo "init-sig.sh: az login: AZURE_CLIENT_SECRET is empty" >&2
    exit 1
  fi
  echo "az login --service-principal -u ${AZURE_CLIENT_ID} -t ${AZURE_TENANT_ID} -p ***"
fi
export RESOURCE_GROUP_NAME="${RESOURCE_GROUP_NAME:-cluster-api-gallery}"
export AZURE_LOCATION="${AZURE_LOCATION:-northcentralus}"
CREATE_TIME="$(date +%s)"
RANDOM_SUFFIX="$(head /dev/urandom | LC_ALL=C tr -dc a-z | head -c 4)"
export GALLERY_NAME="${GALLERY_NAME:-ClusterAPI${CREATE_TIME}${RANDOM_SUFFIX}}"
standin_galleries="${PACKER_CACHE_DIR:-./packer_cache}/standin-azure/galleries/${RESOURCE_GROUP_NAME}"
mkdir -p "$standin_galleries"
touch "$standin_galleries/$GALLERY_NAME"
echo "az sig create --resource-group ${RESOURCE_GROUP_NAME} --gallery-name ${GALLERY_NAME} (location ${AZURE_LOCATION})"
