package devcluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// ErrBinaryNotFound is wrapped by FindBinaries when a service program is missing.
var ErrBinaryNotFound = errors.New("service binary not found")

// FindBinaries looks for runnel-metadata, runnel-storage and runnel-gateway first in dir (the
// directory of the running `runnel`, symlinks resolved: see ExecutableDir), then on PATH. The
// result holds absolute paths.
func FindBinaries(dir string) (Binaries, error) {
	find := func(name string) (string, error) {
		if dir != "" {
			p := filepath.Join(dir, name)
			if isExecutable(p) {
				return filepath.Abs(p)
			}
		}
		p, err := exec.LookPath(name)
		if err != nil {
			where := "on PATH"
			if dir != "" {
				where = "in " + dir + " or on PATH"
			}
			return "", fmt.Errorf("%w: %s is not %s: run `make build` (it puts every binary in bin/ next to runnel)",
				ErrBinaryNotFound, name, where)
		}
		return filepath.Abs(p)
	}
	var b Binaries
	var err error
	if b.Metadata, err = find("runnel-metadata"); err != nil {
		return b, err
	}
	if b.Storage, err = find("runnel-storage"); err != nil {
		return b, err
	}
	if b.Gateway, err = find("runnel-gateway"); err != nil {
		return b, err
	}
	return b, nil
}

// ExecutableDir is the directory of the running program with symlinks resolved.
func ExecutableDir() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	if exe, err = filepath.EvalSymlinks(exe); err != nil {
		return "", err
	}
	return filepath.Dir(exe), nil
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}
