package metaclient

import (
	"context"
	"errors"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/backoff"
	"github.com/runnel/runnel/pkg/rpcerr"
)

// closeWait bounds how long a closing session waits for the metadata node to end the stream.
const closeWait = time.Second

// runSession keeps the node registered until ctx ends.
func (c *Client) runSession(ctx context.Context) {
	b := backoff.Backoff{Min: c.cfg.MinBackoff, Max: c.cfg.MaxBackoff}
	i := 0
	// resume is the session this process holds: a reconnect (say, after a metadata node died)
	// presents it so the metadata service resumes the same session instead of taking this node
	// for one that restarted (which would cost it its ISR memberships and leaderships).
	var resume int64
	for ctx.Err() == nil {
		err := c.runStream(ctx, c.clients[i], &b, resume)
		if id := c.sessionID.Swap(0); id != 0 {
			resume = id
		}
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, rpcerr.StaleBrokerEpoch) {
			resume = 0
			c.logger.Info("node session is stale: registering again", "metadata", c.cfg.Addrs[i], "err", err)
		} else {
			c.logger.Warn("node session ended", "metadata", c.cfg.Addrs[i], "err", err)
			i = (i + 1) % len(c.clients)
		}
		if !backoff.Sleep(ctx, b.Next()) {
			return
		}
	}
}

// session registers on one metadata node and heartbeats until the stream breaks or ctx ends.
// A nonzero resume asks to continue that session.
func (c *Client) runStream(ctx context.Context, mc runnelv1.MetadataServiceClient, b *backoff.Backoff, resume int64) error {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := mc.NodeSession(sctx)
	if err != nil {
		return rpcerr.FromStatus(err)
	}
	node := proto.Clone(c.cfg.Node).(*runnelv1.Node)
	node.SessionId = resume
	if err := stream.Send(&runnelv1.NodeSessionRequest{Node: node}); err != nil {
		_, err = stream.Recv() // the stream's real error
		return rpcerr.FromStatus(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		return rpcerr.FromStatus(err)
	}
	timeout := time.Duration(resp.GetSessionTimeoutMs()) * time.Millisecond
	if timeout <= 0 {
		timeout = DefaultSessionTimeout
	}
	c.sessionID.Store(resp.GetSessionId())
	b.Reset()
	c.logger.Info("node registered", "node", c.cfg.Node.GetId(), "session", resp.GetSessionId(),
		"session_timeout", timeout)
	c.cfg.OnRegistered()

	recvErr := make(chan error, 1)
	go func() { recvErr <- c.readSession(stream) }()
	ticker := time.NewTicker(max(timeout/3, time.Millisecond))
	defer ticker.Stop()
	for {
		select {
		case err := <-recvErr:
			return rpcerr.FromStatus(err)
		case <-ticker.C:
			if err := stream.Send(&runnelv1.NodeSessionRequest{}); err != nil {
				cancel()
				return rpcerr.FromStatus(<-recvErr)
			}
		case <-ctx.Done():
			// End the session cleanly: the metadata node sees the half-close and releases it.
			_ = stream.CloseSend()
			t := time.NewTimer(closeWait)
			select {
			case <-recvErr:
			case <-t.C:
				cancel()
				<-recvErr
			}
			t.Stop()
			return ctx.Err()
		}
	}
}

// readSession reads session responses (a new session id) until the stream ends.
func (c *Client) readSession(stream grpc.BidiStreamingClient[runnelv1.NodeSessionRequest, runnelv1.NodeSessionResponse]) error {
	for {
		resp, err := stream.Recv()
		if err != nil {
			return err
		}
		if id := resp.GetSessionId(); id != 0 && id != c.sessionID.Load() {
			c.sessionID.Store(id)
			c.logger.Info("node session renewed", "session", id)
		}
	}
}
