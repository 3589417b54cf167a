package harness

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Binary names expected in <repo>/bin.
const (
	CLIBinary      = "runnel"
	MetadataBinary = "runnel-metadata"
	StorageBinary  = "runnel-storage"
	GatewayBinary  = "runnel-gateway"
)

// errNoRepo is returned when no go.work is found above the working directory.
var errNoRepo = errors.New("no go.work found above the working directory")

// RepoRoot returns the first directory at or above the working directory that holds go.work.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errNoRepo
		}
		dir = parent
	}
}

// BinDir returns <repo>/bin after checking that every Runnel binary is in it; it fails the test
// with a "run make build" message otherwise.
func BinDir(t testing.TB) string {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	bin := filepath.Join(root, "bin")
	for _, name := range []string{CLIBinary, MetadataBinary, StorageBinary, GatewayBinary} {
		p := filepath.Join(bin, name)
		fi, err := os.Stat(p)
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			t.Fatalf("harness: binary %s is missing or not executable: run make build (in %s) first", p, root)
		}
	}
	return bin
}

// binPath is the absolute path of one binary in dir.
func binPath(dir, name string) string { return filepath.Join(dir, name) }

// describeExit says how a process ended, for messages.
func describeExit(err error) string {
	if err == nil {
		return "exited with status 0"
	}
	return fmt.Sprintf("exited: %v", err)
}
