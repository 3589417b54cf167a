package replica

import (
	"errors"
	"fmt"

	"github.com/runnel/runnel/pkg/commitlog"
	"github.com/runnel/runnel/pkg/record"
)

// Errors of the follower-side methods.
var (
	// ErrNotFollower: the partition is gone, or this node no longer follows the given leader in
	// the given epoch; the answer that led to the call is stale and is dropped.
	ErrNotFollower = errors.New("replica: not a follower of that leader in that epoch")
	// ErrStaleAnswer: the leader's records do not start at this log's end (an answer to an
	// older position); nothing was written.
	ErrStaleAnswer = errors.New("replica: records do not start at the log end")
	// ErrNoProgress: the leader's answer would not change the log (a truncation at or above its
	// end, a reset below it): the follower backs off before asking again.
	ErrNoProgress = errors.New("replica: the answer does not move the log")
)

// Position is where a follower's log ends, as it reports it to its leader.
type Position struct {
	LeaderEpoch      int32 // the leader epoch this node knows
	FetchOffset      int64 // the log end offset
	LastFetchedEpoch int32 // the epoch of the last batch, -1 when the log has none
}

// Role returns the partition's leader and leader epoch as last applied, and whether the
// partition is still hosted (not closed and its log open).
func (p *Partition) Role() (leader, epoch int32, open bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.leader, p.leaderEpoch, !p.closed && p.log != nil
}

// checkFollowerLocked refuses a follower write unless this node follows leader in epoch. Call
// with mu held.
func (p *Partition) checkFollowerLocked(leader, epoch int32) error {
	if p.closed || p.log == nil || p.leader == p.node || p.leader != leader || p.leaderEpoch != epoch {
		return ErrNotFollower
	}
	return nil
}

// positionLocked is the log's position. Call with mu held and the log open.
func (p *Partition) positionLocked() Position {
	last, ok := p.log.LatestEpoch()
	if !ok {
		last = -1
	}
	return Position{LeaderEpoch: p.leaderEpoch, FetchOffset: p.log.LogEndOffset(), LastFetchedEpoch: last}
}

// FollowerPosition returns the position to report to leader, which this node follows in epoch
// (ErrNotFollower otherwise). A new follower does not truncate to its high watermark: it
// reports its whole log and lets the leader's epoch check decide (KIP-279).
func (p *Partition) FollowerPosition(leader, epoch int32) (Position, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if err := p.checkFollowerLocked(leader, epoch); err != nil {
		return Position{}, err
	}
	return p.positionLocked(), nil
}

// AppendFromLeader writes the batches leader sent in epoch (as the leader stored them; each is
// validated, a batch failing its CRC is refused with the whole answer, wrapping
// commitlog.ErrCorrupt) and takes the leader's high watermark: this replica's becomes
// min(leaderHW, log end), never lower than before. records may be empty (a high watermark
// update). It returns once the batches are durable as the fsync policy says, with the new
// position. Records that do not start at the log end are ErrStaleAnswer.
func (p *Partition) AppendFromLeader(leader, epoch int32, records []byte, leaderHW int64) (Position, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if err := p.checkFollowerLocked(leader, epoch); err != nil {
		return Position{}, err
	}
	p.fmu.Lock()
	defer p.fmu.Unlock()
	if len(records) > 0 {
		h, err := record.ParseHeader(records)
		if err != nil {
			return p.positionLocked(), fmt.Errorf("%w: %v", commitlog.ErrCorrupt, err)
		}
		if end := p.log.LogEndOffset(); h.BaseOffset != end {
			return p.positionLocked(), fmt.Errorf("%w: records start at %d, log ends at %d", ErrStaleAnswer, h.BaseOffset, end)
		}
		if _, err := p.log.AppendReplica(records); err != nil {
			return p.positionLocked(), err
		}
	}
	p.followerWroteLocked(leaderHW, false)
	return p.positionLocked(), nil
}

// TruncateDiverged cuts the log where the leader's diverging answer says (truncationPoint;
// below the log start the log restarts empty there) and returns the new position.
// ErrNoProgress when the cut would leave the log as it is.
func (p *Partition) TruncateDiverged(leader, epoch int32, div EpochEnd) (Position, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if err := p.checkFollowerLocked(leader, epoch); err != nil {
		return Position{}, err
	}
	p.fmu.Lock()
	defer p.fmu.Unlock()
	end := p.log.LogEndOffset()
	to := max(truncationPoint(div, p.log.EndOffsetForEpoch, end, p.highWatermark()), 0)
	if to >= end {
		return p.positionLocked(), fmt.Errorf("%w: truncation to %d, log ends at %d", ErrNoProgress, to, end)
	}
	var err error
	if to < p.log.LogStartOffset() {
		err = p.log.Reset(to)
	} else {
		err = p.log.Truncate(to)
	}
	if err != nil {
		return p.positionLocked(), err
	}
	p.logger.Info("truncated diverged log", "offset", to, "old_end", end, "leader", leader, "epoch", epoch,
		"leader_epoch_end", div.Epoch, "leader_end_offset", div.EndOffset)
	p.followerWroteLocked(0, true)
	return p.positionLocked(), nil
}

// ResetToLeaderStart restarts the log empty at the leader's log start when this log ends below
// it (the leader answered OFFSET_OUT_OF_RANGE; Kafka's truncateFullyAndStartAt), and returns the
// new position. ErrNoProgress when the log already reaches the leader's start.
func (p *Partition) ResetToLeaderStart(leader, epoch int32, leaderStart int64) (Position, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if err := p.checkFollowerLocked(leader, epoch); err != nil {
		return Position{}, err
	}
	p.fmu.Lock()
	defer p.fmu.Unlock()
	end := p.log.LogEndOffset()
	if end >= leaderStart {
		return p.positionLocked(), fmt.Errorf("%w: log ends at %d, leader starts at %d", ErrNoProgress, end, leaderStart)
	}
	if err := p.log.Reset(leaderStart); err != nil {
		return p.positionLocked(), err
	}
	p.logger.Info("log reset to the leader's log start", "offset", leaderStart, "old_end", end, "leader", leader, "epoch", epoch)
	p.followerWroteLocked(0, true)
	return p.positionLocked(), nil
}

// followerWroteLocked brings the follower's offsets in line with its log after a write: the
// local end follows the log, the high watermark takes min(leaderHW, log end) when it is higher
// (leaderHW ignored when cut is set) and never exceeds the log end or falls below its start.
// Call with mu held and the log open.
func (p *Partition) followerWroteLocked(leaderHW int64, cut bool) {
	start, end := p.log.LogStartOffset(), p.log.LogEndOffset()
	p.hwMu.Lock()
	defer p.hwMu.Unlock()
	old := p.hw
	p.localLEO = end
	if !cut {
		p.hw = max(p.hw, min(leaderHW, end))
	}
	p.hw = min(max(p.hw, start), end)
	if p.hw != old {
		p.notifyLocked()
	}
}
