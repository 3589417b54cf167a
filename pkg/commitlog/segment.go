package commitlog

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/runnel/runnel/pkg/fileutil"
	"github.com/runnel/runnel/pkg/record"
)

// File name suffixes (see doc.go).
const (
	logSuffix       = ".log"
	indexSuffix     = ".index"
	timeIndexSuffix = ".timeindex"
	tmpSuffix       = fileutil.TempSuffix
)

// errBadData marks bytes in a segment file that are not a valid batch where
// one should start: a torn write or damage. Recovery truncates there.
var errBadData = errors.New("commitlog: invalid data in segment")

// segment is one .log file and its indexes.
type segment struct {
	base int64
	dir  string
	f    *os.File
	// size is the number of bytes of whole batches in the file; readers
	// never read at or beyond it. Stored after the bytes are written.
	size   atomic.Int64
	active atomic.Bool // the segment appends go to; its indexes stay in memory
	closed bool        // guarded by Log.segMu (write lock to set)

	// Writer state of the active segment, guarded by Log.mu.
	ix       indexer
	rollBase int64 // ms when the first batch was appended; -1 while empty

	idxMu  sync.RWMutex
	index  offsetIndex // nil while a sealed segment's index is not loaded
	times  timeIndex
	loaded bool

	// maxTS is the largest batch MaxTimestamp in the segment (-1: none);
	// meaningful once maxKnown is set.
	maxTS    atomic.Int64
	maxKnown atomic.Bool
}

func segmentName(base int64) string { return fmt.Sprintf("%020d", base) }

// parseSegmentName returns the base offset of a "<20 digits>.log" name.
func parseSegmentName(name string) (int64, bool) {
	stem, ok := strings.CutSuffix(name, logSuffix)
	if !ok || len(stem) != 20 {
		return 0, false
	}
	base, err := strconv.ParseInt(stem, 10, 64)
	return base, err == nil && base >= 0
}

func (s *segment) path(suffix string) string {
	return filepath.Join(s.dir, segmentName(s.base)+suffix)
}

// createSegment creates an empty active segment file at base.
func createSegment(dir string, base int64, interval int) (*segment, error) {
	s := &segment{base: base, dir: dir}
	// Index files of an earlier life of this base offset are stale.
	for _, suffix := range []string{indexSuffix, timeIndexSuffix} {
		if err := os.Remove(s.path(suffix)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	f, err := os.OpenFile(s.path(logSuffix), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	s.f = f
	s.makeActive(interval, -1)
	return s, nil
}

// openSegment opens an existing segment file; it is sealed and unloaded
// until recovery decides otherwise.
func openSegment(dir string, base int64) (*segment, error) {
	s := &segment{base: base, dir: dir}
	f, err := os.OpenFile(s.path(logSuffix), os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	s.f = f
	s.size.Store(st.Size())
	return s, nil
}

// makeActive turns s into the segment appends go to, with empty in-memory
// indexes (callers install rebuilt ones).
func (s *segment) makeActive(interval int, rollBase int64) {
	s.ix = newIndexer(interval)
	s.rollBase = rollBase
	s.idxMu.Lock()
	s.index, s.times, s.loaded = offsetIndex{}, timeIndex{}, true
	s.idxMu.Unlock()
	s.maxTS.Store(-1)
	s.maxKnown.Store(true)
	s.active.Store(true)
}

// readHeader reads the batch header at pos, which must lie below the
// segment's size.
func (s *segment) readHeader(pos int64) (record.BatchHeader, error) {
	var buf [record.HeaderSize]byte
	if _, err := s.f.ReadAt(buf[:], pos); err != nil {
		if errors.Is(err, io.EOF) {
			return record.BatchHeader{}, fmt.Errorf("%w: %s at %d: header past end of file", ErrCorrupt, s.name(), pos)
		}
		return record.BatchHeader{}, err
	}
	h, err := record.ParseHeader(buf[:])
	if err != nil {
		return h, fmt.Errorf("%w: %s at %d: %w", ErrCorrupt, s.name(), pos, err)
	}
	return h, nil
}

func (s *segment) name() string { return segmentName(s.base) + logSuffix }

// locate reads batch headers from position from (a batch start) up to end
// and returns the position and header of the batch that contains offset.
// It returns io.EOF if no batch below end contains it.
func (s *segment) locate(offset, from, end int64) (int64, record.BatchHeader, error) {
	for pos := from; pos < end; {
		h, err := s.readHeader(pos)
		if err != nil {
			return 0, h, err
		}
		if h.LastOffset() >= offset {
			if h.BaseOffset > offset {
				return 0, h, fmt.Errorf("%w: %s at %d: offset %d missing before batch %d", ErrCorrupt, s.name(), pos, offset, h.BaseOffset)
			}
			return pos, h, nil
		}
		pos += int64(h.Size())
	}
	return end, record.BatchHeader{}, io.EOF
}

// addEntries records the batch with header h at pos in the in-memory
// indexes of the active segment. Writer only.
func (s *segment) addEntries(pos int64, h record.BatchHeader) {
	rel := uint32(h.BaseOffset - s.base)
	addIndex, addTime := s.ix.observe(pos, rel, h.MaxTimestamp)
	if addIndex || addTime {
		s.idxMu.Lock()
		if addIndex {
			s.index = appendIndexEntry(s.index, rel, pos)
		}
		if addTime {
			s.times = appendTimeEntry(s.times, h.MaxTimestamp, rel)
		}
		s.idxMu.Unlock()
	}
	if h.MaxTimestamp > s.maxTS.Load() {
		s.maxTS.Store(h.MaxTimestamp)
	}
}

// seal ends the active life of s: the time index gets its final entry and
// both indexes are written to their files (not fsynced; see syncIndexes).
func (s *segment) seal() error {
	s.idxMu.Lock()
	if ts, rel, ok := s.ix.final(); ok {
		s.times = appendTimeEntry(s.times, ts, rel)
	}
	s.idxMu.Unlock()
	s.active.Store(false)
	return s.writeIndexes()
}

// writeIndexes writes the in-memory indexes of s to their files, the time
// index first. They are not fsynced here: a damaged or short index file is
// detected when loaded and rebuilt.
func (s *segment) writeIndexes() error {
	s.idxMu.RLock()
	index, times := s.index, s.times
	s.idxMu.RUnlock()
	if err := os.WriteFile(s.path(timeIndexSuffix), times, 0o644); err != nil {
		return err
	}
	return os.WriteFile(s.path(indexSuffix), index, 0o644)
}

// syncIndexes fsyncs the index files of a sealed segment.
func (s *segment) syncIndexes() error {
	for _, suffix := range []string{timeIndexSuffix, indexSuffix} {
		f, err := os.Open(s.path(suffix))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue // rebuilt when needed
			}
			return err
		}
		err = fsync(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// unload drops a sealed segment's in-memory indexes (they are reloaded from
// their files when next needed). It gives up rather than wait for a load in
// progress.
func (s *segment) unload() {
	if s.active.Load() || !s.idxMu.TryLock() {
		return
	}
	if !s.active.Load() {
		s.index, s.times, s.loaded = nil, nil, false
	}
	s.idxMu.Unlock()
}

// close closes the file; callers hold Log.segMu for writing.
func (s *segment) close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	return s.f.Close()
}

// remove closes s and deletes its files, the .log first so that a crash
// leaves at most index files without a segment (removed at Open).
func (s *segment) remove() error {
	errs := []error{s.close()}
	for _, suffix := range []string{logSuffix, indexSuffix, timeIndexSuffix} {
		if err := os.Remove(s.path(suffix)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
