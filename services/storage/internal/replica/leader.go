package replica

import (
	"slices"
	"time"

	"github.com/runnel/runnel/pkg/rpcerr"
)

// follower is what a leader knows of one follower in the current leadership term.
type follower struct {
	// leo is the log end offset the follower last reported (what it holds durably), -1 until
	// it reports in this term.
	leo int64
	// caughtUp is the last time the follower's log end reached the leader's (Kafka's
	// lastCaughtUpTime); lastFetch and lastFetchEnd are the time of its previous position and
	// the leader's log end then.
	caughtUp     time.Time
	lastFetch    time.Time
	lastFetchEnd int64
}

// followerLocked returns the state of follower id, creating it (not reported, caught up as of
// the term's start) if needed. Call with hwMu held.
func (p *Partition) followerLocked(id int32) *follower {
	f := p.followers[id]
	if f == nil {
		f = &follower{leo: -1, caughtUp: p.termBegan, lastFetchEnd: -1}
		p.followers[id] = f
	}
	return f
}

// FollowerFetch is a follower's position as its Replicate stream reports it.
type FollowerFetch struct {
	Follower         int32 // the follower's node id
	LeaderEpoch      int32 // the leader epoch the follower knows
	FetchOffset      int64 // its log end offset
	LastFetchedEpoch int32 // the epoch of its last batch, -1 when its log has none
}

// FollowerVerdict is the leader's answer to a position that passed the leadership checks.
type FollowerVerdict struct {
	// LeaderEpoch is the leader's epoch.
	LeaderEpoch int32
	// Diverging, when set, is where the follower's log diverges: it truncates, then reports
	// again. No records are served then.
	Diverging *EpochEnd
	// Offsets are the leader's log bounds after the position was taken into account.
	Offsets
	// Expand reports that the follower is out of the ISR but caught up enough to rejoin it.
	Expand bool
}

// ObserveFollower takes a follower's position on a partition this node leads. The checks come
// first, as *rpcerr.Error values: the partition gone or the epochs differing or this node not
// leading (see checkLeaderLocked), the sender not a follower of the partition
// (NOT_LEADER_OR_FOLLOWER), the fetch offset below the log start (OFFSET_OUT_OF_RANGE; the
// verdict still carries the offsets). Then a diverged log is answered with Diverging (see
// checkPosition). Otherwise the position counts: the follower's log end is recorded (for the
// high watermark and its ISR membership), the high watermark recomputed, and the caller serves
// records from the fetch offset with ReadForFollower.
//
// The epoch check and the recording happen under one hold of the partition's lock, so a
// position sent under an older epoch never counts in a newer term.
func (p *Partition) ObserveFollower(f FollowerFetch) (FollowerVerdict, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if err := p.checkLeaderLocked(f.LeaderEpoch); err != nil {
		return FollowerVerdict{LeaderEpoch: p.leaderEpoch}, err
	}
	v := FollowerVerdict{LeaderEpoch: p.leaderEpoch, Offsets: p.offsetsLocked()}
	if f.Follower == p.node || !slices.Contains(p.replicas, f.Follower) {
		return v, rpcerr.New(rpcerr.NotLeaderOrFollower,
			"node %d is not a follower of partition %d of topic %q (replicas %v)", f.Follower, p.index, p.topic, p.replicas)
	}
	latest, ok := p.log.LatestEpoch()
	ll := leaderLog{
		start: v.LogStart, end: v.LogEnd, epoch: p.leaderEpoch, latest: latest, hasLatest: ok,
		endFor: p.log.EndOffsetForEpoch,
	}
	switch verdict, div := checkPosition(ll, f.FetchOffset, f.LastFetchedEpoch); verdict {
	case positionDiverged:
		v.Diverging = &div
		return v, nil
	case positionOutOfRange:
		return v, rpcerr.New(rpcerr.OffsetOutOfRange,
			"offset %d of partition %d of topic %q is below the leader's log start %d; start from there",
			f.FetchOffset, p.index, p.topic, v.LogStart)
	}
	now := p.now()
	p.hwMu.Lock()
	st := p.followerLocked(f.Follower)
	switch {
	case f.FetchOffset >= v.LogEnd:
		st.caughtUp = now
	case !st.lastFetch.IsZero() && f.FetchOffset >= st.lastFetchEnd && st.lastFetch.After(st.caughtUp):
		st.caughtUp = st.lastFetch
	}
	st.lastFetch, st.lastFetchEnd = now, v.LogEnd
	st.leo = f.FetchOffset
	p.updateHWLocked()
	v.HighWatermark = p.hw
	v.Expand = !slices.Contains(p.isr, f.Follower) && st.leo >= p.hw && st.leo >= p.termStart
	p.hwMu.Unlock()
	return v, nil
}

// ReplicaRead is what ReadForFollower returns.
type ReplicaRead struct {
	// LeaderEpoch is the leader's epoch (the partition's, as last applied, on an error).
	LeaderEpoch int32
	// Records are whole batches from the requested offset (appended to the caller's buffer),
	// empty when the follower has everything.
	Records []byte
	Offsets
	// LogChanged and Changed were taken before the read: LogChanged closes when the log end
	// next moves, Changed when the high watermark or the partition state next changes. A
	// caller with nothing to send waits on both.
	LogChanged <-chan struct{}
	Changed    <-chan struct{}
}

// ReadForFollower appends to dst whole batches of the leader's log from offset (up to maxBytes,
// at least one whole batch, only batches written completely: the limit is the log end, not the
// high watermark) for a follower whose position was accepted in epoch. Errors are
// *rpcerr.Error values: the leadership checks as ObserveFollower, OFFSET_OUT_OF_RANGE when
// retention moved the log start past offset.
func (p *Partition) ReadForFollower(epoch int32, offset int64, maxBytes int, dst []byte) (ReplicaRead, error) {
	return p.readForFollower(epoch, offset, maxBytes, dst, true)
}

// WatchForFollower is ReadForFollower without the read: the leader's offsets and the channels
// to wait on, for a follower that awaits no records.
func (p *Partition) WatchForFollower(epoch int32) (ReplicaRead, error) {
	return p.readForFollower(epoch, 0, 0, nil, false)
}

func (p *Partition) readForFollower(epoch int32, offset int64, maxBytes int, dst []byte, read bool) (ReplicaRead, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if err := p.checkLeaderLocked(epoch); err != nil {
		return ReplicaRead{Records: dst, LeaderEpoch: p.leaderEpoch}, err
	}
	r := ReplicaRead{Records: dst, LeaderEpoch: p.leaderEpoch, LogChanged: p.log.Changed()}
	p.hwMu.Lock()
	r.Changed = p.changed
	p.hwMu.Unlock()
	r.Offsets = p.offsetsLocked()
	if !read {
		return r, nil
	}
	if offset < r.LogStart || offset > r.LogEnd {
		return r, rpcerr.New(rpcerr.OffsetOutOfRange,
			"offset %d of partition %d of topic %q is outside the leader's log [%d, %d]", offset, p.index, p.topic, r.LogStart, r.LogEnd)
	}
	if offset == r.LogEnd {
		return r, nil
	}
	out, err := p.log.ReadAppend(dst, offset, maxBytes, r.LogEnd)
	if err != nil {
		return r, p.logError(err, "read for a follower from")
	}
	r.Records = out
	return r, nil
}
