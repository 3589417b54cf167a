package client

import (
	"context"
	"errors"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
)

// errorInfoType is the type URL of google.rpc.ErrorInfo in a status's details.
const errorInfoType = "type.googleapis.com/google.rpc.ErrorInfo"

// errorDomain is the ErrorInfo domain of Runnel's errors.
const errorDomain = "runnel"

// FromStatus turns an error returned by a call of the gateway's gRPC API (for example through
// Client.Gateway) into an *Error. Runnel's statuses carry google.rpc.ErrorInfo{Reason: NAME,
// Domain: "runnel"} and the message "NAME: text"; the code comes from the ErrorInfo, else from the
// message's prefix, else from the gRPC code (Unavailable → BROKER_NOT_AVAILABLE, DeadlineExceeded
// and Canceled → REQUEST_TIMED_OUT, InvalidArgument → INVALID_REQUEST, NotFound →
// UNKNOWN_TOPIC_OR_PARTITION …). A context error becomes REQUEST_TIMED_OUT wrapping it. nil gives
// nil; an *Error is returned as is.
func FromStatus(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return newError(CodeRequestTimedOut, err.Error(), err)
	}
	st, ok := status.FromError(err)
	if !ok {
		return newError(CodeUnknown, err.Error(), err)
	}
	msg := st.Message()
	for _, d := range st.Proto().GetDetails() {
		if d.GetTypeUrl() != errorInfoType {
			continue
		}
		if reason, domain, ok := parseErrorInfo(d.GetValue()); ok && domain == errorDomain && reason != "" {
			return newError(reason, strings.TrimPrefix(msg, reason+": "), err)
		}
	}
	if name, rest, ok := strings.Cut(msg, ": "); ok && isCodeName(name) {
		return newError(name, rest, err)
	}
	return newError(codeOfGRPC(st.Code()), msg, err)
}

// parseErrorInfo reads reason (field 1) and domain (field 2) of an encoded google.rpc.ErrorInfo,
// skipping every other field. ok is false for bytes that are not a valid message.
func parseErrorInfo(b []byte) (reason, domain string, ok bool) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return "", "", false
		}
		b = b[n:]
		if (num == 1 || num == 2) && typ == protowire.BytesType {
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return "", "", false
			}
			if num == 1 {
				reason = string(v)
			} else {
				domain = string(v)
			}
			b = b[n:]
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return "", "", false
		}
		b = b[n:]
	}
	return reason, domain, true
}

// isCodeName reports whether s looks like a catalogue name: upper-case letters, digits and
// underscores, starting with a letter.
func isCodeName(s string) bool {
	if len(s) < 2 || len(s) > 64 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

func codeOfGRPC(c codes.Code) string {
	switch c {
	case codes.InvalidArgument, codes.OutOfRange:
		return CodeInvalidRequest
	case codes.NotFound:
		return CodeUnknownTopicOrPartition
	case codes.AlreadyExists:
		return "TOPIC_ALREADY_EXISTS"
	case codes.DeadlineExceeded, codes.Canceled:
		return CodeRequestTimedOut
	case codes.Unavailable:
		return CodeBrokerNotAvailable
	case codes.ResourceExhausted:
		return CodeMessageTooLarge
	}
	return CodeUnknown
}
