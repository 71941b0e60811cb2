#!/usr/bin/env python3
"""Models upstream's hack/windows-ova-unattend.py (kubernetes-sigs/image-builder v0.1.14 …
v0.1.55), which the Makefile runs before a Windows OVA build: it reads unattend_timezone from
./packer_cache/unattend.json (written by packer-windows.json's "file" builder) and, when it is
not empty, sets the TimeZone of the oobeSystem pass's Microsoft-Windows-Shell-Setup component
in the answer file and writes the file back in place. So the answer file must exist, be an
answer file with that component, and be writable where Image Builder reads it.

usage: windows-ova-unattend.py --unattend-file=FILE"""
import argparse, json, sys
import xml.etree.ElementTree as ET

NS = "urn:schemas-microsoft-com:unattend"
parser = argparse.ArgumentParser()
parser.add_argument("--unattend-file", required=True)
parser.add_argument("--var-file", default="./packer_cache/unattend.json")
args = parser.parse_args()

with open(args.var_file) as f:
    timezone = json.load(f)["unattend_timezone"]
ET.register_namespace("", NS)
ET.register_namespace("wcm", "http://schemas.microsoft.com/WMIConfig/2002/State")
ET.register_namespace("xsi", "http://www.w3.org/2001/XMLSchema-instance")
tree = ET.parse(args.unattend_file)
if timezone == "":
    print("windows-ova-unattend: skipping...")
    sys.exit(0)
shell = tree.getroot().find(".//*[@pass='oobeSystem']/*[@name='Microsoft-Windows-Shell-Setup']")
if shell is None or shell.find("{%s}TimeZone" % NS) is None:
    # upstream: setting.find(key).text = value raises AttributeError on None
    print("AttributeError: 'NoneType' object has no attribute 'text'", file=sys.stderr)
    sys.exit(1)
shell.find("{%s}TimeZone" % NS).text = timezone
print("windows-ova-unattend: Setting Timezone to %s" % timezone)
print("windows-ova-unattend: Updating %s ..." % args.unattend_file)
tree.write(args.unattend_file)
