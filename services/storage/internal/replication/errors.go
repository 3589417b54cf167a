package replication

import (
	"errors"

	"github.com/runnel/runnel/pkg/rpcerr"
)

// errorParts splits an error into its catalogue name and message, for ReplicaData.
func errorParts(err error) (name, msg string) {
	var e *rpcerr.Error
	if errors.As(err, &e) {
		return e.Code.Name, e.Msg
	}
	return rpcerr.CodeOf(err).Name, err.Error()
}

// answerCode is the catalogue code of a ReplicaData error name (UNKNOWN_SERVER_ERROR when the
// name is not in the catalogue).
func answerCode(name string) *rpcerr.Code {
	if c, ok := rpcerr.Lookup(name); ok {
		return c
	}
	return rpcerr.Unknown
}
