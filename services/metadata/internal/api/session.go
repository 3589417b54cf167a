package api

import (
	"context"
	"errors"
	"io"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/metadata/internal/store"
)

// revokeTimeout bounds revoking a lease after a clean close (the stream's context is gone then).
const revokeTimeout = 5 * time.Second

type sessionStream = grpc.BidiStreamingServer[runnelv1.NodeSessionRequest, runnelv1.NodeSessionResponse]

// NodeSession registers a node and keeps its lease alive on heartbeats.
func (s *Service) NodeSession(stream sessionStream) error {
	ctx, cancel := s.streamContext(stream.Context())
	defer cancel()

	// The receiver goroutine lives as long as the stream: it ends when Recv fails, which happens at
	// the latest when this handler has returned and gRPC has finished the stream.
	reqs := make(chan *runnelv1.NodeSessionRequest)
	recvErr := make(chan error, 1)
	go func() {
		for {
			req, err := stream.Recv()
			if err != nil {
				recvErr <- err
				return
			}
			select {
			case reqs <- req:
			case <-ctx.Done():
				return
			}
		}
	}()

	var first *runnelv1.NodeSessionRequest
	select {
	case first = <-reqs:
	case err := <-recvErr:
		if errors.Is(err, io.EOF) {
			return nil // closed before registering
		}
		return err
	case <-ctx.Done():
		return s.streamEnd(stream.Context())
	}
	node := first.GetNode()
	switch {
	case node == nil:
		return rpcerr.New(rpcerr.InvalidRequest, "the first message of a node session must carry the node")
	case node.GetId() <= 0:
		return rpcerr.New(rpcerr.InvalidRequest, "node id %d: node ids must be positive", node.GetId())
	case node.GetGrpcAddr() == "":
		return rpcerr.New(rpcerr.InvalidRequest, "node %d has no grpc_addr; set the address other nodes reach it at", node.GetId())
	}

	node = proto.CloneOf(node)
	lease, ttl, resumed, err := s.register(ctx, node)
	if err != nil {
		return err
	}
	log := s.log.With("node", node.GetId(), "session", int64(lease))
	log.InfoContext(ctx, "node registered", "grpc_addr", node.GetGrpcAddr(), "session_timeout", ttl, "resumed", resumed)
	resp := &runnelv1.NodeSessionResponse{SessionId: int64(lease), SessionTimeoutMs: ttl.Milliseconds()}
	if err := stream.Send(resp); err != nil {
		return err // the stream broke: the lease expires on its own
	}

	for {
		select {
		case <-reqs:
			if err := s.st.KeepAlive(ctx, lease); err != nil {
				if errors.Is(err, store.ErrSessionExpired) {
					log.InfoContext(ctx, "node session expired")
					return rpcerr.New(rpcerr.StaleBrokerEpoch,
						"the session of node %d expired (no heartbeat within %s); open a new session", node.GetId(), ttl)
				}
				if ctx.Err() != nil {
					return s.streamEnd(stream.Context())
				}
				return storeErr(err, "renew the node session")
			}
			if err := stream.Send(resp); err != nil {
				return err
			}
		case err := <-recvErr:
			if errors.Is(err, io.EOF) {
				s.revoke(lease)
				log.InfoContext(ctx, "node deregistered")
				return nil
			}
			log.InfoContext(ctx, "node session broken; the node is dead unless it reconnects within its timeout", "err", err)
			return err
		case <-ctx.Done():
			return s.streamEnd(stream.Context())
		}
	}
}

// register puts the node under its previous session when it presents one that is still its live
// session, else under a new lease. It sets node.SessionId.
func (s *Service) register(ctx context.Context, node *runnelv1.Node) (clientv3.LeaseID, time.Duration, bool, error) {
	if prev := clientv3.LeaseID(node.GetSessionId()); prev != 0 {
		ttl, ok, err := s.st.ResumeSession(ctx, node, prev)
		if err != nil {
			return 0, 0, false, storeErr(err, "resume the node session")
		}
		if ok {
			return prev, ttl, true, nil
		}
	}
	lease, ttl, err := s.st.GrantSession(ctx, s.cfg.SessionTimeout)
	if err != nil {
		return 0, 0, false, storeErr(err, "start a node session")
	}
	node.SessionId = int64(lease)
	if err := s.st.PutNode(ctx, node, lease); err != nil {
		s.revoke(lease)
		return 0, 0, false, storeErr(err, "register the node")
	}
	return lease, ttl, false, nil
}

// revoke ends a lease with a context of its own: the stream's may already be gone.
func (s *Service) revoke(lease clientv3.LeaseID) {
	ctx, cancel := context.WithTimeout(context.Background(), revokeTimeout)
	defer cancel()
	if err := s.st.Revoke(ctx, lease); err != nil {
		s.log.Warn("revoke node session", "session", int64(lease), "err", err)
	}
}
