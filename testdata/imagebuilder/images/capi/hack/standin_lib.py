"""What the stand-in's phases for Linux (standin-provision.py, standin-goss.py) and for Windows
(standin-windows.py) share: the node's state in the packer cache; a task failing as Ansible
prints it and a download as get_url and win_get_url do it; goss's entry file and its JSON
result as packer-provisioner-goss prints them.

Downloads: A file served over http:// is really fetched (from the stand-in resource bundle, with no
proxy of the environment in between); any other address is taken as fetched, since tests have
no network, unless the caller says it would fail (unreachable)."""
import hashlib, json, os, sys, urllib.request

direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def var(name, default=""):
    """The packer variable name, as packer's shell-local step hands it over (IB_<NAME>)."""
    return os.environ.get("IB_" + name.upper(), default)


def fatal(task, msg, recap="ok=12 changed=7 failed=1"):
    print("TASK [%s]" % task)
    print("fatal: [default]: FAILED! => {\"changed\": false, \"msg\": \"%s\"}" % msg)
    print("PLAY RECAP: default %s" % recap)
    sys.exit(2)


def fetch(task, url, sha256=None, failed="Request failed: %(url)s: %(error)s", unreachable=None, recap="ok=12 changed=7 failed=1"):
    """Downloads url in task and returns its text. failed is the module's message for a failed
    request; unreachable, when set, is the message for an address off this machine that
    upstream's run would fail to fetch; sha256 (hex, "" included) is checked unless None."""
    print("TASK [%s] %s" % (task, url))
    if not url.startswith("http://"):
        if unreachable:
            fatal(task, unreachable % {"url": url}, recap)
        return "stand-in %s (not fetched: no network)\n" % url.rsplit("/", 1)[-1]
    try:
        with direct.open(url, timeout=10) as r:
            data = r.read()
    except Exception as e:
        fatal(task, failed % {"url": url, "error": e}, recap)
    if sha256 is not None:
        got = hashlib.sha256(data).hexdigest()
        if got != sha256.lower():
            fatal(task, "The checksum for %s did not match %s; it was %s." % (url, sha256, got), recap)
    return data.decode()


def node_file():
    """The node's state, in the packer cache (private to the build; the boot phase resets it)."""
    return os.path.join(os.environ.get("PACKER_CACHE_DIR", "./packer_cache"), "standin-node.json")


def goss_entry():
    """goss's entry file: <goss_tests_dir>/../<goss_entry_file> (packer-provisioner-goss uploads
    the tests folder and runs the entry file from its parent); a missing one fails the build."""
    entry = os.path.join(os.path.dirname(var("goss_tests_dir").rstrip("/")), var("goss_entry_file"))
    if not os.path.isfile(entry):
        print("Error: file error: open %s: no such file or directory" % entry)
        print("goss non-zero exit status")
        sys.exit(1)
    print("stand-in: goss validate --gossfile %s" % entry)
    return entry


def goss_report(results):
    """Prints goss's JSON result (goss_format json) and fails as packer-provisioner-goss does
    when a check failed."""
    failed = sum(1 for r in results if not r["successful"])
    print(json.dumps({"results": results, "summary": {"failed-count": failed, "test-count": len(results),
                      "summary-line": "Count: %d, Failed: %d" % (len(results), failed)}}, indent=4))
    if failed:
        print("goss non-zero exit status")
        sys.exit(1)
