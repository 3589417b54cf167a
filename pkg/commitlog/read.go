package commitlog

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/runnel/runnel/pkg/record"
)

// Read returns whole batches, concatenated, starting with the batch that
// contains offset: as many as fit in maxBytes, but always the first one
// whole even if it is larger, and only batches whose last offset is below
// limit (the high watermark for consumers, LogEndOffset for replication). It
// returns an empty result when offset == LogEndOffset or no batch qualifies,
// and ErrOffsetOutOfRange when offset is below LogStartOffset or above
// LogEndOffset. Reads run concurrently with appends; the result is a new
// slice owned by the caller.
func (l *Log) Read(offset int64, maxBytes int, limit int64) ([]byte, error) {
	return l.ReadAppend(nil, offset, maxBytes, limit)
}

// ReadAppend is Read appending to dst (which it grows if needed) and
// returning the extended slice; with a reused dst a read allocates nothing.
// On error dst is returned unchanged.
func (l *Log) ReadAppend(dst []byte, offset int64, maxBytes int, limit int64) ([]byte, error) {
	if l.closed.Load() {
		return dst, ErrClosed
	}
	l.segMu.RLock()
	defer l.segMu.RUnlock()
	if l.closed.Load() {
		return dst, ErrClosed
	}
	end := l.end.Load() // before sizes: every byte below end is in a size read later
	if start := l.start.Load(); offset < start || offset > end {
		return dst, fmt.Errorf("%w: offset %d, log holds [%d, %d)", ErrOffsetOutOfRange, offset, start, end)
	}
	limit = min(limit, end)
	if offset >= limit {
		return dst, nil
	}
	segs := l.segments()
	i := find(segs, offset)
	pos, h, err := l.locate(segs, i, offset)
	if err != nil {
		return dst, err
	}
	if h.LastOffset() >= limit {
		return dst, nil
	}
	budget := int64(max(maxBytes, h.Size()))

	// One allocation: the budget, or what the segments hold from pos.
	avail := int64(0)
	for j, p := i, pos; j < len(segs) && avail < budget; j, p = j+1, 0 {
		avail += segs[j].size.Load() - p
	}
	base := len(dst)
	out := slices.Grow(dst, int(min(budget, avail)))
	capEnd := base + int(min(budget, avail))

	for ; i < len(segs); i, pos = i+1, 0 {
		s := segs[i]
		bound := s.size.Load()
		segEnd := l.segmentEnd(segs, i)
		if limit < segEnd {
			if idx, _, err := l.indexes(s, segEnd); err == nil {
				if p, ok := idx.ceil(uint32(limit - s.base)); ok {
					bound = min(bound, p)
				}
			}
		}
		n := min(bound-pos, int64(capEnd-len(out)))
		if n <= 0 {
			break
		}
		chunk := out[len(out) : len(out)+int(n)]
		if _, err := s.f.ReadAt(chunk, pos); err != nil {
			if errors.Is(err, io.EOF) {
				err = fmt.Errorf("%w: %s shorter than expected", ErrCorrupt, s.name())
			}
			return dst, err
		}
		keep, more, err := wholeBatches(chunk, limit, len(out) == base)
		if err != nil {
			return dst, fmt.Errorf("%w: %s at %d: %w", ErrCorrupt, s.name(), pos, err)
		}
		out = out[:len(out)+keep]
		if !more || keep < len(chunk) || limit <= segEnd {
			break
		}
	}
	return out, nil
}

// wholeBatches returns how many leading bytes of b are whole batches whose
// last offset is below limit, and whether the scan stopped only because b
// ended (more). A malformed header is an error when it is the first batch
// of the read (first), else the read stops before it.
func wholeBatches(b []byte, limit int64, first bool) (keep int, more bool, err error) {
	for keep < len(b) {
		rest := b[keep:]
		if len(rest) < record.HeaderSize {
			return keep, true, nil
		}
		h, err := record.ParseHeader(rest)
		if err != nil {
			if first && keep == 0 {
				return 0, false, err
			}
			return keep, false, nil
		}
		if h.LastOffset() >= limit {
			return keep, false, nil
		}
		if h.Size() > len(rest) {
			return keep, true, nil
		}
		keep += h.Size()
	}
	return keep, true, nil
}

// locate returns the position and header of the batch of segment i that
// contains offset. Callers hold segMu (read) or mu.
func (l *Log) locate(segs []*segment, i int, offset int64) (int64, record.BatchHeader, error) {
	s := segs[i]
	idx, _, err := l.indexes(s, l.segmentEnd(segs, i))
	if err != nil {
		return 0, record.BatchHeader{}, err
	}
	pos, h, err := s.locate(offset, idx.floor(uint32(offset-s.base)), s.size.Load())
	if errors.Is(err, io.EOF) {
		return 0, h, fmt.Errorf("%w: %s: no batch holds offset %d", ErrCorrupt, s.name(), offset)
	}
	return pos, h, err
}

// OffsetForTimestamp returns the offset of the first record, in offset
// order, whose timestamp is at or above ts (Kafka ListOffsets by time): the
// first batch whose MaxTimestamp >= ts is found with the time index, and the
// record within it by decoding it (its base offset if it cannot be decoded).
// It returns LogEndOffset when no record qualifies, and LogStartOffset for a
// negative ts. The caller applies the high watermark.
func (l *Log) OffsetForTimestamp(ts int64) (int64, error) {
	return l.OffsetForTimestampBelow(ts, math.MaxInt64)
}

// searchTime looks in segment i for the first batch with MaxTimestamp >= ts.
func (l *Log) searchTime(segs []*segment, i int, ts int64) (int64, bool, error) {
	s := segs[i]
	segEnd := l.segmentEnd(segs, i)
	idx, times, err := l.indexes(s, segEnd)
	if err != nil {
		return 0, false, err
	}
	// Entries before j have a running maximum below ts: no batch up to
	// entry j-1's qualifies. Entry j's batch does, so the scan below ends
	// there at the latest.
	from := s.base
	if j := times.firstAtOrAbove(ts); j > 0 {
		_, rel := times.entry(j - 1)
		from = s.base + int64(rel) + 1
	}
	if from >= segEnd {
		return 0, false, nil
	}
	pos, _, err := s.locate(from, idx.floor(uint32(from-s.base)), s.size.Load())
	if errors.Is(err, io.EOF) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	for size := s.size.Load(); pos < size; {
		h, err := s.readHeader(pos)
		if err != nil {
			return 0, false, err
		}
		if h.MaxTimestamp >= ts {
			return l.recordAtOrAfter(s, pos, h, ts), true, nil
		}
		pos += int64(h.Size())
	}
	return 0, false, nil
}

// recordAtOrAfter returns the offset of the first record of the batch at
// pos whose timestamp is >= ts, or the batch's base offset if the batch
// cannot be decoded.
func (l *Log) recordAtOrAfter(s *segment, pos int64, h record.BatchHeader, ts int64) int64 {
	if h.LogAppendTime() {
		return h.BaseOffset
	}
	b := make([]byte, h.Size())
	if _, err := s.f.ReadAt(b, pos); err != nil {
		return h.BaseOffset
	}
	_, recs, err := record.Decode(b)
	if err != nil {
		return h.BaseOffset
	}
	for _, r := range recs {
		if r.Timestamp >= ts {
			return r.Offset
		}
	}
	return h.BaseOffset
}
