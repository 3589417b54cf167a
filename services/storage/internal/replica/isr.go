package replica

import (
	"slices"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// ISRChange is an ISR a leader proposes for one of its partitions, based on the partition state
// it has applied.
type ISRChange struct {
	Topic          string
	Partition      int32
	TopicID        string
	LeaderEpoch    int32
	PartitionEpoch int32
	ISR            []int32 // the current ISR
	NewISR         []int32 // the proposed one (the leader first, then the replicas' order)
}

// Removed returns the members the change takes out of the ISR.
func (c ISRChange) Removed() []int32 { return minus(c.ISR, c.NewISR) }

// Added returns the replicas the change brings into the ISR.
func (c ISRChange) Added() []int32 { return minus(c.NewISR, c.ISR) }

func minus(a, b []int32) []int32 {
	var out []int32
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// progress is a follower's replication progress as the ISR decision sees it.
type progress struct {
	leo      int64     // -1: not reported in this term
	caughtUp time.Time // the last time its log end reached the leader's
}

// isrInput is everything nextISR decides on.
type isrInput struct {
	leader    int32
	isr       []int32
	replicas  []int32
	followers map[int32]progress // absent: not reported in this term
	leaderEnd int64              // the leader's log end offset
	hw        int64
	termStart int64     // the leader's log end when its term began
	termBegan time.Time // when it began
	now       time.Time
	lag       time.Duration // replica.lag.time.max.ms
}

// nextISR is the ISR the leader wants, as Kafka decides it:
//
//   - an ISR member is out of sync when its log end is below the leader's and it has not been
//     caught up for longer than lag (a member that has not reported in this term counts as
//     caught up when the term began): it is removed;
//   - a replica outside the ISR that has reported a log end at or above both the high watermark
//     and the start of the leader's term is added;
//   - the leader always stays.
//
// The result lists the leader first, then the other members in the replicas' order.
func nextISR(in isrInput) []int32 {
	out := []int32{in.leader}
	for _, r := range in.replicas {
		if r == in.leader || slices.Contains(out, r) {
			continue
		}
		f, reported := in.followers[r]
		if !reported {
			f = progress{leo: -1, caughtUp: in.termBegan}
		}
		if slices.Contains(in.isr, r) {
			if f.leo >= in.leaderEnd || in.now.Sub(f.caughtUp) <= in.lag {
				out = append(out, r)
			}
			continue
		}
		if reported && f.leo >= 0 && f.leo >= in.hw && f.leo >= in.termStart {
			out = append(out, r)
		}
	}
	return out
}

// sameMembers reports whether a and b hold the same node ids.
func sameMembers(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// CheckISR returns the ISR change this node, as the partition's leader, should propose now (see
// nextISR), if any. Followers found caught up have their caught-up time refreshed, so a
// follower that is idle because nothing is appended stays in sync.
func (p *Partition) CheckISR() (ISRChange, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed || p.log == nil || p.leader != p.node {
		return ISRChange{}, false
	}
	now := p.now()
	in := isrInput{
		leader: p.node, isr: p.isr, replicas: p.replicas, followers: map[int32]progress{},
		leaderEnd: p.log.LogEndOffset(), termStart: p.termStart, termBegan: p.termBegan,
		now: now, lag: p.cfg.ReplicaLagTime,
	}
	p.hwMu.Lock()
	in.hw = p.hw
	for id, f := range p.followers {
		if f.leo >= in.leaderEnd {
			f.caughtUp = now
		}
		in.followers[id] = progress{leo: f.leo, caughtUp: f.caughtUp}
	}
	p.hwMu.Unlock()
	next := nextISR(in)
	if sameMembers(next, p.isr) {
		return ISRChange{}, false
	}
	return ISRChange{
		Topic: p.topic, Partition: p.index, TopicID: p.topicID,
		LeaderEpoch: p.leaderEpoch, PartitionEpoch: p.partitionEpoch,
		ISR: slices.Clone(p.isr), NewISR: next,
	}, true
}

// ApplyState takes a partition state the metadata service returned (an accepted ISR change)
// ahead of the watch stream, with the same rules as a watched one: an older state than the one
// applied, or one of another topic incarnation, is ignored.
func (p *Partition) ApplyState(ps *runnelv1.PartitionState) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || (ps.GetTopicId() != "" && ps.GetTopicId() != p.topicID) {
		return
	}
	p.applyStateLocked(ps)
}

// LagTime returns the topic's replica.lag.time.max.ms.
func (p *Partition) LagTime() time.Duration {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.cfg.ReplicaLagTime
}

// Health is a led partition's replication health, for metrics.
type Health struct {
	Leading         bool
	UnderReplicated bool  // fewer ISR members than replicas
	MaxLag          int64 // the largest follower lag, in offsets (unreported followers lag the whole log)
}

// Health returns the partition's replication health (zero when this node does not lead it).
func (p *Partition) Health() Health {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed || p.log == nil || p.leader != p.node {
		return Health{}
	}
	h := Health{Leading: true, UnderReplicated: len(p.isr) < len(p.replicas)}
	end := p.log.LogEndOffset()
	p.hwMu.Lock()
	defer p.hwMu.Unlock()
	for _, r := range p.replicas {
		if r == p.node {
			continue
		}
		leo := p.log.LogStartOffset()
		if f := p.followers[r]; f != nil && f.leo >= 0 {
			leo = f.leo
		}
		h.MaxLag = max(h.MaxLag, end-leo)
	}
	return h
}
