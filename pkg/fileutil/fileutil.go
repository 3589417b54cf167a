package fileutil

import (
	"os"
	"path/filepath"
)

// TempSuffix ends the name of the temporary file WriteAtomic writes first; a file with this
// suffix left by a crash can be deleted.
const TempSuffix = ".tmp"

// WriteAtomic replaces path with data crash-safely: it writes path+TempSuffix, fsyncs it, renames
// it over path and fsyncs the directory. On failure the temporary file is removed and path is
// unchanged.
func WriteAtomic(path string, data []byte, perm os.FileMode) error {
	tmp := path + TempSuffix
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return SyncDir(filepath.Dir(path))
}

// SyncDir fsyncs a directory, making creations, renames and removals in it durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
