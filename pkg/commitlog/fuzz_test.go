package commitlog

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/runnel/runnel/pkg/record"
)

// FuzzRecover: any bytes as the active segment file.
//
// Invariants: Open never panics and succeeds; the log it recovers is a
// prefix of the file made of whole batches that pass record.Validate, with
// contiguous offsets from the segment's base; nothing else is served; and
// Append works afterwards at LogEndOffset.
func FuzzRecover(f *testing.F) {
	var valid []byte
	for i := range 4 {
		valid = append(valid, makeBatch(f, 1+i, int64(1000*i), 5*i)...)
	}
	valid = renumber(valid)
	f.Add(valid)
	f.Add(valid[:len(valid)-7])
	f.Add(append(bytes.Clone(valid), make([]byte, 64)...))
	flipped := bytes.Clone(valid)
	flipped[len(flipped)/2] ^= 0x10
	f.Add(flipped)
	f.Add([]byte{})
	f.Add(make([]byte, record.HeaderSize))

	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, segmentName(0)+logSuffix), data)
		l, err := Open(dir, Options{SegmentBytes: 4096, IndexIntervalBytes: 64, Fsync: FsyncPolicy{Mode: FsyncNever}})
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		defer l.Close()
		if l.LogStartOffset() != 0 {
			t.Fatalf("log start %d", l.LogStartOffset())
		}
		end := l.LogEndOffset()
		got, err := l.Read(0, len(data)+1, end)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if !bytes.HasPrefix(data, got) {
			t.Fatal("served bytes are not a prefix of the file")
		}
		next := int64(0)
		for _, h := range splitBatches(t, got) {
			if h.BaseOffset != next {
				t.Fatalf("batch at %d, want %d", h.BaseOffset, next)
			}
			next = h.NextOffset()
		}
		if next != end {
			t.Fatalf("batches end at %d, log end %d", next, end)
		}
		if l.Size() != int64(len(got)) {
			t.Fatalf("log keeps %d bytes, serves %d", l.Size(), len(got))
		}
		epoch, _ := l.LatestEpoch()
		res, err := l.Append(makeBatch(t, 2, 5, 3), max(epoch, 0))
		if err != nil || res.BaseOffset != end {
			t.Fatalf("append after recovery: %+v, %v (log end was %d)", res, err, end)
		}
		if b, err := l.Read(end, 1, l.LogEndOffset()); err != nil || len(b) == 0 {
			t.Fatalf("reading the new batch: %d bytes, %v", len(b), err)
		}
	})
}

// renumber gives concatenated batches contiguous offsets from 0.
func renumber(b []byte) []byte {
	next := int64(0)
	for rest := b; len(rest) > 0; {
		one, r, err := record.Next(rest)
		if err != nil {
			break
		}
		h, _ := record.ParseHeader(one)
		record.SetBaseOffset(one, next)
		next += int64(h.LastOffsetDelta) + 1
		rest = r
	}
	return b
}
