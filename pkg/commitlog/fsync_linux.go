//go:build linux

package commitlog

import (
	"os"
	"syscall"
)

// fdatasync forces f's data (and the metadata needed to read it back, such
// as its size) to stable storage. It goes through SyscallConn so that the
// descriptor cannot be closed and reused while the call runs.
func fdatasync(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			serr = syscall.Fdatasync(int(fd))
			if serr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	if serr != nil {
		return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: serr}
	}
	return nil
}
