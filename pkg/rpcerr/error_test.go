package rpcerr

import (
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestRoundTripThroughStatus(t *testing.T) {
	for _, c := range All() {
		t.Run(c.Name, func(t *testing.T) {
			err := New(c, "partition %d", 3)
			st := status.Convert(ToStatus(err))
			if st.Code() != c.GRPC {
				t.Fatalf("grpc code = %v, want %v", st.Code(), c.GRPC)
			}
			back := FromStatus(st.Err())
			if !errors.Is(back, c) {
				t.Fatalf("errors.Is(%v, %s) = false", back, c.Name)
			}
			if got, want := back.Error(), c.Name+": partition 3"; got != want {
				t.Fatalf("message = %q, want %q", got, want)
			}
		})
	}
}

func TestIsThroughWrapping(t *testing.T) {
	err := fmt.Errorf("append: %w", New(NotEnoughReplicas, "isr 1 < 2"))
	if !errors.Is(err, NotEnoughReplicas) {
		t.Fatal("wrapped *Error does not match its code")
	}
	if errors.Is(err, NotEnoughReplicasAfterAppend) {
		t.Fatal("matched another code")
	}
	if !IsRetriable(err) {
		t.Fatal("NOT_ENOUGH_REPLICAS must be retriable")
	}
}

func TestFromPlainStatus(t *testing.T) {
	tests := []struct {
		err  error
		want *Code
	}{
		{status.Error(codes.Unavailable, "connection refused"), BrokerNotAvailable},
		{status.Error(codes.Unknown, "NOT_LEADER_OR_FOLLOWER: moved"), NotLeaderOrFollower},
		{status.Error(codes.DeadlineExceeded, "slow"), RequestTimedOut},
		{errors.New("boom"), Unknown},
	}
	for _, tt := range tests {
		if got := CodeOf(tt.err); got != tt.want {
			t.Errorf("CodeOf(%v) = %s, want %s", tt.err, got.Name, tt.want.Name)
		}
	}
}

func TestCatalogueComplete(t *testing.T) {
	for _, c := range All() {
		if c.Hint == "" || c.HTTP == 0 || c.Name == "" {
			t.Errorf("%+v is incomplete", c)
		}
		if c != Unknown && c.HTTP >= 500 && c.HTTP != 503 {
			t.Errorf("%s maps to %d: a user's mistake must never be a 5xx other than retriable 503", c.Name, c.HTTP)
		}
	}
}
