#!/bin/bash
# Sourced by the build-azure-sig-<os> targets before packer, as upstream's
# images/capi/packer/azure/scripts/init-sig.sh (v0.1.55) is: it takes the resource group,
# location and gallery from the environment and, without them, uses "cluster-api-gallery" in
# "northcentralus" and creates a NEW gallery "ClusterAPI<timestamp><random>" for every build.
# The stand-in has no Azure: it records each gallery it would create under
# $PACKER_CACHE_DIR/standin-azure/galleries/<resource group>/<gallery>.
export RESOURCE_GROUP_NAME="${RESOURCE_GROUP_NAME:-cluster-api-gallery}"
export AZURE_LOCATION="${AZURE_LOCATION:-northcentralus}"
CREATE_TIME="$(date +%s)"
RANDOM_SUFFIX="$(head /dev/urandom | LC_ALL=C tr -dc a-z | head -c 4)"
export GALLERY_NAME="${GALLERY_NAME:-ClusterAPI${CREATE_TIME}${RANDOM_SUFFIX}}"
standin_galleries="${PACKER_CACHE_DIR:-./packer_cache}/standin-azure/galleries/${RESOURCE_GROUP_NAME}"
mkdir -p "$standin_galleries"
touch "$standin_galleries/$GALLERY_NAME"
echo "az sig create --resource-group ${RESOURCE_GROUP_NAME} --gallery-name ${GALLERY_NAME} (location ${AZURE_LOCATION})"
