package commitlog

import (
	"errors"
	"fmt"
	"os"
)

// indexes returns the offset and time index of s, whose next offset is end.
// A sealed segment's are loaded from its files on first use, checked, and
// rebuilt from the .log file if they fail the checks. Callers hold segMu
// (read) or mu, so that s stays open.
func (l *Log) indexes(s *segment, end int64) (offsetIndex, timeIndex, error) {
	s.idxMu.RLock()
	if s.loaded {
		idx, times := s.index, s.times
		s.idxMu.RUnlock()
		return idx, times, nil
	}
	s.idxMu.RUnlock()

	s.idxMu.Lock()
	if s.loaded {
		idx, times := s.index, s.times
		s.idxMu.Unlock()
		return idx, times, nil
	}
	idx, times, err := l.loadIndexes(s, end)
	if err != nil {
		s.idxMu.Unlock()
		return nil, nil, err
	}
	s.index, s.times, s.loaded = idx, times, true
	s.maxTS.Store(times.maxTimestamp())
	s.maxKnown.Store(true)
	s.idxMu.Unlock()
	l.noteLoaded(s)
	return idx, times, nil
}

// loadIndexes reads and checks a sealed segment's index files, rebuilding
// both from the .log file when either fails. Callers hold s.idxMu.
func (l *Log) loadIndexes(s *segment, end int64) (offsetIndex, timeIndex, error) {
	size := s.size.Load()
	idx, err1 := os.ReadFile(s.path(indexSuffix))
	times, err2 := os.ReadFile(s.path(timeIndexSuffix))
	why := errors.Join(err1, err2)
	if why == nil {
		why = offsetIndex(idx).check(size, end-s.base)
	}
	if why == nil {
		why = timeIndex(times).check(end - s.base)
	}
	if why == nil {
		why = l.checkTail(s, idx, size)
	}
	if why == nil {
		return idx, times, nil
	}

	res, err := s.scan(false, l.opts.IndexIntervalBytes, nil)
	if err != nil {
		return nil, nil, err
	}
	if res.bad != nil || res.next != end {
		l.log.Error("sealed segment is damaged; reads past the damage fail", "segment", s.base,
			"offset", res.next, "err", res.bad)
	}
	if ts, rel, ok := res.ix.final(); ok {
		res.times = appendTimeEntry(res.times, ts, rel)
	}
	l.log.Warn("rebuilt segment index", "segment", s.base, "err", why)
	if err := os.WriteFile(s.path(timeIndexSuffix), res.times, 0o644); err != nil {
		l.log.Warn("writing rebuilt index", "segment", s.base, "err", err)
	} else if err := os.WriteFile(s.path(indexSuffix), res.index, 0o644); err != nil {
		l.log.Warn("writing rebuilt index", "segment", s.base, "err", err)
	}
	return res.index, res.times, nil
}

// checkTail verifies that the last offset index entry points at the batch it
// names and that no batch after it starts IndexIntervalBytes or more beyond
// it (which would mean a short index), and that the batches end exactly at
// the end of the file.
func (l *Log) checkTail(s *segment, idx offsetIndex, size int64) error {
	anchor, want := int64(0), s.base
	if n := idx.count(); n > 0 {
		rel, pos := idx.entry(n - 1)
		anchor, want = pos, s.base+int64(rel)
	}
	pos := anchor
	for pos < size {
		if pos-anchor >= int64(l.opts.IndexIntervalBytes) {
			return fmt.Errorf("%w: no entry for batch at %d", errBadIndex, pos)
		}
		h, err := s.readHeader(pos)
		if err != nil {
			return err
		}
		if pos == anchor && h.BaseOffset != want {
			return fmt.Errorf("%w: entry names offset %d, batch has %d", errBadIndex, want, h.BaseOffset)
		}
		pos += int64(h.Size())
	}
	if pos != size {
		return fmt.Errorf("%w: batches end at %d, file at %d", errBadIndex, pos, size)
	}
	return nil
}

// noteLoaded remembers that s has its indexes in memory and drops the
// oldest loaded ones beyond maxLoadedIndexes.
func (l *Log) noteLoaded(s *segment) {
	l.loadedMu.Lock()
	l.loaded = append(l.loaded, s)
	var evict []*segment
	for len(l.loaded) > maxLoadedIndexes {
		evict = append(evict, l.loaded[0])
		l.loaded = l.loaded[1:]
	}
	l.loadedMu.Unlock()
	for _, e := range evict {
		e.unload()
	}
}

// maxTimestamp returns the largest batch timestamp of segment i (-1 if its
// batches carry none). Callers hold segMu (read) or mu.
func (l *Log) maxTimestamp(segs []*segment, i int) (int64, error) {
	s := segs[i]
	if s.maxKnown.Load() {
		return s.maxTS.Load(), nil
	}
	if _, _, err := l.indexes(s, l.segmentEnd(segs, i)); err != nil {
		return 0, err
	}
	return s.maxTS.Load(), nil
}
