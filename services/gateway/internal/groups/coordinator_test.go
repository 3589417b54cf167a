package groups

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/gateway/internal/gatewaytest"
)

func deadAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := l.Addr().String()
	_ = l.Close()
	return a
}

func listGroups(ctx context.Context, c *coordinator) error {
	return c.call(ctx, func(ctx context.Context, cl runnelv1.GroupCoordinatorServiceClient) error {
		_, err := cl.ListGroups(ctx, &runnelv1.GroupCoordinatorServiceListGroupsRequest{})
		return err
	})
}

// Calls reach the coordinating node: the others (NOT_COORDINATOR, no such service, nobody
// listening) are skipped, the node that answered is tried first next time, and a move of the
// coordinator is followed.
func TestCoordinatorRotation(t *testing.T) {
	meta := gatewaytest.StartMetadata(t)
	a := gatewaytest.StartCoordinator(t, meta)
	b := gatewaytest.StartCoordinator(t, meta)
	tests := []struct {
		name  string
		first string // the address tried first
	}{
		{"not coordinator", a.Addr},
		{"no coordinator service", meta.Addr},
		{"nobody listening", deadAddr(t)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a.SetActive(false)
			c := &coordinator{clients: []runnelv1.GroupCoordinatorServiceClient{dial(t, tt.first), dial(t, b.Addr)}, timeout: 5 * time.Second}
			before := b.Calls.Load()
			if err := listGroups(ctx(t), c); err != nil {
				t.Fatalf("call: %v", err)
			}
			if b.Calls.Load() != before+1 {
				t.Fatalf("coordinator b got %d calls, want 1", b.Calls.Load()-before)
			}
			firstCalls := a.Calls.Load()
			if err := listGroups(ctx(t), c); err != nil {
				t.Fatalf("second call: %v", err)
			}
			if a.Calls.Load() != firstCalls || b.Calls.Load() != before+2 {
				t.Fatal("the second call did not go straight to the node that answered")
			}
		})
	}

	t.Run("coordinator moves", func(t *testing.T) {
		a.SetActive(false)
		b.SetActive(true)
		c := &coordinator{clients: []runnelv1.GroupCoordinatorServiceClient{dial(t, a.Addr), dial(t, b.Addr)}, timeout: 5 * time.Second}
		if err := listGroups(ctx(t), c); err != nil {
			t.Fatal(err)
		}
		b.SetActive(false)
		a.SetActive(true)
		if err := listGroups(ctx(t), c); err != nil {
			t.Fatalf("after the move: %v", err)
		}
		if c.next.Load() != 0 {
			t.Fatalf("next node %d, want 0 (a)", c.next.Load())
		}
	})

	t.Run("other errors are answers", func(t *testing.T) {
		a.SetActive(true)
		c := &coordinator{clients: []runnelv1.GroupCoordinatorServiceClient{dial(t, a.Addr), dial(t, b.Addr)}, timeout: 5 * time.Second}
		before := b.Calls.Load()
		err := c.call(ctx(t), func(ctx context.Context, cl runnelv1.GroupCoordinatorServiceClient) error {
			_, err := cl.DeleteGroup(ctx, &runnelv1.GroupCoordinatorServiceDeleteGroupRequest{Group: "nope"})
			return err
		})
		if !errors.Is(err, rpcerr.GroupIDNotFound) || b.Calls.Load() != before {
			t.Fatalf("err %v, b calls %d; want GROUP_ID_NOT_FOUND from a alone", err, b.Calls.Load()-before)
		}
	})
}

// With no coordinating node the call gives up with COORDINATOR_NOT_AVAILABLE, within its timeout
// or shortly before the caller's deadline, after retrying with backoff.
func TestCoordinatorUnavailable(t *testing.T) {
	meta := gatewaytest.StartMetadata(t)
	a := gatewaytest.StartCoordinator(t, meta)
	a.SetActive(false)
	tests := []struct {
		name     string
		timeout  time.Duration
		deadline time.Duration // of the caller; 0: none
		within   time.Duration
	}{
		{"own timeout", 300 * time.Millisecond, 0, 2 * time.Second},
		{"caller deadline", 10 * time.Second, 300 * time.Millisecond, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &coordinator{clients: []runnelv1.GroupCoordinatorServiceClient{dial(t, a.Addr), dial(t, deadAddr(t))}, timeout: tt.timeout}
			callCtx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				callCtx, cancel = context.WithTimeout(callCtx, tt.deadline)
				defer cancel()
			}
			before := a.Calls.Load()
			start := time.Now()
			err := listGroups(callCtx, c)
			if !errors.Is(err, rpcerr.CoordinatorNotAvailable) || !rpcerr.IsRetriable(err) {
				t.Fatalf("err = %v, want COORDINATOR_NOT_AVAILABLE", err)
			}
			if took := time.Since(start); took > tt.within {
				t.Fatalf("gave up after %v, want within %v", took, tt.within)
			}
			if n := a.Calls.Load() - before; n < 2 {
				t.Fatalf("a was asked %d times, want retries", n)
			}
		})
	}
	t.Run("no nodes", func(t *testing.T) {
		if err := listGroups(ctx(t), &coordinator{timeout: time.Second}); !errors.Is(err, rpcerr.CoordinatorNotAvailable) {
			t.Fatalf("err = %v", err)
		}
	})
}
