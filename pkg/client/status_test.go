package client

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
)

func TestFromStatus(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		code      string
		message   string
		retriable bool
	}{
		{"error info", statusErr(codes.Unavailable, CodeNotEnoughReplicas, "2 of 3 in sync"), CodeNotEnoughReplicas, "2 of 3 in sync", true},
		{"error info wins over the gRPC code", statusErr(codes.NotFound, CodeUnknownMemberID, "gone"), CodeUnknownMemberID, "gone", false},
		{"name prefix without details", status.Error(codes.Aborted, "ILLEGAL_GENERATION: stale"), CodeIllegalGeneration, "stale", false},
		{"unknown name kept", statusErr(codes.Internal, "SOME_NEW_CODE", "new"), "SOME_NEW_CODE", "new", false},
		{"unavailable", status.Error(codes.Unavailable, "connection refused"), CodeBrokerNotAvailable, "connection refused", true},
		{"deadline", status.Error(codes.DeadlineExceeded, "slow"), CodeRequestTimedOut, "slow", true},
		{"invalid argument", status.Error(codes.InvalidArgument, "bad: thing"), CodeInvalidRequest, "bad: thing", false},
		{"not found", status.Error(codes.NotFound, "no"), CodeUnknownTopicOrPartition, "no", true},
		{"internal", status.Error(codes.Internal, "boom"), CodeUnknown, "boom", false},
		{"context", context.DeadlineExceeded, CodeRequestTimedOut, "context deadline exceeded", true},
		{"plain error", errors.New("weird"), CodeUnknown, "weird", false},
		{"already an Error", &Error{Code: CodeNotCoordinator, Message: "m"}, CodeNotCoordinator, "m", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := FromStatus(tt.err)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("FromStatus gave %T %v, want *Error", err, err)
			}
			if e.Code != tt.code || e.Message != tt.message || e.Retriable() != tt.retriable {
				t.Fatalf("got code %q message %q retriable %v, want %q %q %v", e.Code, e.Message, e.Retriable(), tt.code, tt.message, tt.retriable)
			}
			if CodeOf(fmt.Errorf("wrapped: %w", err)) != tt.code || IsRetriable(err) != tt.retriable {
				t.Fatalf("CodeOf/IsRetriable disagree with the *Error")
			}
			if !errors.Is(err, &Error{Code: tt.code}) {
				t.Fatalf("errors.Is by code failed")
			}
		})
	}
	if FromStatus(nil) != nil {
		t.Fatal("FromStatus(nil) != nil")
	}
	if CodeOf(errors.New("x")) != "" || CodeOf(nil) != "" || IsRetriable(ErrClosed) {
		t.Fatal("errors not from Runnel must have no code")
	}
	if got := (&Error{Code: "X", Message: "y"}).Error(); got != "X: y" {
		t.Fatalf("Error() = %q", got)
	}
}

func TestParseErrorInfo(t *testing.T) {
	var b []byte
	b = protowire.AppendTag(b, 3, protowire.BytesType) // metadata entry, skipped
	b = protowire.AppendBytes(b, []byte{0x0a, 0x01, 'k', 0x12, 0x01, 'v'})
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendString(b, "NOT_COORDINATOR")
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	b = protowire.AppendString(b, "runnel")
	tests := []struct {
		name           string
		in             []byte
		reason, domain string
		ok             bool
	}{
		{"full", b, "NOT_COORDINATOR", "runnel", true},
		{"empty", nil, "", "", true},
		{"truncated", b[:len(b)-2], "", "", false},
		{"bad tag", []byte{0xff}, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, d, ok := parseErrorInfo(tt.in)
			if r != tt.reason || d != tt.domain || ok != tt.ok {
				t.Fatalf("got %q %q %v, want %q %q %v", r, d, ok, tt.reason, tt.domain, tt.ok)
			}
		})
	}
}

// FuzzParseErrorInfo: parseErrorInfo never panics on any bytes, and a reason and domain encoded
// as ErrorInfo fields read back unchanged.
func FuzzParseErrorInfo(f *testing.F) {
	f.Add([]byte{}, "NOT_COORDINATOR", "runnel")
	f.Add([]byte{0x1a, 0x02, 0x00, 0x00}, "X", "")
	f.Add([]byte{0xff, 0xff, 0xff}, "", "runnel")
	f.Fuzz(func(t *testing.T, junk []byte, reason, domain string) {
		parseErrorInfo(junk)
		var b []byte
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendString(b, reason)
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendString(b, domain)
		r, d, ok := parseErrorInfo(b)
		if !ok || r != reason || d != domain {
			t.Fatalf("round trip: got %q %q %v, want %q %q", r, d, ok, reason, domain)
		}
	})
}
