package commitlog

import (
	"encoding/binary"
	"errors"
	"math"
	"sort"
)

// Sizes of index entries on disk and in memory (see doc.go).
const (
	indexEntrySize = 8  // relative offset uint32, position uint32
	timeEntrySize  = 12 // timestamp int64, relative offset uint32
)

// errBadIndex: an index failed its checks and must be rebuilt.
var errBadIndex = errors.New("commitlog: damaged index")

// offsetIndex is the encoded offset index of a segment.
type offsetIndex []byte

func (x offsetIndex) count() int { return len(x) / indexEntrySize }

func (x offsetIndex) entry(i int) (rel uint32, pos int64) {
	e := x[i*indexEntrySize:]
	return binary.BigEndian.Uint32(e), int64(binary.BigEndian.Uint32(e[4:]))
}

// floor returns the position of the last entry whose relative offset is at
// or below rel, or 0 (the segment start) if there is none.
func (x offsetIndex) floor(rel uint32) int64 {
	i := sort.Search(x.count(), func(i int) bool { r, _ := x.entry(i); return r > rel })
	if i == 0 {
		return 0
	}
	_, pos := x.entry(i - 1)
	return pos
}

// ceil returns the position of the first entry whose relative offset is at
// or above rel, and false if there is none.
func (x offsetIndex) ceil(rel uint32) (int64, bool) {
	i := sort.Search(x.count(), func(i int) bool { r, _ := x.entry(i); return r >= rel })
	if i == x.count() {
		return 0, false
	}
	_, pos := x.entry(i)
	return pos, true
}

// check verifies sizes, strict order and bounds against a segment of size
// bytes whose relative offsets are below relEnd.
func (x offsetIndex) check(size int64, relEnd int64) error {
	if len(x)%indexEntrySize != 0 {
		return errBadIndex
	}
	prevRel, prevPos := int64(-1), int64(0)
	for i := range x.count() {
		rel, pos := x.entry(i)
		if int64(rel) <= prevRel || pos <= prevPos || pos >= size || int64(rel) >= relEnd {
			return errBadIndex
		}
		prevRel, prevPos = int64(rel), pos
	}
	return nil
}

func appendIndexEntry(x []byte, rel uint32, pos int64) []byte {
	x = binary.BigEndian.AppendUint32(x, rel)
	return binary.BigEndian.AppendUint32(x, uint32(pos))
}

// timeIndex is the encoded time index of a segment.
type timeIndex []byte

func (x timeIndex) count() int { return len(x) / timeEntrySize }

func (x timeIndex) entry(i int) (ts int64, rel uint32) {
	e := x[i*timeEntrySize:]
	return int64(binary.BigEndian.Uint64(e)), binary.BigEndian.Uint32(e[8:])
}

// firstAtOrAbove returns the index of the first entry with timestamp >= ts
// (count() if none).
func (x timeIndex) firstAtOrAbove(ts int64) int {
	return sort.Search(x.count(), func(i int) bool { t, _ := x.entry(i); return t >= ts })
}

// maxTimestamp is the last entry's timestamp, or -1 for an empty index.
func (x timeIndex) maxTimestamp() int64 {
	if x.count() == 0 {
		return -1
	}
	ts, _ := x.entry(x.count() - 1)
	return ts
}

// check verifies sizes, strict order and bounds (relative offsets below
// relEnd, timestamps >= 0).
func (x timeIndex) check(relEnd int64) error {
	if len(x)%timeEntrySize != 0 {
		return errBadIndex
	}
	prevTS, prevRel := int64(-1), int64(-1)
	for i := range x.count() {
		ts, rel := x.entry(i)
		if ts <= prevTS || int64(rel) <= prevRel || int64(rel) >= relEnd {
			return errBadIndex
		}
		prevTS, prevRel = ts, int64(rel)
	}
	return nil
}

func appendTimeEntry(x []byte, ts int64, rel uint32) []byte {
	x = binary.BigEndian.AppendUint64(x, uint64(ts))
	return binary.BigEndian.AppendUint32(x, rel)
}

// indexer decides which batches get index entries. It is the one place the
// indexing rule lives, used both while appending and when rebuilding.
type indexer struct {
	interval     int64
	lastIndexPos int64  // position of the last offset entry (0: segment start)
	lastTimePos  int64  // position of the last time entry
	maxTS        int64  // running max timestamp, -1 before any
	maxTSRel     uint32 // batch where maxTS was reached
	lastTimeTS   int64  // timestamp of the last time entry, -1 if none
}

func newIndexer(interval int) indexer {
	return indexer{interval: int64(interval), maxTS: -1, lastTimeTS: -1}
}

// observe records a batch at pos with relative base offset rel and max
// timestamp ts, and reports which entries to append.
func (ix *indexer) observe(pos int64, rel uint32, ts int64) (addIndex, addTime bool) {
	if pos-ix.lastIndexPos >= ix.interval {
		ix.lastIndexPos = pos
		addIndex = true
	}
	if ts > ix.maxTS {
		ix.maxTS, ix.maxTSRel = ts, rel
		if ix.lastTimeTS < 0 || pos-ix.lastTimePos >= ix.interval {
			ix.lastTimePos, ix.lastTimeTS = pos, ts
			addTime = true
		}
	}
	return addIndex, addTime
}

// final reports the entry that seals a time index: the segment's maximum
// timestamp, if the last entry does not already hold it.
func (ix *indexer) final() (ts int64, rel uint32, ok bool) {
	if ix.maxTS > ix.lastTimeTS {
		ix.lastTimeTS = ix.maxTS
		return ix.maxTS, ix.maxTSRel, true
	}
	return 0, 0, false
}

// relOffset converts an absolute offset to a segment-relative one; ok is
// false if it does not fit the index.
func relOffset(base, off int64) (uint32, bool) {
	d := off - base
	return uint32(d), d >= 0 && d <= math.MaxUint32
}
