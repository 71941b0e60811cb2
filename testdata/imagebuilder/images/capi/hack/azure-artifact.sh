#!/usr/bin/env bash
# Sets this run's artifact_id in the packer manifest the way packer-plugin-azure's azure-arm
# artifact reports it (builder/azure/arm/artifact.go): Id() is the managed image when there
# is one, and String(), which packer prints when the build ends, adds the gallery image
# version as ManagedImageSharedImageGalleryId.
set -euo pipefail
sub=/subscriptions/$SUBSCRIPTION_ID/resourceGroups/$RESOURCE_GROUP/providers/Microsoft.Compute
managed=$sub/images/$MANAGED_IMAGE
version=$sub/galleries/$GALLERY/images/$IMAGE_NAME/versions/$IMAGE_VERSION
python3 - "$MANIFEST" "$managed" <<'PY'
import json, os, sys
path, managed = sys.argv[1], sys.argv[2]
with open(path) as f:
    manifest = json.load(f)
run = manifest["last_run_uuid"]
build = next(b for b in reversed(manifest["builds"]) if b["packer_run_uuid"] == run)
build["artifact_id"] = managed
with open(path + ".tmp", "w") as f:
    json.dump(manifest, f, indent=2)
os.replace(path + ".tmp", path)
PY
cat <<OUT
Azure.ResourceManagement.VMImage:

OSType: Linux
ManagedImageResourceGroupName: $RESOURCE_GROUP
ManagedImageName: $MANAGED_IMAGE
ManagedImageId: $managed
ManagedImageLocation: $LOCATION
ManagedImageSharedImageGalleryId: $version
SharedImageGalleryResourceGroup: $RESOURCE_GROUP
SharedImageGalleryName: $GALLERY
SharedImageGalleryImageName: $IMAGE_NAME
SharedImageGalleryImageVersion: $IMAGE_VERSION
OUT
