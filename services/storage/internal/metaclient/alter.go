package metaclient

import (
	"context"
	"errors"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
)

// attemptTimeout bounds one AlterPartition attempt on one metadata node.
const attemptTimeout = 3 * time.Second

// AlterPartition sends an ISR proposal to a metadata node, starting with the one that answered
// last and failing over to the next one when a node cannot be reached or is not able to take it
// (BROKER_NOT_AVAILABLE, REQUEST_TIMED_OUT, NOT_CONTROLLER), each node at most once. Any other
// answer is final. Errors are *rpcerr.Error values.
func (c *Client) AlterPartition(ctx context.Context, req *runnelv1.AlterPartitionRequest) (*runnelv1.AlterPartitionResponse, error) {
	n := len(c.clients)
	start := int(c.alterIdx.Load())
	var err error
	for k := range n {
		i := (start + k) % n
		actx, cancel := context.WithTimeout(ctx, attemptTimeout)
		var resp *runnelv1.AlterPartitionResponse
		resp, err = c.clients[i].AlterPartition(actx, req)
		cancel()
		if err == nil {
			c.alterIdx.Store(int32(i))
			return resp, nil
		}
		err = rpcerr.FromStatus(err)
		if ctx.Err() != nil || !failover(err) {
			return nil, err
		}
		c.logger.Debug("alter partition: trying the next metadata node", "metadata", c.cfg.Addrs[i], "err", err)
	}
	return nil, err
}

// failover reports whether an AlterPartition error is worth trying on another metadata node.
func failover(err error) bool {
	return errors.Is(err, rpcerr.BrokerNotAvailable) || errors.Is(err, rpcerr.RequestTimedOut) ||
		errors.Is(err, rpcerr.NotController)
}
