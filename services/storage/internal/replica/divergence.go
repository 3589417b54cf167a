package replica

// EpochEnd is the end offset of a leader epoch in a log (Kafka's OffsetsForLeaderEpoch answer):
// the offset after the last record written in Epoch, or -1 with Epoch -1 when unknown.
type EpochEnd struct {
	Epoch     int32
	EndOffset int64
}

// positionCheck is the leader's verdict on a follower's position.
type positionCheck int

const (
	positionOK         positionCheck = iota // serve records from the fetch offset
	positionDiverged                        // answer the EpochEnd: the follower truncates
	positionOutOfRange                      // below the log start: the follower resets to it
)

// leaderLog is what the leader's divergence check reads of its own log.
type leaderLog struct {
	start, end int64 // log start and log end offsets
	epoch      int32 // the leader's current epoch
	latest     int32 // the latest epoch in the log, when hasLatest
	hasLatest  bool
	// endFor is commitlog.Log.EndOffsetForEpoch, asked only for epochs <= latest.
	endFor func(epoch int32) (int32, int64)
}

// epochEnd answers OffsetsForLeaderEpoch as a Kafka leader does, whose epoch cache always holds
// its current epoch starting at its log end when the term began. The log itself learns an epoch
// only from a batch written in it, so for epochs above the log's latest the answer is built
// here: a leader that has written nothing in its own epoch has its log end as that epoch's
// start. An epoch above the leader's own is unknown: (-1, -1).
func (l leaderLog) epochEnd(epoch int32) (int32, int64) {
	if l.hasLatest && epoch <= l.latest {
		return l.endFor(epoch)
	}
	switch {
	case epoch > l.epoch:
		return -1, -1
	case epoch == l.epoch || !l.hasLatest:
		return epoch, l.end
	default:
		return l.latest, l.end
	}
}

// checkPosition decides how the leader answers a follower that needs fetchOffset and whose last
// batch has epoch lastEpoch (-1: its log has none), in this order (KIP-279/KIP-320):
//
//  1. lastEpoch >= 0: with (e, end) the leader's end of lastEpoch, the logs diverged when
//     e != lastEpoch (the leader has no such epoch) or end < fetchOffset (the follower holds
//     records of that epoch the leader does not): answer (e, end).
//  2. fetchOffset below the leader's log start: out of range (the follower resets to the start).
//  3. fetchOffset above the leader's log end (a follower with no epoch to compare): diverged at
//     (-1, log end).
//  4. otherwise the follower's log is a prefix of the leader's: serve from fetchOffset.
func checkPosition(l leaderLog, fetchOffset int64, lastEpoch int32) (positionCheck, EpochEnd) {
	if lastEpoch >= 0 {
		e, end := l.epochEnd(lastEpoch)
		if e != lastEpoch || end < fetchOffset {
			return positionDiverged, EpochEnd{Epoch: e, EndOffset: end}
		}
	}
	switch {
	case fetchOffset < l.start:
		return positionOutOfRange, EpochEnd{}
	case fetchOffset > l.end:
		return positionDiverged, EpochEnd{Epoch: -1, EndOffset: l.end}
	}
	return positionOK, EpochEnd{}
}

// truncationPoint is where a follower cuts its log when its leader answers div (Kafka's
// follower-side OffsetsForLeaderEpoch handling): with (fe, fend) the follower's own end of
// div.Epoch,
//
//   - leader end unknown (div.EndOffset < 0): cut to the follower's high watermark;
//   - no epoch in the answer, or the follower knows no epoch at or below it: cut to the leader's
//     end offset;
//   - the follower's largest epoch at or below div.Epoch is another one (fe != div.Epoch): cut to
//     fend, the end of that epoch here, and ask again with the new last epoch;
//   - the same epoch: cut to the smaller of both ends.
//
// The result is never above the follower's log end leo.
func truncationPoint(div EpochEnd, ownEndFor func(int32) (int32, int64), leo, hw int64) int64 {
	if div.EndOffset < 0 {
		return min(hw, leo)
	}
	if div.Epoch < 0 {
		return min(div.EndOffset, leo)
	}
	fe, fend := ownEndFor(div.Epoch)
	switch {
	case fe < 0 || fend < 0:
		return min(div.EndOffset, leo)
	case fe != div.Epoch:
		return min(fend, leo)
	}
	return min(div.EndOffset, fend, leo)
}
