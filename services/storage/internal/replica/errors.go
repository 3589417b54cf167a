package replica

import "errors"

// Sentinel errors of the manager itself. Request errors are *rpcerr.Error values (see doc.go).
var (
	// ErrDataDir: the data dir cannot be used (owned by another node id, or locked by a running
	// process).
	ErrDataDir = errors.New("replica: data dir unusable")
	// ErrClosed: the manager was closed.
	ErrClosed = errors.New("replica: manager closed")
)
