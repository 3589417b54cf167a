package rpcerr

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Domain is the ErrorInfo domain of Runnel's errors.
const Domain = "runnel"

// Error is an error of the catalogue with a message for the user.
type Error struct {
	Code *Code
	Msg  string // what happened and what to do; never starts with the name
	err  error  // the cause, for errors.Is/As within a process; not sent on the wire
}

// New returns an *Error with a formatted message.
func New(c *Code, format string, args ...any) *Error {
	return &Error{Code: c, Msg: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error whose cause is err (kept for errors.Is within the process).
func Wrap(c *Code, err error, format string, args ...any) *Error {
	return &Error{Code: c, Msg: fmt.Sprintf(format, args...), err: err}
}

// Error renders "NAME: message".
func (e *Error) Error() string {
	if e.Msg == "" {
		return e.Code.Error()
	}
	return e.Code.Name + ": " + e.Msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.err }

// Is matches the error's code (errors.Is(err, rpcerr.NotEnoughReplicas)) or another *Error of the
// same code.
func (e *Error) Is(target error) bool {
	switch t := target.(type) {
	case *Code:
		return e.Code == t
	case *Error:
		return e.Code == t.Code
	}
	return false
}

// GRPCStatus makes an *Error a gRPC status: status.FromError and the grpc server use it.
func (e *Error) GRPCStatus() *status.Status {
	st := status.New(e.Code.GRPC, e.Error())
	if d, err := st.WithDetails(&errdetails.ErrorInfo{Reason: e.Code.Name, Domain: Domain}); err == nil {
		return d
	}
	return st
}

// CodeOf returns the catalogue code of err: its own for an *Error or *Code, one derived from a gRPC
// status or context error otherwise, and Unknown for anything else. nil gives nil.
func CodeOf(err error) *Code {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var c *Code
	if errors.As(err, &c) {
		return c
	}
	return FromStatus(err).(*Error).Code
}

// IsRetriable reports whether err is a catalogue error a client may retry.
func IsRetriable(err error) bool {
	c := CodeOf(err)
	return c != nil && c.Retriable
}

// FromStatus turns an error returned by a gRPC call back into an *Error. A status carrying Runnel's
// ErrorInfo keeps its code; a status whose message starts with a known name too; other statuses
// map by gRPC code (Unavailable → BROKER_NOT_AVAILABLE, DeadlineExceeded → REQUEST_TIMED_OUT,
// InvalidArgument → INVALID_REQUEST …). nil gives nil. An error that is already an *Error is
// returned as is.
func FromStatus(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var c *Code
	if errors.As(err, &c) {
		return &Error{Code: c, Msg: c.Hint}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return Wrap(RequestTimedOut, err, "the request timed out; retry, or raise the timeout")
	}
	if errors.Is(err, context.Canceled) {
		return Wrap(RequestTimedOut, err, "the request was cancelled")
	}
	st, ok := status.FromError(err)
	if !ok {
		return Wrap(Unknown, err, "%v", err)
	}
	msg := st.Message()
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.Domain == Domain {
			if c, ok := byName[info.Reason]; ok {
				return &Error{Code: c, Msg: strings.TrimPrefix(msg, c.Name+": "), err: err}
			}
		}
	}
	if name, rest, ok := strings.Cut(msg, ": "); ok {
		if c, ok := byName[name]; ok {
			return &Error{Code: c, Msg: rest, err: err}
		}
	}
	return &Error{Code: fromGRPCCode(st.Code()), Msg: msg, err: err}
}

func fromGRPCCode(c codes.Code) *Code {
	switch c {
	case codes.InvalidArgument, codes.OutOfRange:
		return InvalidRequest
	case codes.NotFound:
		return UnknownTopicOrPartition
	case codes.AlreadyExists:
		return TopicAlreadyExists
	case codes.DeadlineExceeded, codes.Canceled:
		return RequestTimedOut
	case codes.Unavailable:
		return BrokerNotAvailable
	case codes.ResourceExhausted:
		return MessageTooLarge
	}
	return Unknown
}

// ToStatus turns any error into a gRPC status error carrying the catalogue code, for a server to
// return. An error that is not from the catalogue becomes UNKNOWN_SERVER_ERROR (a bug), except
// context errors, which become REQUEST_TIMED_OUT.
func ToStatus(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e.GRPCStatus().Err()
	}
	return FromStatus(err).(*Error).GRPCStatus().Err()
}
