package metaclient

import (
	"context"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/backoff"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/storage/internal/cluster"
)

// runWatch keeps a watch stream open and feeds the view until ctx ends.
func (c *Client) runWatch(ctx context.Context) {
	view := cluster.NewView()
	b := backoff.Backoff{Min: c.cfg.MinBackoff, Max: c.cfg.MaxBackoff}
	i := 0
	for ctx.Err() == nil {
		err := c.watch(ctx, c.clients[i], view, &b)
		if ctx.Err() != nil {
			return
		}
		c.logger.Warn("metadata watch ended", "metadata", c.cfg.Addrs[i], "err", err)
		i = (i + 1) % len(c.clients)
		if !backoff.Sleep(ctx, b.Next()) {
			return
		}
	}
}

// watch reads one Watch stream into view until it breaks or ctx ends.
func (c *Client) watch(ctx context.Context, mc runnelv1.MetadataServiceClient, view *cluster.View, b *backoff.Backoff) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := mc.Watch(wctx, &runnelv1.WatchRequest{})
	if err != nil {
		return rpcerr.FromStatus(err)
	}
	first := true
	for {
		m, err := stream.Recv()
		if err != nil {
			return rpcerr.FromStatus(err)
		}
		if first && !m.GetReset_() {
			c.logger.Warn("metadata watch did not start with a snapshot", "revision", m.GetRevision())
		}
		view.Apply(m)
		if first {
			b.Reset()
			first = false
			c.logger.Info("metadata watch synced", "revision", view.Revision, "topics", len(view.Topics),
				"partitions", len(view.Partitions))
		}
		c.cfg.OnUpdate(view, m.GetReset_())
	}
}
