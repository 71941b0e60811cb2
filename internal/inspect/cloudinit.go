package inspect

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/imagegrid/imagegrid/internal/nodefs"
	"github.com/imagegrid/imagegrid/internal/record"
)

// cloudInitUnits are cloud-init's boot stages (cloud-init systemd/*.tmpl); all four must be
// enabled for the bootstrap data to be applied.
var cloudInitUnits = []string{"cloud-init-local.service", "cloud-init.service", "cloud-config.service", "cloud-final.service"}

// unitDirs are where systemd reads unit files and their .wants links (systemd.unit(5)),
// /etc first.
var unitDirs = []string{"/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"}

const (
	// disabledMarker disables cloud-init entirely (cloud-init's ds-identify and generator).
	disabledMarker = "/etc/cloud/cloud-init.disabled"
	maxConfig      = 1 << 20
)

var (
	versionPyRe   = regexp.MustCompile(`(?m)^__VERSION__\s*=\s*["']([^"']+)["']`)
	dsListRe      = regexp.MustCompile(`(?m)^datasource_list\s*:\s*\[([^\]]*)\]`)
	grubCmdlineRe = regexp.MustCompile(`(?m)^GRUB_CMDLINE_LINUX(?:_DEFAULT)?=["']?([^"'\n]*)`)
)

// checkCloudInit checks that cloud-init is installed (its version), that each stage's unit
// is enabled by a .wants link that resolves to the unit file and is not masked, and that
// nothing disables it (the marker file, cloud-init=disabled on the kernel command line);
// it reports the datasources the image configures.
func checkCloudInit(root *nodefs.FS) []record.NodeImageCheck {
	checks := []record.NodeImageCheck{cloudInitVersion(root)}
	for _, unit := range cloudInitUnits {
		checks = append(checks, unitEnabled(root, unit))
	}
	checks = append(checks, notDisabled(root), datasources(root))
	return checks
}

func cloudInitVersion(root *nodefs.FS) record.NodeImageCheck {
	c := record.NodeImageCheck{Name: "cloud-init"}
	// Debian/Ubuntu: /usr/lib/python3/dist-packages; Photon and RHEL: python3.X/site-packages.
	entries, _ := root.ReadDir("/usr/lib")
	var candidates []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name, "python3") {
			for _, sub := range []string{"dist-packages", "site-packages"} {
				candidates = append(candidates, "/usr/lib/"+e.Name+"/"+sub+"/cloudinit/version.py")
			}
		}
	}
	sort.Strings(candidates)
	for _, p := range candidates {
		data, err := root.ReadFile(p, maxConfig)
		if err != nil {
			continue
		}
		c.Where = p
		if m := versionPyRe.FindSubmatch(data); m != nil {
			c.Found, c.OK = string(m[1]), true
		} else {
			c.Found = "installed, but no __VERSION__ in version.py"
		}
		return c
	}
	c.Found, c.Where = "not installed", "/usr/lib/python3*/{dist,site}-packages/cloudinit/version.py"
	return c
}

// unitEnabled finds a <target>.wants/<unit> link in the unit directories that resolves to a
// regular file, and checks the unit is not masked (/etc/systemd/system/<unit> → /dev/null).
func unitEnabled(root *nodefs.FS, unit string) record.NodeImageCheck {
	c := record.NodeImageCheck{Name: "cloud-init unit " + unit, Expected: "enabled"}
	mask := "/etc/systemd/system/" + unit
	if target, err := root.Readlink(mask); err == nil && target == "/dev/null" {
		c.Found, c.Where = "masked", mask
		return c
	}
	for _, dir := range unitDirs {
		entries, err := root.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if !strings.HasSuffix(e.Name, ".wants") {
				continue
			}
			link := dir + "/" + e.Name + "/" + unit
			if _, err := root.Lstat(link); err != nil {
				continue
			}
			c.Where = link
			info, err := root.Stat(link)
			if err != nil {
				c.Found = "enabled by a link that does not resolve: " + err.Error()
				return c
			}
			if !info.Mode.IsRegular() {
				c.Found = fmt.Sprintf("enabled by a link to a %s, not a unit file", info.Mode.Type())
				return c
			}
			resolved, _ := root.Resolve(link)
			c.Found, c.OK = "enabled ("+path.Base(dir+"/"+e.Name)+" → "+resolved+")", true
			return c
		}
	}
	c.Found, c.Where = "not enabled: no .wants link", strings.Join(unitDirs, ", ")
	return c
}

// notDisabled checks the marker file and the kernel command line of the boot loader's
// configuration.
func notDisabled(root *nodefs.FS) record.NodeImageCheck {
	c := record.NodeImageCheck{Name: "cloud-init not disabled", Expected: "not disabled"}
	if _, err := root.Lstat(disabledMarker); err == nil {
		c.Found, c.Where = "disabled by "+disabledMarker, disabledMarker
		return c
	} else if !errors.Is(err, fs.ErrNotExist) {
		c.Found, c.Where = "unreadable: "+err.Error(), disabledMarker
		return c
	}
	for _, p := range []string{"/etc/default/grub", "/etc/kernel/cmdline", "/boot/grub/grub.cfg", "/boot/grub2/grub.cfg"} {
		data, err := root.ReadFile(p, maxConfig)
		if err != nil {
			continue
		}
		lines := []string{string(data)}
		if p == "/etc/default/grub" {
			lines = nil
			for _, m := range grubCmdlineRe.FindAllSubmatch(data, -1) {
				lines = append(lines, string(m[1]))
			}
		}
		for _, l := range lines {
			if strings.Contains(l, "cloud-init=disabled") {
				c.Found, c.Where = "disabled on the kernel command line (cloud-init=disabled)", p
				return c
			}
		}
	}
	c.Found, c.Where, c.OK = "not disabled", disabledMarker+", /etc/default/grub", true
	return c
}

// datasources reports datasource_list from cloud.cfg and cloud.cfg.d/*.cfg (the last
// setting wins, as cloud-init merges them in that order).
func datasources(root *nodefs.FS) record.NodeImageCheck {
	c := record.NodeImageCheck{Name: "cloud-init datasources", OK: true, Found: "cloud-init's default list"}
	files := []string{"/etc/cloud/cloud.cfg"}
	if entries, err := root.ReadDir("/etc/cloud/cloud.cfg.d"); err == nil {
		var names []string
		for _, e := range entries {
			if strings.HasSuffix(e.Name, ".cfg") {
				names = append(names, e.Name)
			}
		}
		sort.Strings(names)
		for _, n := range names {
			files = append(files, "/etc/cloud/cloud.cfg.d/"+n)
		}
	}
	for _, p := range files {
		data, err := root.ReadFile(p, maxConfig)
		if err != nil {
			continue
		}
		if m := dsListRe.FindSubmatch(data); m != nil {
			var list []string
			for _, d := range strings.Split(string(m[1]), ",") {
				if d = strings.Trim(strings.TrimSpace(d), `"'`); d != "" {
					list = append(list, d)
				}
			}
			c.Found, c.Where = strings.Join(list, ", "), p
		}
	}
	return c
}
