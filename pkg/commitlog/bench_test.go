package commitlog

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/runnel/runnel/pkg/record"
)

// batch16KiB is a batch of 16 records whose encoding is about 16 KiB.
func batch16KiB(tb testing.TB) []byte {
	return makeBatch(tb, 16, 1_700_000_000_000, 16<<10/16-24)
}

// BenchmarkAppend16KiB: leader appends of 16 KiB batches, FsyncNever (the
// write path and the page cache, no disk flush).
func BenchmarkAppend16KiB(b *testing.B) {
	l := openLog(b, b.TempDir(), Options{Fsync: FsyncPolicy{Mode: FsyncNever}})
	batch := batch16KiB(b)
	b.SetBytes(int64(len(batch)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Append(batch, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppend16KiBFsyncAlwaysParallel: many producers appending with
// FsyncAlways; group commit shares fsyncs between them.
func BenchmarkAppend16KiBFsyncAlwaysParallel(b *testing.B) {
	l := openLog(b, b.TempDir(), Options{Fsync: FsyncPolicy{Mode: FsyncAlways}})
	proto := batch16KiB(b)
	b.SetBytes(int64(len(proto)))
	b.SetParallelism(32) // 32 appenders per CPU
	b.ReportAllocs()
	before := l.fsyncs.Load()
	b.RunParallel(func(pb *testing.PB) {
		batch := bytes.Clone(proto) // Append stamps the batch in place
		for pb.Next() {
			if _, err := l.Append(batch, 1); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/float64(max(l.fsyncs.Load()-before, 1)), "appends/fsync")
}

// BenchmarkReadSequential: a consumer reading 1 MiB at a time through a
// 256 MiB log that is in the page cache, into a reused buffer (ReadAppend,
// as a server with pooled buffers does) and into a new one per call (Read).
func BenchmarkReadSequential(b *testing.B) {
	l := openLog(b, b.TempDir(), Options{Fsync: FsyncPolicy{Mode: FsyncNever}})
	batch := batch16KiB(b)
	const perRead = 64
	for range 256 << 20 / len(batch) {
		if _, err := l.Append(batch, 1); err != nil {
			b.Fatal(err)
		}
	}
	if err := l.Sync(); err != nil { // no writeback competing with the reads
		b.Fatal(err)
	}
	h, _ := record.ParseHeader(batch)
	recs := int64(h.LastOffsetDelta) + 1
	end := l.LogEndOffset()
	maxBytes := perRead * len(batch)
	// The floor: bare preads of the same bytes from the segment file.
	b.Run("PreadBaseline", func(b *testing.B) {
		seg := l.segments()[0]
		size := seg.size.Load()
		b.SetBytes(int64(maxBytes))
		buf := make([]byte, maxBytes)
		pos := int64(0)
		for b.Loop() {
			if pos+int64(maxBytes) > size {
				pos = 0
			}
			if _, err := seg.f.ReadAt(buf, pos); err != nil {
				b.Fatal(err)
			}
			pos += int64(maxBytes)
		}
	})
	for _, reuse := range []bool{true, false} {
		name := map[bool]string{true: "ReadAppendReused", false: "ReadNew"}[reuse]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(maxBytes))
			b.ReportAllocs()
			buf := make([]byte, 0, maxBytes)
			off := int64(0)
			for b.Loop() {
				if off+perRead*recs > end {
					off = 0
				}
				var got []byte
				var err error
				if reuse {
					got, err = l.ReadAppend(buf[:0], off, maxBytes, end)
				} else {
					got, err = l.Read(off, maxBytes, end)
				}
				if err != nil || len(got) != maxBytes {
					b.Fatalf("read at %d: %d bytes, %v", off, len(got), err)
				}
				off += perRead * recs
			}
		})
	}
}

// BenchmarkPwrite16KiBBaseline is the floor for BenchmarkAppend16KiB on this
// machine: bare 16 KiB appending writes to a file, nothing else.
func BenchmarkPwrite16KiBBaseline(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "baseline"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := batch16KiB(b)
	b.SetBytes(int64(len(buf)))
	off := int64(0)
	for b.Loop() {
		if _, err := f.WriteAt(buf, off); err != nil {
			b.Fatal(err)
		}
		off += int64(len(buf))
	}
}
