package replica

// OffsetForTimestamp returns, on a partition this node leads, the offset of the first record whose
// timestamp is at or after ts (unix ms) below the high watermark, or the high watermark when there
// is none (Kafka ListOffsets by time; commitlog.Log.OffsetForTimestampBelow). A negative ts answers
// the log start offset. The log bounds come with it, read under the same lock.
func (p *Partition) OffsetForTimestamp(ts int64) (int64, Offsets, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if err := p.checkLeaderLocked(-1); err != nil {
		return 0, Offsets{}, err
	}
	off := p.offsetsLocked()
	at, err := p.log.OffsetForTimestampBelow(ts, off.HighWatermark)
	if err != nil {
		return 0, Offsets{}, p.logError(err, "search the time index of")
	}
	return at, off, nil
}
