package commitlog

// DeleteBefore deletes the oldest segments whose every offset is below
// offset, never the active one, and moves LogStartOffset to the first
// remaining segment's base offset (whole segments only). The epoch cache's
// first entry moves up with it.
func (l *Log) DeleteBefore(offset int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.writable(); err != nil {
		return err
	}
	segs := l.segments()
	n := 0
	for n < len(segs)-1 && segs[n+1].base <= offset {
		n++
	}
	return l.deleteOldest(n)
}

// ApplyRetention deletes the oldest sealed segments that retention allows:
// by age, those whose newest batch timestamp (or, without timestamps, file
// modification time) is more than RetentionAge before Now; by size, the
// oldest while the log stays at or above RetentionBytes without them. The
// active segment is never deleted, nor a segment holding an offset at or
// above limit: pass the high watermark, so records not yet on every in-sync
// replica (and not yet readable) are never deleted by retention, as in Kafka.
// It returns how many segments went.
func (l *Log) ApplyRetention(limit int64) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.writable(); err != nil {
		return 0, err
	}
	segs := l.segments()
	byAge := 0
	if age := l.opts.RetentionAge; age > 0 {
		now := l.opts.Now().UnixMilli()
		for ; byAge < len(segs)-1; byAge++ {
			ts, err := l.maxTimestamp(segs, byAge)
			if err != nil {
				return 0, err
			}
			if ts < 0 {
				st, err := segs[byAge].f.Stat()
				if err != nil {
					return 0, err
				}
				ts = st.ModTime().UnixMilli()
			}
			if now-ts <= age.Milliseconds() {
				break
			}
		}
	}
	bySize := 0
	if limit := l.opts.RetentionBytes; limit > 0 {
		var total int64
		for _, s := range segs {
			total += s.size.Load()
		}
		for ; bySize < len(segs)-1; bySize++ {
			size := segs[bySize].size.Load()
			if total-size < limit {
				break
			}
			total -= size
		}
	}
	n := max(byAge, bySize)
	for n > 0 && segs[n].base > limit { // segment n-1 would lose offsets at or above limit
		n--
	}
	if err := l.deleteOldest(n); err != nil {
		return 0, err
	}
	return n, nil
}

// deleteOldest removes the n oldest segments (n < number of segments).
// Callers hold mu.
func (l *Log) deleteOldest(n int) error {
	if n <= 0 {
		return nil
	}
	segs := l.segments()
	l.segMu.Lock()
	var err error
	k := 0
	for ; k < n; k++ {
		if err = segs[k].remove(); err != nil {
			k++ // closed and partly removed: gone from the log either way
			break
		}
	}
	l.setSegments(segs[k:])
	start := segs[k].base
	l.start.Store(start)
	l.segMu.Unlock()
	if err != nil {
		return l.fail(err)
	}
	if err := syncDir(l.dir); err != nil {
		return l.fail(err)
	}
	if l.epochs.truncateFromStart(start) {
		if err := l.persistEpochs(); err != nil {
			return l.fail(err)
		}
	}
	l.log.Info("deleted old segments", "segments", k, "offset", start)
	return nil
}
