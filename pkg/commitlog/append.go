package commitlog

import (
	"errors"
	"fmt"
	"slices"

	"github.com/runnel/runnel/pkg/record"
)

// AppendResult describes a successful append.
type AppendResult struct {
	BaseOffset   int64 // offset of the first record appended
	LastOffset   int64 // offset of the last record appended
	LogEndOffset int64 // the log end offset right after this append
}

// Append is the leader's append of one batch. It validates the batch
// (record.Validate), assigns it base offset LogEndOffset and stamps
// leaderEpoch, both in place in batch (outside the CRC), writes it with one
// write call, and returns when it is durable per the fsync policy.
//
// Errors: ErrCorrupt or ErrTooLarge for an invalid batch, ErrStaleEpoch for
// an epoch below the latest in the log (or negative), ErrClosed, ErrFailed.
func (l *Log) Append(batch []byte, leaderEpoch int32) (AppendResult, error) {
	h, err := checkBatch(batch)
	if err != nil {
		return AppendResult{}, err
	}
	if leaderEpoch < 0 {
		return AppendResult{}, fmt.Errorf("%w: epoch %d", ErrStaleEpoch, leaderEpoch)
	}
	l.mu.Lock()
	if err := l.writable(); err != nil {
		l.mu.Unlock()
		return AppendResult{}, err
	}
	if latest, ok := l.epochs.latest(); ok && leaderEpoch < latest {
		l.mu.Unlock()
		return AppendResult{}, fmt.Errorf("%w: epoch %d, log is at epoch %d", ErrStaleEpoch, leaderEpoch, latest)
	}
	base := l.end.Load()
	record.SetBaseOffset(batch, base)
	record.SetPartitionLeaderEpoch(batch, leaderEpoch)
	res := AppendResult{BaseOffset: base, LastOffset: base + int64(h.LastOffsetDelta), LogEndOffset: base + int64(h.LastOffsetDelta) + 1}

	if s := l.active; s.size.Load() > 0 && l.needsRoll(s, s.size.Load(), h.Size(), res.LastOffset) {
		if err := l.roll(); err != nil {
			l.mu.Unlock()
			return AppendResult{}, err
		}
	}
	if l.epochs.assign(leaderEpoch, base) {
		if err := l.persistEpochs(); err != nil {
			l.epochs.truncateFromEnd(base)
			l.mu.Unlock()
			return AppendResult{}, fmt.Errorf("commitlog: %w", err)
		}
	}
	seq, err := l.write(batch)
	if err != nil {
		l.revertEpochs(base)
		l.mu.Unlock()
		return AppendResult{}, err
	}
	l.mu.Unlock()
	l.signal()
	if l.opts.Fsync.Mode == FsyncAlways {
		if err := l.waitDurable(seq); err != nil {
			return AppendResult{}, err
		}
	}
	return res, nil
}

// AppendReplica is the follower's append of one or more whole batches,
// concatenated, as the leader wrote them (offsets and epochs set). Each is
// validated; the first must start at LogEndOffset and each next one where
// the previous ended (ErrOffsetMismatch otherwise), and epochs must not go
// down (ErrStaleEpoch). All batches are written or none. It returns when
// they are durable per the fsync policy.
func (l *Log) AppendReplica(batches []byte) (AppendResult, error) {
	if len(batches) == 0 {
		return AppendResult{}, fmt.Errorf("%w: no batches", ErrCorrupt)
	}
	var first, last record.BatchHeader
	for rest, n := batches, 0; len(rest) > 0; n++ {
		b, r, err := record.Next(rest)
		if err != nil {
			return AppendResult{}, batchError(err)
		}
		h, err := checkBatch(b)
		if err != nil {
			return AppendResult{}, err
		}
		switch {
		case h.PartitionLeaderEpoch < 0:
			return AppendResult{}, fmt.Errorf("%w: batch at offset %d has epoch %d", ErrStaleEpoch, h.BaseOffset, h.PartitionLeaderEpoch)
		case n == 0:
			first = h
		case h.BaseOffset != last.NextOffset():
			return AppendResult{}, fmt.Errorf("%w: batch at offset %d follows one ending at %d", ErrOffsetMismatch, h.BaseOffset, last.NextOffset())
		case h.PartitionLeaderEpoch < last.PartitionLeaderEpoch:
			return AppendResult{}, fmt.Errorf("%w: epoch %d after %d at offset %d", ErrStaleEpoch, h.PartitionLeaderEpoch, last.PartitionLeaderEpoch, h.BaseOffset)
		}
		last, rest = h, r
	}
	res := AppendResult{BaseOffset: first.BaseOffset, LastOffset: last.LastOffset(), LogEndOffset: last.NextOffset()}

	l.mu.Lock()
	if err := l.writable(); err != nil {
		l.mu.Unlock()
		return AppendResult{}, err
	}
	origEnd := l.end.Load()
	if first.BaseOffset != origEnd {
		l.mu.Unlock()
		return AppendResult{}, fmt.Errorf("%w: batches start at offset %d, log ends at %d", ErrOffsetMismatch, first.BaseOffset, origEnd)
	}
	if latest, ok := l.epochs.latest(); ok && first.PartitionLeaderEpoch < latest {
		l.mu.Unlock()
		return AppendResult{}, fmt.Errorf("%w: epoch %d, log is at epoch %d", ErrStaleEpoch, first.PartitionLeaderEpoch, latest)
	}
	seq, err := l.appendReplicaLocked(batches, origEnd)
	l.mu.Unlock()
	if err != nil {
		return AppendResult{}, err
	}
	l.signal()
	if l.opts.Fsync.Mode == FsyncAlways {
		if err := l.waitDurable(seq); err != nil {
			return AppendResult{}, err
		}
	}
	return res, nil
}

// appendReplicaLocked records the epochs of batches and writes them, one
// write per run of batches that share a segment. On failure it puts the log
// back to origEnd. Callers hold mu.
func (l *Log) appendReplicaLocked(batches []byte, origEnd int64) (uint64, error) {
	changed := false
	for rest := batches; len(rest) > 0; {
		b, r, _ := record.Next(rest) // validated by the caller
		h, _ := record.ParseHeader(b)
		changed = l.epochs.assign(h.PartitionLeaderEpoch, h.BaseOffset) || changed
		rest = r
	}
	if changed {
		if err := l.persistEpochs(); err != nil {
			l.epochs.truncateFromEnd(origEnd)
			return 0, fmt.Errorf("commitlog: %w", err)
		}
	}
	var seq uint64
	err := func() error {
		runStart, cur := 0, l.active.size.Load()
		for p := 0; p < len(batches); {
			h, _ := record.ParseHeader(batches[p:])
			if cur > 0 && l.needsRoll(l.active, cur, h.Size(), h.LastOffset()) {
				if p > runStart {
					var err error
					if seq, err = l.write(batches[runStart:p]); err != nil {
						return err
					}
				}
				if err := l.roll(); err != nil {
					return err
				}
				runStart, cur = p, 0
			}
			cur += int64(h.Size())
			p += h.Size()
		}
		var err error
		seq, err = l.write(batches[runStart:])
		return err
	}()
	if err != nil {
		if l.end.Load() != origEnd && l.failed == nil {
			if terr := l.truncateLocked(origEnd); terr != nil {
				return 0, l.fail(errors.Join(err, terr))
			}
		}
		l.revertEpochs(origEnd)
		return 0, err
	}
	return seq, nil
}

// revertEpochs drops epoch entries added for writes that did not happen.
func (l *Log) revertEpochs(end int64) {
	if l.epochs.truncateFromEnd(end) {
		if err := l.persistEpochs(); err != nil {
			l.log.Warn("reverting leader epoch checkpoint", "offset", end, "err", err)
		}
	}
}

// needsRoll reports whether a batch of size bytes ending at lastOffset must
// go to a new segment, s holding cur bytes (cur > 0).
func (l *Log) needsRoll(s *segment, cur int64, size int, lastOffset int64) bool {
	if cur+int64(size) > l.opts.SegmentBytes {
		return true
	}
	if _, ok := relOffset(s.base, lastOffset); !ok {
		return true
	}
	return l.opts.SegmentAge > 0 && s.rollBase >= 0 &&
		l.opts.Now().UnixMilli()-s.rollBase >= l.opts.SegmentAge.Milliseconds()
}

// write writes whole, validated, contiguous batches at the end of the
// active segment with one write call, indexes them, then publishes the new
// size and log end offset. It returns the write's sequence number. Callers
// hold mu.
func (l *Log) write(b []byte) (uint64, error) {
	s := l.active
	pos := s.size.Load()
	if _, err := s.f.WriteAt(b, pos); err != nil {
		if terr := s.f.Truncate(pos); terr != nil {
			return 0, l.fail(errors.Join(err, terr))
		}
		return 0, fmt.Errorf("commitlog: write %s: %w", s.name(), err)
	}
	var next int64
	for p := 0; p < len(b); {
		h, _ := record.ParseHeader(b[p:])
		s.addEntries(pos+int64(p), h)
		if s.rollBase < 0 && l.opts.SegmentAge > 0 {
			s.rollBase = l.opts.Now().UnixMilli()
		}
		next = h.NextOffset()
		p += h.Size()
	}
	s.size.Store(pos + int64(len(b)))
	l.writeSeq++
	l.end.Store(next)
	return l.writeSeq, nil
}

// roll seals the active segment and starts a new one at the log end offset.
// Under FsyncAlways the sealed segment and its indexes are fsynced first, so
// everything below the new segment is durable and the recovery point moves
// to it. Callers hold mu.
func (l *Log) roll() error {
	old, next := l.active, l.end.Load()
	always := l.opts.Fsync.Mode == FsyncAlways
	if always {
		if err := l.fdatasync(old.f); err != nil {
			return l.fail(err)
		}
	}
	if err := old.seal(); err != nil {
		l.log.Warn("writing index of sealed segment", "segment", old.base, "err", err)
	} else if always {
		if err := old.syncIndexes(); err != nil {
			l.log.Warn("syncing index of sealed segment", "segment", old.base, "err", err)
		}
	}
	s, err := createSegment(l.dir, next, l.opts.IndexIntervalBytes)
	if err != nil {
		old.active.Store(true)
		return fmt.Errorf("commitlog: roll: %w", err)
	}
	if l.opts.Fsync.Mode != FsyncNever {
		if err := syncDir(l.dir); err != nil {
			s.f.Close()
			old.active.Store(true)
			return l.fail(err)
		}
	}
	l.setSegments(append(slices.Clip(l.segments()), s))
	l.active = s
	l.noteLoaded(old)
	if always {
		l.markSynced(l.writeSeq, next, l.gen.Load())
		if err := l.setRecoveryPoint(next); err != nil {
			l.log.Warn("writing recovery point", "offset", next, "err", err)
		}
	}
	return nil
}
