//go:build !unix

package replica

import (
	"os"
	"path/filepath"
)

// lockDataDir opens the lock file; without flock the data dir is not protected against a second
// process.
func lockDataDir(dataDir string) (*os.File, error) {
	return os.OpenFile(filepath.Join(dataDir, lockFile), os.O_CREATE|os.O_RDWR, 0o644)
}
