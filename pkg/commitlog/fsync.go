package commitlog

import (
	"os"

	"github.com/runnel/runnel/pkg/fileutil"
)

// fsync forces f's data and metadata to stable storage.
func fsync(f *os.File) error { return f.Sync() }

// syncDir fsyncs a directory, making creations, renames and removals in it durable.
func syncDir(dir string) error { return fileutil.SyncDir(dir) }
