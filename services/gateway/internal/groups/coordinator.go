package groups

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/backoff"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/gateway/internal/metacache"
)

// Backoff between two rounds over every metadata node when none coordinates.
const (
	minCoordBackoff = 20 * time.Millisecond
	maxCoordBackoff = 500 * time.Millisecond
)

// coordinator sends calls to the metadata node that coordinates groups: it starts with the node
// that answered last and moves on on NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, an Unimplemented
// service or a transport failure, waiting a growing backoff after each full round, until the
// timeout or shortly before the caller's deadline.
type coordinator struct {
	clients []runnelv1.GroupCoordinatorServiceClient
	timeout time.Duration
	next    atomic.Uint32 // the node to try first
}

// call runs fn against the coordinator. Errors are catalogue errors; when no node coordinated in
// time the answer is COORDINATOR_NOT_AVAILABLE naming the last failure.
func (c *coordinator) call(ctx context.Context, fn func(context.Context, runnelv1.GroupCoordinatorServiceClient) error) error {
	n := len(c.clients)
	if n == 0 {
		return rpcerr.New(rpcerr.CoordinatorNotAvailable, "the gateway knows no metadata node; start it with --metadata")
	}
	deadline := time.Now().Add(c.timeout)
	if dl, ok := ctx.Deadline(); ok {
		left := time.Until(dl)
		deadline = minTime(deadline, dl.Add(-min(100*time.Millisecond, left/10)))
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	b := backoff.Backoff{Min: minCoordBackoff, Max: maxCoordBackoff}
	start := int(c.next.Load())
	var last error
	for attempt := 0; ; attempt++ {
		idx := (start + attempt) % n
		err := fn(ctx, c.clients[idx])
		if err == nil {
			c.next.Store(uint32(idx))
			return nil
		}
		if !elsewhere(err) {
			if last != nil && ctx.Err() != nil {
				break // our own deadline ended the call: say why we were still trying
			}
			return rpcerr.FromStatus(err)
		}
		last = rpcerr.FromStatus(err)
		if status.Code(err) == codes.Unimplemented {
			last = rpcerr.Wrap(rpcerr.CoordinatorNotAvailable, err, "metadata node %d of %d does not serve the group coordinator", idx+1, n)
		}
		if (attempt+1)%n == 0 {
			wait := b.Next()
			if time.Until(deadline) < wait || !backoff.Sleep(ctx, wait) {
				break
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	return rpcerr.Wrap(rpcerr.CoordinatorNotAvailable, last,
		"no metadata node coordinated groups in time (last answer: %v); retry shortly", last)
}

// elsewhere reports whether another metadata node (or the same one later) may answer err.
func elsewhere(err error) bool {
	if status.Code(err) == codes.Unimplemented || metacache.TransportFailure(err) {
		return true
	}
	e := rpcerr.FromStatus(err)
	return errors.Is(e, rpcerr.NotCoordinator) || errors.Is(e, rpcerr.CoordinatorNotAvailable) ||
		errors.Is(e, rpcerr.NotController)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
