package metacache

import (
	"context"
	"errors"
	"sync/atomic"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
)

// Admin forwards topic administration to the metadata service.
type Admin struct {
	conns *Conns
	next  atomic.Uint32 // the address to try first
}

// NewAdmin returns an Admin over conns.
func NewAdmin(conns *Conns) *Admin { return &Admin{conns: conns} }

// CreateTopic creates a topic.
func (a *Admin) CreateTopic(ctx context.Context, req *runnelv1.MetadataServiceCreateTopicRequest) (*runnelv1.MetadataServiceCreateTopicResponse, error) {
	var resp *runnelv1.MetadataServiceCreateTopicResponse
	err := a.call(ctx, func(c runnelv1.MetadataServiceClient) (err error) {
		resp, err = c.CreateTopic(ctx, req)
		return err
	})
	return resp, err
}

// DeleteTopic deletes a topic.
func (a *Admin) DeleteTopic(ctx context.Context, name string) error {
	return a.call(ctx, func(c runnelv1.MetadataServiceClient) error {
		_, err := c.DeleteTopic(ctx, &runnelv1.MetadataServiceDeleteTopicRequest{Name: name})
		return err
	})
}

// call tries each address once, starting with the last one that worked, moving on only when the
// call never reached a service (a transport failure carries no catalogue name).
func (a *Admin) call(ctx context.Context, fn func(runnelv1.MetadataServiceClient) error) error {
	n := len(a.conns.clients)
	start := int(a.next.Load())
	var err error
	for i := 0; i < n; i++ {
		idx := (start + i) % n
		err = fn(a.conns.clients[idx])
		if err == nil || !transportFailure(err) || ctx.Err() != nil {
			if err == nil {
				a.next.Store(uint32(idx))
			}
			return rpcerr.FromStatus(err)
		}
	}
	return rpcerr.New(rpcerr.BrokerNotAvailable, "no metadata node answered (last error: %v); retry shortly", err)
}

// transportFailure reports an Unavailable status that is not one of Runnel's own errors.
func transportFailure(err error) bool {
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.Unavailable {
		return false
	}
	var e *rpcerr.Error
	if errors.As(rpcerr.FromStatus(err), &e) && e.Code != rpcerr.BrokerNotAvailable {
		return false
	}
	return len(st.Details()) == 0
}
