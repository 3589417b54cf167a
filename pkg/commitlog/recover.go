package commitlog

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/runnel/runnel/pkg/record"
)

// recover brings the directory to a consistent log (see doc.go, Recovery)
// and installs it in l. l is not shared yet.
func (l *Log) recover() error {
	bases, err := l.tidyDir()
	if err != nil {
		return err
	}
	rp, _, err := readOffsetCheckpoint(l.dir, recoveryPointCheckpointFile)
	if err != nil {
		l.log.Warn("recovery point unreadable, validating every segment", "err", err)
		rp = 0
	}
	l.recoveryPoint = rp

	opened := make([]*segment, 0, len(bases))
	for _, base := range bases {
		s, err := openSegment(l.dir, base)
		if err != nil {
			l.setSegments(opened)
			return err
		}
		opened = append(opened, s)
	}
	l.setSegments(opened)
	dirty := false // files were removed or truncated: fsync the directory
	if len(opened) == 0 {
		s, err := createSegment(l.dir, 0, l.opts.IndexIntervalBytes)
		if err != nil {
			return err
		}
		opened = append(opened, s)
		l.setSegments(opened)
		dirty = true
	}

	// Validate the active segment and every segment at or above the
	// recovery point; keep the longest valid prefix.
	var learned []epochEntry // epochs seen in validated batches, in order
	visit := func(h record.BatchHeader) {
		if n := len(learned); n == 0 || h.PartitionLeaderEpoch > learned[n-1].epoch {
			learned = append(learned, epochEntry{h.PartitionLeaderEpoch, h.BaseOffset})
		}
	}
	firstChecked := min(len(opened)-1, find(opened, rp-1)+1)
	segs := opened
	var activeRes scanResult
	for i := firstChecked; i < len(segs); i++ {
		s := segs[i]
		res, err := s.scan(true, l.opts.IndexIntervalBytes, visit)
		if err != nil {
			return err
		}
		last := i == len(segs)-1
		bad := res.bad
		if bad == nil && !last && res.next != segs[i+1].base {
			bad = fmt.Errorf("segment ends at offset %d, next segment starts at %d", res.next, segs[i+1].base)
		}
		if bad != nil {
			dirty = true
			if err := l.cutAt(s, res.validEnd, bad); err != nil {
				return err
			}
			if !last {
				if err := l.dropAfter(segs, i); err != nil {
					return err
				}
				segs = segs[:i+1]
				l.setSegments(segs)
				last = true
			}
		}
		if last {
			activeRes = res
			break
		}
		// A validated sealed segment: its fresh indexes replace the files.
		s.idxMu.Lock()
		s.index, s.times, s.loaded = res.index, res.times, true
		if ts, rel, ok := res.ix.final(); ok {
			s.times = appendTimeEntry(s.times, ts, rel)
		}
		s.idxMu.Unlock()
		s.maxTS.Store(s.times.maxTimestamp())
		s.maxKnown.Store(true)
		if err := s.writeIndexes(); err != nil {
			return err
		}
		l.noteLoaded(s)
	}

	active := segs[len(segs)-1]
	l.installActive(active, activeRes)
	l.start.Store(segs[0].base)
	l.end.Store(activeRes.next)

	// Everything kept was validated or trusted; make it durable (a process
	// crash leaves unsynced bytes in the page cache) and move the recovery
	// point to the active segment.
	for _, s := range segs[firstChecked:] {
		if err := fdatasync(s.f); err != nil {
			return err
		}
	}
	if dirty {
		if err := syncDir(l.dir); err != nil {
			return err
		}
	}
	l.durable.Store(activeRes.next)
	if err := l.setRecoveryPoint(active.base); err != nil {
		return err
	}

	if err := l.recoverEpochs(segs[:firstChecked], learned); err != nil {
		return err
	}
	hw, _, err := readOffsetCheckpoint(l.dir, highWatermarkCheckpointFile)
	if err != nil {
		l.log.Warn("high watermark checkpoint unreadable, using 0", "err", err)
		hw = 0
	}
	l.hw = hw
	return nil
}

// tidyDir removes temp files and index files without a segment and returns
// the segment base offsets, ascending.
func (l *Log) tidyDir() ([]int64, error) {
	entries, err := os.ReadDir(l.dir)
	if err != nil {
		return nil, err
	}
	var bases []int64
	var indexes []string
	for _, e := range entries {
		name := e.Name()
		switch {
		case e.IsDir():
		case strings.HasSuffix(name, tmpSuffix):
			if err := os.Remove(filepath.Join(l.dir, name)); err != nil {
				return nil, err
			}
		case strings.HasSuffix(name, logSuffix):
			if base, ok := parseSegmentName(name); ok {
				bases = append(bases, base)
			}
		case strings.HasSuffix(name, indexSuffix), strings.HasSuffix(name, timeIndexSuffix):
			indexes = append(indexes, name)
		}
	}
	slices.Sort(bases)
	for _, name := range indexes {
		stem := strings.TrimSuffix(strings.TrimSuffix(name, timeIndexSuffix), indexSuffix)
		if base, ok := parseSegmentName(stem + logSuffix); ok {
			if _, found := slices.BinarySearch(bases, base); found {
				continue
			}
		}
		if err := os.Remove(filepath.Join(l.dir, name)); err != nil {
			return nil, err
		}
	}
	return bases, nil
}

// cutAt truncates s's file to end (the end of its last valid batch).
func (l *Log) cutAt(s *segment, end int64, why error) error {
	size := s.size.Load()
	l.log.Warn("truncating invalid segment tail", "segment", s.base, "bytes", size-end, "err", why)
	if end == size {
		return nil
	}
	if err := s.f.Truncate(end); err != nil {
		return err
	}
	s.size.Store(end)
	return fdatasync(s.f)
}

// dropAfter removes segments after segs[i], newest first, so that a crash
// midway still leaves a prefix of the log.
func (l *Log) dropAfter(segs []*segment, i int) error {
	for j := len(segs) - 1; j > i; j-- {
		l.log.Warn("deleting segment after invalid data", "segment", segs[j].base)
		if err := segs[j].remove(); err != nil {
			return err
		}
	}
	return nil
}

// installActive makes s the active segment with the state a scan of it
// rebuilt.
func (l *Log) installActive(s *segment, res scanResult) {
	// When its first batch was appended is not recorded; its timestamp
	// stands in unless it is missing or in the future.
	rollBase := int64(-1)
	if res.validEnd > 0 {
		rollBase = l.opts.Now().UnixMilli()
		if res.firstTS >= 0 && res.firstTS < rollBase {
			rollBase = res.firstTS
		}
	}
	s.makeActive(l.opts.IndexIntervalBytes, rollBase)
	s.ix = res.ix
	s.idxMu.Lock()
	s.index, s.times = res.index, res.times
	s.idxMu.Unlock()
	s.maxTS.Store(res.ix.maxTS)
	l.active = s
	// Index files of a formerly sealed segment are stale now.
	for _, suffix := range []string{indexSuffix, timeIndexSuffix} {
		if err := os.Remove(s.path(suffix)); err != nil && !errors.Is(err, os.ErrNotExist) {
			l.log.Warn("removing stale index", "segment", s.base, "err", err)
		}
	}
}

// recoverEpochs loads the leader-epoch checkpoint and reconciles it with
// the recovered log: entries at or past the log end go, epochs learned from
// validated batches are added. Without a readable checkpoint the cache is
// rebuilt from the headers of the trusted segments too.
func (l *Log) recoverEpochs(trusted []*segment, learned []epochEntry) error {
	entries, ok, err := readEpochCheckpoint(l.dir)
	changed := false
	if err != nil || !ok {
		if err != nil {
			l.log.Warn("leader epoch checkpoint unreadable, rebuilding from the log", "err", err)
		}
		var fromTrusted []epochEntry
		for _, s := range trusted {
			if _, err := s.scan(false, l.opts.IndexIntervalBytes, func(h record.BatchHeader) {
				if n := len(fromTrusted); n == 0 || h.PartitionLeaderEpoch > fromTrusted[n-1].epoch {
					fromTrusted = append(fromTrusted, epochEntry{h.PartitionLeaderEpoch, h.BaseOffset})
				}
			}); err != nil {
				return err
			}
		}
		learned = append(fromTrusted, learned...)
		changed = true
	} else {
		l.epochs.entries = entries
	}
	changed = l.epochs.truncateFromEnd(l.end.Load()) || changed
	for _, e := range learned {
		if e.epoch >= 0 {
			changed = l.epochs.assign(e.epoch, e.start) || changed
		}
	}
	changed = l.epochs.truncateFromStart(l.start.Load()) || changed
	if !changed {
		return nil
	}
	return l.persistEpochs()
}
