package client

import (
	"context"
	"errors"
)

// Error is an error answered by Runnel (or raised by this package in its name): a catalogue code
// such as "NOT_ENOUGH_REPLICAS" and a message for the user. Use errors.As to get it, CodeOf to read
// its code and Retriable to decide whether sending the same request again may succeed.
type Error struct {
	Code    string // the catalogue name, e.g. "UNKNOWN_TOPIC_OR_PARTITION"
	Message string // what happened and what to do
	cause   error
}

// Error renders "CODE: message".
func (e *Error) Error() string {
	if e.Message == "" {
		return e.Code
	}
	return e.Code + ": " + e.Message
}

// Unwrap returns the cause (a gRPC status error, a context error or the last error of a retried
// delivery), if any.
func (e *Error) Unwrap() error { return e.cause }

// Is reports whether target is an *Error with the same code, so errors.Is(err,
// &client.Error{Code: client.CodeNotEnoughReplicas}) matches any NOT_ENOUGH_REPLICAS.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Retriable reports whether the same request may succeed when sent again (after a backoff or a
// metadata refresh): the catalogue's retriable flag of the code.
func (e *Error) Retriable() bool { return retriable[e.Code] }

// Catalogue codes this package acts on or that users commonly test for. Any other name the server
// sends is kept as is in Error.Code.
const (
	CodeUnknown                      = "UNKNOWN_SERVER_ERROR"
	CodeOffsetOutOfRange             = "OFFSET_OUT_OF_RANGE"
	CodeCorruptMessage               = "CORRUPT_MESSAGE"
	CodeUnknownTopicOrPartition      = "UNKNOWN_TOPIC_OR_PARTITION"
	CodeLeaderNotAvailable           = "LEADER_NOT_AVAILABLE"
	CodeNotLeaderOrFollower          = "NOT_LEADER_OR_FOLLOWER"
	CodeRequestTimedOut              = "REQUEST_TIMED_OUT"
	CodeBrokerNotAvailable           = "BROKER_NOT_AVAILABLE"
	CodeMessageTooLarge              = "MESSAGE_TOO_LARGE"
	CodeCoordinatorNotAvailable      = "COORDINATOR_NOT_AVAILABLE"
	CodeNotCoordinator               = "NOT_COORDINATOR"
	CodeNotEnoughReplicas            = "NOT_ENOUGH_REPLICAS"
	CodeNotEnoughReplicasAfterAppend = "NOT_ENOUGH_REPLICAS_AFTER_APPEND"
	CodeIllegalGeneration            = "ILLEGAL_GENERATION"
	CodeUnknownMemberID              = "UNKNOWN_MEMBER_ID"
	CodeRebalanceInProgress          = "REBALANCE_IN_PROGRESS"
	CodeInvalidRequest               = "INVALID_REQUEST"
	CodeInvalidRecord                = "INVALID_RECORD"
	CodeGroupIDNotFound              = "GROUP_ID_NOT_FOUND"
	CodeFencedInstanceID             = "FENCED_INSTANCE_ID"
	CodePartitionNotAssigned         = "PARTITION_NOT_ASSIGNED"
	CodeKafkaStorageError            = "KAFKA_STORAGE_ERROR"
)

// retriable is the catalogue's retriable flag (pkg/rpcerr), by name. e2e/sdk checks it against the
// catalogue so the two cannot drift apart.
var retriable = map[string]bool{
	CodeCorruptMessage:               true,
	CodeUnknownTopicOrPartition:      true,
	CodeLeaderNotAvailable:           true,
	CodeNotLeaderOrFollower:          true,
	CodeRequestTimedOut:              true,
	CodeNotEnoughReplicas:            true,
	CodeNotEnoughReplicasAfterAppend: true,
	CodeRebalanceInProgress:          true,
	CodeCoordinatorNotAvailable:      true,
	CodeNotCoordinator:               true,
	CodeBrokerNotAvailable:           true,
	CodeKafkaStorageError:            true,
	"FENCED_LEADER_EPOCH":            true,
	"UNKNOWN_LEADER_EPOCH":           true,
	"NOT_CONTROLLER":                 true,
	"UNKNOWN_TOPIC_ID":               true,
}

// Sentinel errors of this package (not sent by the server); match them with errors.Is.
var (
	// ErrClosed: the producer or consumer was closed; a record pending at Close fails with it.
	ErrClosed = errors.New("client: closed")
	// ErrInvalidOption: an option value is out of range (the constructor says which).
	ErrInvalidOption = errors.New("client: invalid option")
	// ErrNotSubscribed: the group consumer has not joined its group yet (call Subscribe).
	ErrNotSubscribed = errors.New("client: not subscribed")
	// ErrSubscribed: Subscribe was called twice.
	ErrSubscribed = errors.New("client: already subscribed")
	// ErrNotAssigned: the partition is not assigned to this consumer.
	ErrNotAssigned = errors.New("client: partition not assigned")
)

// CodeOf returns the catalogue code of err: the Code of an *Error in its chain, "" for nil and for
// errors that did not come from Runnel (a context error, ErrClosed …).
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// IsRetriable reports whether err carries a retriable catalogue code.
func IsRetriable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retriable()
}

// newError returns an *Error with a cause.
func newError(code, msg string, cause error) *Error {
	return &Error{Code: code, Message: msg, cause: cause}
}

// isContextErr reports whether err is the end of a context rather than a server answer.
func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
