package build

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DefaultMountInfo is the mount table of this process: proc(5), /proc/[pid]/mountinfo.
const DefaultMountInfo = "/proc/self/mountinfo"

// mount is one line of a mountinfo file: the root of the mount within its file system, where
// it is mounted, and the file system type.
type mount struct {
	root, point, fsType string
}

// containerFS are file systems that live only in the container (its image layers, memory,
// kernel views): a work dir there has no path on the host.
var containerFS = map[string]bool{"overlay": true, "aufs": true, "tmpfs": true, "proc": true, "sysfs": true, "devpts": true, "mqueue": true, "cgroup": true, "cgroup2": true, "shm": true}

// hostWorkFromMounts derives the host path of workDir from the mount table at mountinfo, for
// build running in a container whose work dir is a bind mount of a host folder (a container
// job's /__w is the runner's work folder). The root field of a bind mount is the source
// folder's path within its file system, which is its host path when that file system is the
// host's root (a separately mounted /home, say, would not be); so the result is said, never
// silently used. It fails when the work dir is on the container's own file system.
func hostWorkFromMounts(mountinfo, workDir string) (host string, from mount, err error) {
	abs, err := filepath.Abs(workDir)
	if err != nil {
		return "", mount{}, fmt.Errorf("work dir: %w", err)
	}
	mounts, err := readMountInfo(mountinfo)
	if err != nil {
		return "", mount{}, err
	}
	best := mount{}
	for _, m := range mounts {
		if within(abs, m.point) && len(m.point) >= len(best.point) {
			best = m
		}
	}
	if best.point == "" || best.point == "/" || containerFS[best.fsType] {
		return "", best, fmt.Errorf("%s is on the container's own file system (%s at %s in %s), not a folder of the host", abs, best.fsType, best.point, mountinfo)
	}
	rel, err := filepath.Rel(best.point, abs)
	if err != nil {
		return "", best, fmt.Errorf("map %s to the host: %w", abs, err)
	}
	return filepath.Join(best.root, rel), best, nil
}

// within reports whether p is dir or under it.
func within(p, dir string) bool {
	return p == dir || dir == "/" || strings.HasPrefix(p, dir+"/")
}

// readMountInfo parses a mountinfo file (proc(5)): fields 4 and 5 are root and mount point,
// the first field after the "-" separator is the file system type; paths escape space, tab,
// newline and backslash as octal.
func readMountInfo(path string) ([]mount, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mount table: %w", err)
	}
	defer f.Close()
	var mounts []mount
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		fields := strings.Fields(sc.Text())
		sep := -1
		for i, f := range fields {
			if f == "-" && i >= 6 {
				sep = i
				break
			}
		}
		if sep < 0 || sep+1 >= len(fields) {
			return nil, fmt.Errorf("%s:%d: want \"id parent major:minor root mount-point options ... - type source ...\"", path, n)
		}
		mounts = append(mounts, mount{root: unescapeMount(fields[3]), point: unescapeMount(fields[4]), fsType: fields[sep+1]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("mount table %s: %w", path, err)
	}
	return mounts, nil
}

// unescapeMount undoes the kernel's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var v byte
			ok := true
			for _, c := range []byte(s[i+1 : i+4]) {
				if c < '0' || c > '7' {
					ok = false
					break
				}
				v = v*8 + c - '0'
			}
			if ok {
				b.WriteByte(v)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
