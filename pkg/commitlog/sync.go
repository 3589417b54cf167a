package commitlog

import (
	"errors"
	"os"
	"time"
)

// advanceLocked records that writes up to seq, and the log up to end, are
// on stable storage. end is ignored when the log end moved backwards since
// it was read (gen changed). Callers hold syncMu.
func (l *Log) advanceLocked(seq uint64, end int64, gen uint64) {
	if seq > l.syncedSeq {
		l.syncedSeq = seq
	}
	if gen == l.gen.Load() && end > l.durable.Load() {
		l.durable.Store(end)
	}
	l.syncCond.Broadcast()
}

func (l *Log) markSynced(seq uint64, end int64, gen uint64) {
	l.syncMu.Lock()
	l.advanceLocked(seq, end, gen)
	l.syncMu.Unlock()
}

// releaseWaiters wakes appenders waiting for durability (Close).
func (l *Log) releaseWaiters() {
	l.syncMu.Lock()
	l.syncCond.Broadcast()
	l.syncMu.Unlock()
}

// waitDurable returns once write seq is on stable storage (FsyncAlways).
// Group commit: if an fsync is running, wait for it; then the first waiter
// to find none running starts one that covers every write made so far, and
// the others wait for that one.
func (l *Log) waitDurable(seq uint64) error {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	for l.syncedSeq < seq {
		if l.syncErr != nil {
			return l.syncErr
		}
		if l.syncing {
			l.syncCond.Wait()
			continue
		}
		l.syncing = true
		l.syncMu.Unlock()
		synced, end, gen, err := l.syncActive()
		l.syncMu.Lock()
		l.syncing = false
		switch {
		case errors.Is(err, ErrClosed):
			l.syncCond.Broadcast()
			if l.syncedSeq >= seq {
				return nil
			}
			return err
		case err != nil:
			l.syncErr = err
			l.syncCond.Broadcast()
		default:
			l.advanceLocked(synced, end, gen)
		}
	}
	return nil
}

// syncActive fsyncs the active segment and returns the write sequence and
// log end it covers. Under FsyncAlways older segments were fsynced when
// they were sealed, so the active segment is all there is to sync.
func (l *Log) syncActive() (seq uint64, end int64, gen uint64, err error) {
	l.mu.Lock()
	if err := l.writable(); err != nil {
		l.mu.Unlock()
		return 0, 0, 0, err
	}
	seg := l.active
	seq, end, gen = l.writeSeq, l.end.Load(), l.gen.Load()
	l.mu.Unlock()

	l.segMu.RLock()
	if seg.closed { // truncated away meanwhile; the truncation synced first
		l.segMu.RUnlock()
		return 0, 0, 0, nil
	}
	err = l.fdatasync(seg.f)
	l.segMu.RUnlock()
	if err != nil {
		l.mu.Lock()
		err = l.fail(err)
		l.mu.Unlock()
		return 0, 0, 0, err
	}
	return seq, end, gen, nil
}

// syncAll fsyncs every segment that may hold unsynced bytes (those at or
// above the recovery point, and the active one) with the index files of the
// sealed ones, then advances the recovery point to the active segment.
func (l *Log) syncAll() error {
	l.mu.Lock()
	if err := l.writable(); err != nil {
		l.mu.Unlock()
		return err
	}
	segs, rp, activeBase := l.segments(), l.recoveryPoint, l.active.base
	seq, end, gen := l.writeSeq, l.end.Load(), l.gen.Load()
	l.mu.Unlock()

	var err error
	l.segMu.RLock()
	for _, s := range segs {
		if s.closed || s.base < rp && s.base != activeBase {
			continue
		}
		if err = l.fdatasync(s.f); err != nil {
			break
		}
		if s.base != activeBase {
			if err = s.syncIndexes(); err != nil {
				break
			}
		}
	}
	l.segMu.RUnlock()

	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		return l.fail(err)
	}
	l.markSynced(seq, end, gen)
	if l.closed.Load() || gen != l.gen.Load() || activeBase <= l.recoveryPoint {
		return nil
	}
	return l.setRecoveryPoint(activeBase)
}

// runSyncer is the FsyncInterval goroutine; Close stops it. Failures put the
// log in the failed state (logged once by fail).
func (l *Log) runSyncer(every time.Duration) {
	defer l.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			_ = l.syncAll()
		}
	}
}

// fdatasync syncs one segment file, counting it and reporting its duration to Options.OnSync.
func (l *Log) fdatasync(f *os.File) error {
	l.fsyncs.Add(1)
	if l.opts.OnSync == nil {
		return fdatasync(f)
	}
	start := time.Now()
	err := fdatasync(f)
	l.opts.OnSync(time.Since(start), err)
	return err
}
