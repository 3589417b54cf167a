package commitlog

// OffsetForTimestampBelow is OffsetForTimestamp bounded by limit (the high
// watermark for consumers): it returns the offset of the first record, in
// offset order, whose timestamp is at or above ts and whose offset is below
// limit, and limit when there is none (Kafka ListOffsets by time, which never
// answers past the high watermark). It is record-precise: the first batch
// whose MaxTimestamp >= ts is found with the time index and a header scan,
// then the record within it by decoding the batch (a batch that cannot be
// decoded, or one with LogAppendTime, answers its base offset).
//
// limit is clamped to [LogStartOffset, LogEndOffset]. A negative ts answers
// LogStartOffset. Segments at or above limit are not read.
func (l *Log) OffsetForTimestampBelow(ts, limit int64) (int64, error) {
	if l.closed.Load() {
		return 0, ErrClosed
	}
	l.segMu.RLock()
	defer l.segMu.RUnlock()
	if l.closed.Load() {
		return 0, ErrClosed
	}
	start := l.start.Load()
	limit = max(min(limit, l.end.Load()), start)
	if ts < 0 {
		return start, nil
	}
	segs := l.segments()
	for i := range segs {
		if segs[i].base >= limit {
			break
		}
		maxTS, err := l.maxTimestamp(segs, i)
		if err != nil {
			return 0, err
		}
		if maxTS < ts {
			continue
		}
		off, found, err := l.searchTime(segs, i, ts)
		if err != nil {
			return 0, err
		}
		if found {
			// Records are searched in offset order, so the first match at or
			// above limit means none below it qualifies.
			return min(off, limit), nil
		}
	}
	return limit, nil
}
