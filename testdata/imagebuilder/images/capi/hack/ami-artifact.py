#!/usr/bin/env python3
"""Sets this run's artifact_id in the packer manifest the way the amazon-ebs builder reports
it: "region:ami-id" pairs joined by ",", one per region (aws_region first, then ami_regions;
upstream's packer/ami/packer.json defaults ami_regions to 15 regions).

With AWS_ENDPOINT_URL set (a moto server, as in the local pipeline), the AMIs are real there:
one is made from an instance in aws_region, copied to every ami_regions region and tagged as
Image Builder tags them (packer/ami/packer.json "tags"); ami_groups and snapshot_groups become
launch and create-volume permissions, as packer-plugin-amazon's step_modify_ami_attributes
does: upstream's default "all" makes the AMI and its snapshot public. Without
AWS_ENDPOINT_URL the stand-in has no AWS, and the ids are made up from the run's uuid."""
import hashlib, json, os, sys

path = os.environ["MANIFEST"]
with open(path) as f:
    manifest = json.load(f)
run = manifest["last_run_uuid"]
build = next(b for b in reversed(manifest["builds"]) if b["packer_run_uuid"] == run)
regions = [os.environ.get("AWS_REGION_PRIMARY") or "us-east-1"]
for r in os.environ.get("AMI_REGIONS", "").split(","):
    r = r.strip()
    if r and r not in regions:
        regions.append(r)


def groups(name):
    return [g.strip() for g in os.environ.get(name, "").split(",") if g.strip()]


def register(regions):
    """Makes the AMI in the first region from an instance, copies it to the others, tags all."""
    try:
        import boto3
    except ImportError:
        sys.exit("stand-in: AWS_ENDPOINT_URL is set but python3 has no boto3 to register the AMI (pip install boto3)")
    env = os.environ
    tags = [{"Key": k, "Value": v} for k, v in {
        "Name": env["AMI_NAME"],
        "build_timestamp": env["BUILD_TIMESTAMP"],
        "distribution": env["DISTRIBUTION"],
        "distribution_release": env["DISTRIBUTION_RELEASE"],
        "distribution_version": env["DISTRIBUTION_VERSION"],
        "image_builder_version": env["IB_VERSION"],
        "kubernetes_version": env["KUBERNETES_VERSION"],
        "kubernetes_cni_version": env["KUBERNETES_CNI_VERSION"],
        "containerd_version": env["CONTAINERD_VERSION"],
    }.items()]
    name = env["AMI_NAME"]
    source = boto3.client("ec2", region_name=regions[0])
    base = source.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance = source.run_instances(ImageId=base, MinCount=1, MaxCount=1, InstanceType="t3.medium")["Instances"][0]["InstanceId"]
    ami = source.create_image(InstanceId=instance, Name=name, Description="Cluster API node image")["ImageId"]
    source.terminate_instances(InstanceIds=[instance])
    pairs = []
    for region in regions:
        ec2 = boto3.client("ec2", region_name=region)
        image = ami
        if region != regions[0]:
            image = ec2.copy_image(SourceImageId=ami, SourceRegion=regions[0], Name=name)["ImageId"]
        ec2.create_tags(Resources=[image], Tags=tags)
        share(ec2, image)
        pairs.append("%s:%s" % (region, image))
    return pairs


def share(ec2, image):
    """Applies ami_groups and snapshot_groups to one AMI and its snapshots."""
    ami_groups, snapshot_groups = groups("AMI_GROUPS"), groups("SNAPSHOT_GROUPS")
    if ami_groups:
        ec2.modify_image_attribute(ImageId=image, LaunchPermission={"Add": [{"Group": g} for g in ami_groups]})
        print("stand-in: AMI %s launch permission for groups %s" % (image, ",".join(ami_groups)))
    if snapshot_groups:
        desc = ec2.describe_images(ImageIds=[image])["Images"][0]
        for bdm in desc.get("BlockDeviceMappings", []):
            snap = bdm.get("Ebs", {}).get("SnapshotId")
            if snap:
                ec2.modify_snapshot_attribute(SnapshotId=snap, Attribute="createVolumePermission", OperationType="add", GroupNames=snapshot_groups)


if os.environ.get("AWS_ENDPOINT_URL"):
    pairs = register(regions)
else:
    pairs = ["%s:ami-%s" % (r, hashlib.sha256((run + r).encode()).hexdigest()[:17]) for r in regions]
build["artifact_id"] = ",".join(pairs)
tmp = path + ".tmp"
with open(tmp, "w") as f:
    json.dump(manifest, f, indent=2)
os.replace(tmp, path)
for p in pairs:
    print("stand-in: AMI", p)
