package commitlog

import (
	"errors"
	"fmt"
)

// Truncate removes every batch at and after offset: a follower whose log
// diverged from its leader's cuts back to the leader's end offset for its
// epoch. If offset falls inside a batch the whole batch goes, so the log
// ends at that batch's base offset; the caller refetches from
// LogEndOffset. Later segments are deleted whole, the indexes and the epoch
// cache are cut to match. Truncating at or past LogEndOffset does nothing;
// below LogStartOffset it is ErrOffsetOutOfRange (use Reset).
//
// Crash safety: the recovery point is lowered first (so recovery validates
// the cut segment), later segments are deleted newest first, the cut file is
// fsynced, then the epoch checkpoint is rewritten. A crash at any step
// leaves a valid prefix of the old log with a consistent epoch cache.
func (l *Log) Truncate(offset int64) error {
	l.mu.Lock()
	if err := l.writable(); err != nil {
		l.mu.Unlock()
		return err
	}
	if offset >= l.end.Load() {
		l.mu.Unlock()
		return nil
	}
	if start := l.start.Load(); offset < start {
		l.mu.Unlock()
		return fmt.Errorf("%w: truncate to %d below log start %d", ErrOffsetOutOfRange, offset, start)
	}
	err := l.truncateLocked(offset)
	l.mu.Unlock()
	l.signal()
	return err
}

// truncateLocked implements Truncate; offset is in [start, end). Callers
// hold mu.
func (l *Log) truncateLocked(offset int64) error {
	segs := l.segments()
	i := find(segs, offset)
	s := segs[i]
	pos := int64(0)
	if offset > s.base {
		p, h, err := l.locate(segs, i, offset)
		if err != nil {
			return err
		}
		pos, offset = p, h.BaseOffset
	}
	// Answer appenders waiting for an fsync truthfully before their bytes go.
	if err := l.syncForCut(); err != nil {
		return err
	}
	if l.recoveryPoint > s.base {
		if err := l.setRecoveryPoint(s.base); err != nil {
			return fmt.Errorf("commitlog: truncate: %w", err)
		}
	}
	l.gen.Add(1)

	l.segMu.Lock()
	err := l.cut(segs, i, pos)
	l.segMu.Unlock()
	if err != nil {
		return l.fail(err)
	}
	if err := syncDir(l.dir); err != nil {
		return l.fail(err)
	}
	if l.epochs.truncateFromEnd(l.end.Load()) {
		if err := l.persistEpochs(); err != nil {
			return l.fail(err)
		}
	}
	l.syncMu.Lock()
	l.durable.Store(min(l.durable.Load(), l.end.Load()))
	l.syncMu.Unlock()
	l.log.Info("truncated log", "offset", l.end.Load())
	return nil
}

// syncForCut fsyncs the active segment and releases waiting appenders
// before the log end moves backwards (FsyncAlways only: under the other
// policies nobody waits).
func (l *Log) syncForCut() error {
	if l.opts.Fsync.Mode != FsyncAlways {
		return nil
	}
	if err := l.fdatasync(l.active.f); err != nil {
		return l.fail(err)
	}
	l.markSynced(l.writeSeq, l.end.Load(), l.gen.Load())
	return nil
}

// cut deletes segments after segs[i] (newest first), truncates segs[i] at
// pos and makes it the active segment. Callers hold mu and segMu.
func (l *Log) cut(segs []*segment, i int, pos int64) error {
	for j := len(segs) - 1; j > i; j-- {
		err := segs[j].remove()
		l.setSegments(segs[:j])
		if err != nil {
			return err
		}
	}
	s := segs[i]
	if err := s.f.Truncate(pos); err != nil {
		return err
	}
	s.size.Store(pos)
	if err := fdatasync(s.f); err != nil {
		return err
	}
	res, err := s.scan(false, l.opts.IndexIntervalBytes, nil)
	if err != nil {
		return err
	}
	if res.bad != nil { // damage below the cut point: keep the valid prefix
		if err := l.cutAt(s, res.validEnd, res.bad); err != nil {
			return err
		}
	}
	l.installActive(s, res)
	l.end.Store(res.next)
	return nil
}

// Reset discards the whole log and starts it empty at offset (Kafka's
// truncateFullyAndStartAt): a follower whose log end is below the leader's
// log start continues from there. The epoch cache is cleared.
func (l *Log) Reset(offset int64) error {
	if offset < 0 {
		return fmt.Errorf("%w: reset to %d", ErrOffsetOutOfRange, offset)
	}
	l.mu.Lock()
	defer l.signal()
	defer l.mu.Unlock()
	if err := l.writable(); err != nil {
		return err
	}
	if err := l.syncForCut(); err != nil {
		return err
	}
	l.gen.Add(1)

	l.segMu.Lock()
	segs := l.segments()
	var errs []error
	for j := len(segs) - 1; j >= 0; j-- {
		errs = append(errs, segs[j].remove())
		l.setSegments(segs[:j])
	}
	s, err := createSegment(l.dir, offset, l.opts.IndexIntervalBytes)
	if err == nil {
		l.active = s
		l.setSegments([]*segment{s})
		l.start.Store(offset)
		l.end.Store(offset)
	}
	l.segMu.Unlock()
	if err := errors.Join(append(errs, err)...); err != nil {
		return l.fail(err)
	}
	if err := syncDir(l.dir); err != nil {
		return l.fail(err)
	}
	l.recoveryPoint = -1 // force the write below
	if err := l.setRecoveryPoint(offset); err != nil {
		return l.fail(err)
	}
	if l.epochs.clear() {
		if err := l.persistEpochs(); err != nil {
			return l.fail(err)
		}
	}
	l.syncMu.Lock()
	l.durable.Store(offset)
	l.syncMu.Unlock()
	l.log.Info("reset log", "offset", offset)
	return nil
}
