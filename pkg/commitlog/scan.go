package commitlog

import (
	"errors"
	"fmt"
	"io"

	"github.com/runnel/runnel/pkg/record"
)

// scanChunk is how much a sequential scan reads at a time.
const scanChunk = 1 << 20

// scanner walks the batches of a segment file sequentially with large reads.
type scanner struct {
	r      io.ReaderAt
	end    int64 // file size
	pos    int64 // next batch position
	buf    []byte
	bufPos int64 // file position of buf[0]
	verify bool  // run record.Validate on every batch (else headers only)
}

// window returns the n bytes at sc.pos, reading ahead by scanChunk.
func (sc *scanner) window(n int) ([]byte, error) {
	if off := sc.pos - sc.bufPos; off >= 0 && off+int64(n) <= int64(len(sc.buf)) {
		return sc.buf[off : off+int64(n)], nil
	}
	want := int64(max(n, scanChunk))
	want = min(want, sc.end-sc.pos)
	if want < int64(n) {
		return nil, fmt.Errorf("%w: %d bytes left at %d, batch needs %d", errBadData, sc.end-sc.pos, sc.pos, n)
	}
	if int64(cap(sc.buf)) < want {
		sc.buf = make([]byte, want)
	}
	sc.buf = sc.buf[:want]
	k, err := sc.r.ReadAt(sc.buf, sc.pos)
	sc.buf, sc.bufPos = sc.buf[:k], sc.pos
	if k < n {
		if err == nil || errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: file ends at %d, batch needs %d", errBadData, sc.pos+int64(k), n)
		}
		return nil, err
	}
	return sc.buf[:n], nil
}

// next returns the position and header of the next batch: io.EOF at the
// end, an errBadData error for a torn or invalid batch (sc.pos stays at its
// start), or an I/O error.
func (sc *scanner) next() (int64, record.BatchHeader, error) {
	if sc.pos >= sc.end {
		return sc.pos, record.BatchHeader{}, io.EOF
	}
	hb, err := sc.window(record.HeaderSize)
	if err != nil {
		return sc.pos, record.BatchHeader{}, err
	}
	h, err := record.ParseHeader(hb)
	if err != nil {
		return sc.pos, h, fmt.Errorf("%w: at %d: %w", errBadData, sc.pos, err)
	}
	if sc.verify {
		b, err := sc.window(h.Size())
		if err != nil {
			return sc.pos, h, err
		}
		if _, err := record.Validate(b); err != nil {
			return sc.pos, h, fmt.Errorf("%w: at %d: %w", errBadData, sc.pos, err)
		}
	} else if int64(h.Size()) > sc.end-sc.pos {
		return sc.pos, h, fmt.Errorf("%w: at %d: batch of %d bytes past end of file", errBadData, sc.pos, h.Size())
	}
	pos := sc.pos
	sc.pos += int64(h.Size())
	return pos, h, nil
}

// scanResult is what a full scan of a segment learned.
type scanResult struct {
	validEnd int64 // end of the last whole valid batch
	next     int64 // offset after that batch
	firstTS  int64 // MaxTimestamp of the first batch, -1 if none
	ix       indexer
	index    offsetIndex
	times    timeIndex
	bad      error // why the scan stopped before the end of the file, or nil
}

// scan reads s from position 0 to its size, checking that batches are
// valid (all of record.Validate when verify, else the header framing) and
// contiguous from s.base, and rebuilds its indexes by the indexing rule.
// visit, if not nil, sees every valid batch. Invalid data stops the scan
// (res.bad); only I/O errors are returned as err.
func (s *segment) scan(verify bool, interval int, visit func(record.BatchHeader)) (scanResult, error) {
	res := scanResult{next: s.base, firstTS: -1, ix: newIndexer(interval), index: offsetIndex{}, times: timeIndex{}}
	sc := scanner{r: s.f, end: s.size.Load(), verify: verify}
	for {
		pos, h, err := sc.next()
		switch {
		case errors.Is(err, io.EOF):
			return res, nil
		case errors.Is(err, errBadData):
			res.bad = err
			return res, nil
		case err != nil:
			return res, err
		}
		if h.BaseOffset != res.next {
			res.bad = fmt.Errorf("%w: at %d: base offset %d, want %d", errBadData, pos, h.BaseOffset, res.next)
			return res, nil
		}
		rel, ok := relOffset(s.base, h.LastOffset())
		if !ok {
			res.bad = fmt.Errorf("%w: at %d: offset %d too far from segment base", errBadData, pos, h.LastOffset())
			return res, nil
		}
		rel = uint32(h.BaseOffset - s.base)
		addIndex, addTime := res.ix.observe(pos, rel, h.MaxTimestamp)
		if addIndex {
			res.index = appendIndexEntry(res.index, rel, pos)
		}
		if addTime {
			res.times = appendTimeEntry(res.times, h.MaxTimestamp, rel)
		}
		if pos == 0 {
			res.firstTS = h.MaxTimestamp
		}
		if visit != nil {
			visit(h)
		}
		res.validEnd = sc.pos
		res.next = h.NextOffset()
	}
}
