package commitlog

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/runnel/runnel/pkg/record"
)

// fakeClock is an injectable clock for segment age and retention.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

// makeBatch encodes a batch of n records with the given timestamp (ms) and
// values of valueSize bytes.
func makeBatch(tb testing.TB, n int, ts int64, valueSize int) []byte {
	tb.Helper()
	recs := make([]record.Record, n)
	for i := range recs {
		v := bytes.Repeat([]byte{byte('a' + i%26)}, valueSize)
		recs[i] = record.Record{Timestamp: ts + int64(i), Key: fmt.Appendf(nil, "k%d", i), Value: v}
	}
	b, err := record.Encode(nil, recs, record.EncodeOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// testOptions are small, fast options: tiny segments, dense index, no
// fsync (tests that need durability set it).
func testOptions() Options {
	return Options{SegmentBytes: 1024, IndexIntervalBytes: 128, Fsync: FsyncPolicy{Mode: FsyncNever}}
}

// openLog opens a log and closes it when the test ends.
func openLog(tb testing.TB, dir string, opts Options) *Log {
	tb.Helper()
	l, err := Open(dir, opts)
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() { l.Close() })
	return l
}

// written is a batch as the log stored it.
type written struct {
	base, last int64
	epoch      int32
	maxTS      int64
	bytes      []byte
}

// appendN appends n batches of 1..4 records with increasing timestamps and
// returns them as stored.
func appendN(tb testing.TB, l *Log, n int, epoch int32, ts int64) []written {
	tb.Helper()
	var out []written
	for i := range n {
		b := makeBatch(tb, 1+i%4, ts+int64(10*i), 10+(i*37)%90)
		res, err := l.Append(b, epoch)
		if err != nil {
			tb.Fatalf("append %d: %v", i, err)
		}
		h, err := record.ParseHeader(b)
		if err != nil {
			tb.Fatal(err)
		}
		if h.BaseOffset != res.BaseOffset || h.LastOffset() != res.LastOffset || res.LogEndOffset != res.LastOffset+1 {
			tb.Fatalf("append %d: result %+v, header base %d last %d", i, res, h.BaseOffset, h.LastOffset())
		}
		out = append(out, written{base: res.BaseOffset, last: res.LastOffset, epoch: epoch, maxTS: h.MaxTimestamp, bytes: b})
	}
	return out
}

// splitBatches validates every batch of a read result and returns headers.
func splitBatches(tb testing.TB, b []byte) []record.BatchHeader {
	tb.Helper()
	var hs []record.BatchHeader
	for len(b) > 0 {
		one, rest, err := record.Next(b)
		if err != nil {
			tb.Fatalf("read result does not split into batches: %v", err)
		}
		h, err := record.Validate(one)
		if err != nil {
			tb.Fatalf("read returned an invalid batch: %v", err)
		}
		hs = append(hs, h)
		b = rest
	}
	return hs
}

// checkLog verifies that l holds exactly want (from its log start): every
// offset reads back as the batch holding it, with the right bytes.
func checkLog(tb testing.TB, l *Log, want []written) {
	tb.Helper()
	if len(want) == 0 {
		if l.LogEndOffset() != l.LogStartOffset() {
			tb.Fatalf("log should be empty: %v", l)
		}
		return
	}
	if got := l.LogStartOffset(); got != want[0].base {
		tb.Fatalf("log start %d, want %d", got, want[0].base)
	}
	if got, w := l.LogEndOffset(), want[len(want)-1].last+1; got != w {
		tb.Fatalf("log end %d, want %d", got, w)
	}
	for _, w := range want {
		for off := w.base; off <= w.last; off++ {
			got, err := l.Read(off, 1, l.LogEndOffset())
			if err != nil {
				tb.Fatalf("read %d: %v", off, err)
			}
			if !bytes.Equal(got, w.bytes) {
				tb.Fatalf("read %d: got %d bytes, want the batch [%d, %d] (%d bytes)", off, len(got), w.base, w.last, len(w.bytes))
			}
		}
	}
}

// concat returns the bytes of ws back to back.
func concat(ws []written) []byte {
	var b []byte
	for _, w := range ws {
		b = append(b, w.bytes...)
	}
	return b
}

// segmentFiles lists the .log files of dir, oldest first.
func segmentFiles(tb testing.TB, dir string) []string {
	tb.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"+logSuffix))
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func readFile(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func writeFile(tb testing.TB, path string, b []byte) {
	tb.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		tb.Fatal(err)
	}
}

// eventually waits until cond holds, polling with a deadline.
func eventually(tb testing.TB, within time.Duration, cond func() bool, what string) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(time.Millisecond)
	}
}

// fmtSscan parses a segment file name's base offset.
func fmtSscan(name string, base *int64) (int, error) {
	return fmt.Sscanf(name, "%020d.log", base)
}

func putBase(b []byte, off int64)    { record.SetBaseOffset(b, off) }
func putEpoch(b []byte, epoch int32) { record.SetPartitionLeaderEpoch(b, epoch) }
