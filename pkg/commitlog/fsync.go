package commitlog

import "os"

// fsync forces f's data and metadata to stable storage.
func fsync(f *os.File) error { return f.Sync() }

// syncDir fsyncs a directory, making creations, renames and removals in it
// durable.
func syncDir(dir string) error {
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
