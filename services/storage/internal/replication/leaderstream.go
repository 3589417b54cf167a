package replication

import (
	"context"
	"sync"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/services/storage/internal/replica"
)

// partKey names a partition in a stream.
type partKey struct {
	topic     string
	partition int32
}

// leaderPart is one partition of a leader's stream.
type leaderPart struct {
	p      *replica.Partition
	epoch  int32 // the epoch of the accepted position
	offset int64 // the follower's fetch offset
	// needRecords: the position has not been answered with records yet.
	needRecords bool
	// sentHW and sentStart are the offsets the follower last got (-1: none yet).
	sentHW, sentStart int64
	// armed: a waiter goroutine watches the partition; gen names it.
	armed bool
	gen   uint64
}

// fired is a waiter that saw a change.
type fired struct {
	key partKey
	gen uint64
}

// leaderStream is the state of one Replicate stream on the leader. Only Serve's goroutine
// touches it, except firedList (waiters append to it).
type leaderStream struct {
	l        *Leader
	stream   runnelv1.StorageService_ReplicateServer
	ctx      context.Context
	follower int32
	parts    map[partKey]*leaderPart
	pending  map[partKey]struct{} // partitions to evaluate at the next flush
	out      []*runnelv1.ReplicaData
	buf      []byte // the records of the message being built
	gen      uint64

	waiters   sync.WaitGroup
	wake      chan struct{} // capacity 1: a waiter fired
	firedMu   sync.Mutex
	firedList []fired
}

// take applies what the follower sent: removals, then positions.
func (s *leaderStream) take(follower int32, positions map[partKey]*runnelv1.ReplicaPosition, removed map[partKey]bool) {
	if s.follower == 0 && follower != 0 {
		s.follower = follower
		s.l.logger.Info("follower connected", "follower", follower)
	}
	for k := range removed {
		delete(s.parts, k)
		delete(s.pending, k)
	}
	for _, pos := range positions {
		s.observe(pos)
	}
}

// observe takes one position (replica.Partition.ObserveFollower) and queues its answer or marks
// the partition for a read.
func (s *leaderStream) observe(pos *runnelv1.ReplicaPosition) {
	k := partKey{pos.GetTopic(), pos.GetPartition()}
	p, err := s.l.cfg.Replicas.Partition(k.topic, k.partition)
	if err != nil {
		s.answerError(k, -1, replica.Offsets{}, err)
		return
	}
	v, err := p.ObserveFollower(replica.FollowerFetch{
		Follower: s.follower, LeaderEpoch: pos.GetLeaderEpoch(),
		FetchOffset: pos.GetFetchOffset(), LastFetchedEpoch: pos.GetLastFetchedEpoch(),
	})
	if err != nil {
		s.answerError(k, v.LeaderEpoch, v.Offsets, err)
		return
	}
	if v.Expand {
		s.l.cfg.OnEligible()
	}
	lp := s.parts[k]
	if lp == nil || lp.p != p {
		lp = &leaderPart{sentHW: -1, sentStart: -1}
		s.parts[k] = lp
	}
	lp.p, lp.epoch = p, pos.GetLeaderEpoch()
	if v.Diverging != nil {
		lp.needRecords = false
		delete(s.pending, k)
		s.out = append(s.out, &runnelv1.ReplicaData{
			Topic: k.topic, Partition: k.partition, LeaderEpoch: v.LeaderEpoch,
			HighWatermark: v.HighWatermark, LogStartOffset: v.LogStart, LogEndOffset: v.LogEnd,
			DivergingEpoch: &runnelv1.EpochEndOffset{Epoch: v.Diverging.Epoch, EndOffset: v.Diverging.EndOffset},
		})
		lp.sentHW, lp.sentStart = v.HighWatermark, v.LogStart
		s.l.logger.Debug("follower log diverged", "follower", s.follower, "topic", k.topic, "partition", k.partition,
			"offset", pos.GetFetchOffset(), "epoch", pos.GetLastFetchedEpoch(),
			"leader_epoch_end", v.Diverging.Epoch, "leader_end_offset", v.Diverging.EndOffset)
		return
	}
	lp.offset, lp.needRecords = pos.GetFetchOffset(), true
	s.pending[k] = struct{}{}
}

// answerError queues an error answer and forgets the partition: the follower asks again.
func (s *leaderStream) answerError(k partKey, epoch int32, off replica.Offsets, err error) {
	name, msg := errorParts(err)
	s.out = append(s.out, &runnelv1.ReplicaData{
		Topic: k.topic, Partition: k.partition, LeaderEpoch: epoch, Error: name, Message: msg,
		HighWatermark: off.HighWatermark, LogStartOffset: off.LogStart, LogEndOffset: off.LogEnd,
	})
	delete(s.parts, k)
	delete(s.pending, k)
}

// span is where one answer's records sit in buf (buf may move while it grows).
type span struct {
	d        *runnelv1.ReplicaData
	from, to int
}

// flush evaluates the pending partitions, then sends the queued answers in one message. It
// reports whether partitions are left pending because the message budget was spent.
func (s *leaderStream) flush() (more bool, err error) {
	s.buf = s.buf[:0]
	var spans []span
	for k := range s.pending {
		if len(s.buf) >= s.l.cfg.MaxMessageBytes {
			more = true
			break
		}
		delete(s.pending, k)
		lp := s.parts[k]
		if lp == nil {
			continue
		}
		from := len(s.buf)
		var r replica.ReplicaRead
		if lp.needRecords {
			r, err = lp.p.ReadForFollower(lp.epoch, lp.offset, s.l.cfg.MaxBytes, s.buf)
		} else {
			r, err = lp.p.WatchForFollower(lp.epoch)
		}
		if err != nil {
			s.buf = s.buf[:from]
			s.answerError(k, r.LeaderEpoch, r.Offsets, err)
			continue
		}
		if lp.needRecords {
			s.buf = r.Records
		}
		d := &runnelv1.ReplicaData{
			Topic: k.topic, Partition: k.partition, LeaderEpoch: lp.epoch,
			HighWatermark: r.HighWatermark, LogStartOffset: r.LogStart, LogEndOffset: r.LogEnd,
		}
		if len(s.buf) > from {
			// Records answer the position; the next ones wait for the follower's next position.
			spans = append(spans, span{d, from, len(s.buf)})
			s.out = append(s.out, d)
			lp.needRecords = false
			lp.sentHW, lp.sentStart = r.HighWatermark, r.LogStart
			continue
		}
		if r.HighWatermark != lp.sentHW || r.LogStart != lp.sentStart {
			s.out = append(s.out, d)
			lp.sentHW, lp.sentStart = r.HighWatermark, r.LogStart
		}
		s.arm(k, lp, r.LogChanged, r.Changed)
	}
	for _, sp := range spans {
		sp.d.Records = s.buf[sp.from:sp.to]
	}
	if len(s.out) == 0 {
		return more, nil
	}
	err = s.stream.Send(&runnelv1.ReplicateResponse{Partitions: s.out})
	clear(s.out)
	s.out = s.out[:0]
	return more, err
}

// arm starts a waiter that marks the partition pending when its log end, high watermark or state
// next changes (the channels were taken before the offsets just sent were read, so no change is
// missed). At most one waiter per partition is armed.
func (s *leaderStream) arm(k partKey, lp *leaderPart, logChanged, changed <-chan struct{}) {
	if lp.armed {
		return
	}
	s.gen++
	lp.armed, lp.gen = true, s.gen
	gen := s.gen
	s.waiters.Go(func() {
		select {
		case <-logChanged:
		case <-changed:
		case <-s.ctx.Done():
			return
		}
		s.firedMu.Lock()
		s.firedList = append(s.firedList, fired{k, gen})
		s.firedMu.Unlock()
		select {
		case s.wake <- struct{}{}:
		default:
		}
	})
}

// collectFired marks the partitions whose waiters fired as pending.
func (s *leaderStream) collectFired() {
	s.firedMu.Lock()
	list := s.firedList
	s.firedList = nil
	s.firedMu.Unlock()
	for _, f := range list {
		if lp := s.parts[f.key]; lp != nil && lp.gen == f.gen {
			lp.armed = false
			s.pending[f.key] = struct{}{}
		}
	}
}
