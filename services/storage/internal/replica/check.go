package replica

import (
	"errors"

	"github.com/runnel/runnel/pkg/commitlog"
	"github.com/runnel/runnel/pkg/rpcerr"
)

// checkLeaderLocked refuses a request this node must not serve: the partition is gone, the
// sender's leader epoch differs from ours (checked first, as Kafka does, when epoch >= 0), or this
// node is not the leader. Call with mu held.
func (p *Partition) checkLeaderLocked(epoch int32) error {
	switch {
	case p.closed:
		return rpcerr.New(rpcerr.NotLeaderOrFollower,
			"partition %d of topic %q is no longer hosted on node %d; refresh metadata", p.index, p.topic, p.node)
	case epoch >= 0 && epoch < p.leaderEpoch:
		return rpcerr.New(rpcerr.FencedLeaderEpoch,
			"leader epoch %d of partition %d of topic %q is stale: the current epoch is %d; refresh metadata",
			epoch, p.index, p.topic, p.leaderEpoch)
	case epoch >= 0 && epoch > p.leaderEpoch:
		return rpcerr.New(rpcerr.UnknownLeaderEpoch,
			"leader epoch %d of partition %d of topic %q is newer than node %d knows (%d); retry shortly",
			epoch, p.index, p.topic, p.node, p.leaderEpoch)
	case p.leader != p.node:
		return rpcerr.New(rpcerr.NotLeaderOrFollower,
			"node %d does not lead partition %d of topic %q (leader: node %d, epoch %d); refresh metadata and send to the leader",
			p.node, p.index, p.topic, p.leader, p.leaderEpoch)
	case p.log == nil:
		return rpcerr.Wrap(rpcerr.KafkaStorageError, p.logErr,
			"the log of partition %d of topic %q could not be opened on node %d: %v", p.index, p.topic, p.node, p.logErr)
	}
	return nil
}

// logError turns an error of the log into a catalogue error.
func (p *Partition) logError(err error, op string) error {
	switch {
	case errors.Is(err, commitlog.ErrCorrupt):
		return rpcerr.Wrap(rpcerr.CorruptMessage, err, "%s partition %d of topic %q: the batch is invalid (%v); nothing was written", op, p.index, p.topic, err)
	case errors.Is(err, commitlog.ErrTooLarge):
		return rpcerr.Wrap(rpcerr.MessageTooLarge, err, "%s partition %d of topic %q: the batch is too large (%v)", op, p.index, p.topic, err)
	case errors.Is(err, commitlog.ErrStaleEpoch):
		return rpcerr.Wrap(rpcerr.FencedLeaderEpoch, err, "%s partition %d of topic %q: the log holds a newer leader epoch; refresh metadata", op, p.index, p.topic)
	case errors.Is(err, commitlog.ErrClosed):
		return rpcerr.Wrap(rpcerr.NotLeaderOrFollower, err, "partition %d of topic %q is closing on node %d; refresh metadata", p.index, p.topic, p.node)
	case errors.Is(err, commitlog.ErrOffsetOutOfRange):
		return rpcerr.Wrap(rpcerr.OffsetOutOfRange, err, "%s partition %d of topic %q: %v", op, p.index, p.topic, err)
	}
	p.logger.Error("log "+op+" failed", "err", err)
	return rpcerr.Wrap(rpcerr.KafkaStorageError, err, "%s partition %d of topic %q on node %d: %v", op, p.index, p.topic, p.node, err)
}
