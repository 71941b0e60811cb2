#!/usr/bin/env python3
"""Sets this run's artifact_id in the packer manifest the way the amazon-ebs builder reports
it: "region:ami-id" pairs joined by ",", one per region (aws_region first, then ami_regions).

With AWS_ENDPOINT_URL set (a moto server, as in the local pipeline), the AMIs are real there:
one is made from an instance in aws_region, copied to every ami_regions region and tagged as
Image Builder tags them. Without it the stand-in has no AWS, and the ids are made up from the
run's uuid."""
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


def register(regions, data):
    """Makes the AMI in the first region from an instance, copies it to the others, tags all."""
    try:
        import boto3
    except ImportError:
        sys.exit("stand-in: AWS_ENDPOINT_URL is set but python3 has no boto3 to register the AMI (pip install boto3)")
    tags = [{"Key": k, "Value": v} for k, v in {
        "Name": data["ami_name"],
        "build_timestamp": data["build_timestamp"],
        "distribution": data["distribution"],
        "distribution_release": data["distribution_release"],
        "distribution_version": data["distribution_version"],
        "image_builder_version": data["ib_version"],
        "kubernetes_version": data["kubernetes_semver"],
        "containerd_version": data["containerd_version"],
    }.items()]
    source = boto3.client("ec2", region_name=regions[0])
    base = source.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance = source.run_instances(ImageId=base, MinCount=1, MaxCount=1, InstanceType="t3.medium")["Instances"][0]["InstanceId"]
    ami = source.create_image(InstanceId=instance, Name=data["ami_name"], Description="Cluster API node image")["ImageId"]
    source.terminate_instances(InstanceIds=[instance])
    source.create_tags(Resources=[ami], Tags=tags)
    pairs = ["%s:%s" % (regions[0], ami)]
    for region in regions[1:]:
        ec2 = boto3.client("ec2", region_name=region)
        copy = ec2.copy_image(SourceImageId=ami, SourceRegion=regions[0], Name=data["ami_name"])["ImageId"]
        ec2.create_tags(Resources=[copy], Tags=tags)
        pairs.append("%s:%s" % (region, copy))
    return pairs


if os.environ.get("AWS_ENDPOINT_URL"):
    pairs = register(regions, build["custom_data"])
else:
    pairs = ["%s:ami-%s" % (r, hashlib.sha256((run + r).encode()).hexdigest()[:17]) for r in regions]
build["artifact_id"] = ",".join(pairs)
tmp = path + ".tmp"
with open(tmp, "w") as f:
    json.dump(manifest, f, indent=2)
os.replace(tmp, path)
for p in pairs:
    print("stand-in: AMI", p)
