package build

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// RecordName is the file name of the build record in the output folder.
const RecordName = "build-record.json"

// outDir checks the --out folder: empty means the workspace itself; a path naming a file (or
// a .json name, as a record path would be) is refused, since build writes several files there.
func outDir(out, workspace string) (string, error) {
	if out == "" {
		return workspace, nil
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return "", fmt.Errorf("out: %w", err)
	}
	if strings.EqualFold(filepath.Ext(abs), ".json") {
		return "", fmt.Errorf("out %s: want a folder, not a record file: build writes %s, build.log and the OVA into it", out, RecordName)
	}
	if fi, err := os.Stat(abs); err == nil && !fi.IsDir() {
		return "", fmt.Errorf("out %s: is a file; want a folder for %s, build.log and the OVA", out, RecordName)
	}
	return abs, nil
}

// deliver puts what publish needs beside the record when the output folder is not the
// workspace: a copy of the log and, moved there, the verified OVA. It returns the paths the
// record names.
func deliver(dir, log, ova string) (logPath, ovaPath string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", fmt.Errorf("output folder: %w", err)
	}
	logPath = filepath.Join(dir, filepath.Base(log))
	if err := copyFile(log, logPath); err != nil {
		return "", "", fmt.Errorf("copy the log to %s: %w", dir, err)
	}
	if ova == "" {
		return logPath, "", nil
	}
	ovaPath = filepath.Join(dir, filepath.Base(ova))
	if err := moveFile(ova, ovaPath); err != nil {
		return "", "", fmt.Errorf("move the OVA to %s: %w", dir, err)
	}
	return logPath, ovaPath, nil
}

// moveFile renames src to dst, copying across file systems.
func moveFile(src, dst string) error {
	err := os.Rename(src, dst)
	if !errors.Is(err, syscall.EXDEV) {
		return err
	}
	if err := copyFile(src, dst); err != nil {
		return err
	}
	return os.Remove(src)
}

// copyFile copies src to dst (0644) through a temporary file, so that dst is whole or absent.
func copyFile(src, dst string) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = io.Copy(tmp, in); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}
