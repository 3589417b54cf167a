package commitlog

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/runnel/runnel/pkg/record"
)

// buildLog writes n batches to a fresh log in dir and closes it.
func buildLog(t *testing.T, dir string, opts Options, n int) []written {
	t.Helper()
	l, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := appendN(t, l, n, 1, 1000)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return want
}

// checkRecovered opens dir, expects exactly want, and checks that appends
// continue at the right offset.
func checkRecovered(t *testing.T, dir string, opts Options, want []written) {
	t.Helper()
	l := openLog(t, dir, opts)
	checkLog(t, l, want)
	next := int64(0)
	if len(want) > 0 {
		next = want[len(want)-1].last + 1
	}
	res, err := l.Append(makeBatch(t, 2, 9_000, 5), 1)
	if err != nil {
		t.Fatal(err)
	}
	if res.BaseOffset != next {
		t.Fatalf("append after recovery at %d, want %d", res.BaseOffset, next)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

// Cutting the active segment at every byte inside its last batch recovers
// the log up to the batch before, and appends continue from there.
func TestRecoverTornTail(t *testing.T) {
	src := t.TempDir()
	opts := Options{IndexIntervalBytes: 64, Fsync: FsyncPolicy{Mode: FsyncNever}}
	l := openLog(t, src, opts)
	want := appendN(t, l, 12, 1, 1000)
	// A small last batch keeps the number of cuts (reopens) low.
	small := makeBatch(t, 1, 5000, 1)
	res, err := l.Append(small, 1)
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, written{base: res.BaseOffset, last: res.LastOffset, epoch: 1, bytes: small})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	seg := filepath.Join(src, segmentName(0)+logSuffix)
	full := readFile(t, seg)
	last := want[len(want)-1]
	lastStart := len(full) - len(last.bytes)
	for cut := lastStart; cut < len(full); cut++ {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, segmentName(0)+logSuffix), full[:cut])
		checkRecovered(t, dir, opts, want[:len(want)-1])
		if got := len(readFile(t, filepath.Join(dir, segmentName(0)+logSuffix))); got <= lastStart {
			t.Fatalf("cut at %d: segment is %d bytes after the new append, torn bytes kept?", cut, got)
		}
	}
}

func TestRecoverCorruption(t *testing.T) {
	opts := Options{SegmentBytes: 600, IndexIntervalBytes: 64, Fsync: FsyncPolicy{Mode: FsyncNever}}
	tests := []struct {
		name string
		// damage changes files in dir and returns how many batches survive.
		damage func(t *testing.T, dir string, want []written) int
	}{
		{"flipped byte in last batch", func(t *testing.T, dir string, want []written) int {
			segs := segmentFiles(t, dir)
			b := readFile(t, segs[len(segs)-1])
			b[len(b)-3] ^= 0x01
			writeFile(t, segs[len(segs)-1], b)
			return len(want) - 1
		}},
		{"flipped crc of a middle batch of the active segment", func(t *testing.T, dir string, want []written) int {
			segs := segmentFiles(t, dir)
			active := segs[len(segs)-1]
			b := readFile(t, active)
			var base int64
			if _, err := fmtSscan(filepath.Base(active), &base); err != nil {
				t.Fatal(err)
			}
			// first batch of the active segment
			i := 0
			for want[i].base != base {
				i++
			}
			if len(want)-i < 2 {
				t.Fatal("active segment needs two batches")
			}
			b[17] ^= 0xff // crc of the first batch
			writeFile(t, active, b)
			return i
		}},
		{"garbage appended", func(t *testing.T, dir string, want []written) int {
			segs := segmentFiles(t, dir)
			f, err := os.OpenFile(segs[len(segs)-1], os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.Write(bytes.Repeat([]byte{0xAB}, 100))
			f.Close()
			return len(want)
		}},
		{"zeros appended (power loss)", func(t *testing.T, dir string, want []written) int {
			segs := segmentFiles(t, dir)
			f, err := os.OpenFile(segs[len(segs)-1], os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.Write(make([]byte, 4096))
			f.Close()
			return len(want)
		}},
		{"damage in a sealed segment above the recovery point", func(t *testing.T, dir string, want []written) int {
			// Without a recovery point every segment is validated: the log
			// ends before the damaged batch, later segments are dropped.
			os.Remove(filepath.Join(dir, recoveryPointCheckpointFile))
			segs := segmentFiles(t, dir)
			b := readFile(t, segs[1])
			b[len(b)-1] ^= 0x80 // last batch of segment 1
			writeFile(t, segs[1], b)
			var next int64
			if _, err := fmtSscan(filepath.Base(segs[2]), &next); err != nil {
				t.Fatal(err)
			}
			i := 0
			for want[i].last+1 != next {
				i++
			}
			return i
		}},
		{"a segment lost in the middle", func(t *testing.T, dir string, want []written) int {
			os.Remove(filepath.Join(dir, recoveryPointCheckpointFile))
			segs := segmentFiles(t, dir)
			os.Remove(segs[2])
			var base int64
			if _, err := fmtSscan(filepath.Base(segs[2]), &base); err != nil {
				t.Fatal(err)
			}
			i := 0
			for want[i].base != base {
				i++
			}
			return i
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			want := buildLog(t, dir, opts, 40)
			if n := len(segmentFiles(t, dir)); n < 4 {
				t.Fatalf("want several segments, have %d", n)
			}
			keep := tc.damage(t, dir, want)
			checkRecovered(t, dir, opts, want[:keep])
			// Every byte served is CRC-valid.
			l := openLog(t, dir, opts)
			b, err := l.Read(l.LogStartOffset(), 1<<20, l.LogEndOffset())
			if err != nil {
				t.Fatal(err)
			}
			splitBatches(t, b)
		})
	}
}

// Missing, garbage and short index files are rebuilt, byte for byte as
// they were written.
func TestRebuildIndexes(t *testing.T) {
	opts := Options{SegmentBytes: 2000, IndexIntervalBytes: 100, Fsync: FsyncPolicy{Mode: FsyncNever}}
	tests := []struct {
		name   string
		damage func(t *testing.T, index, timeIndex string)
	}{
		{"deleted", func(t *testing.T, index, timeIndex string) {
			os.Remove(index)
			os.Remove(timeIndex)
		}},
		{"garbage", func(t *testing.T, index, timeIndex string) {
			writeFile(t, index, bytes.Repeat([]byte{0x5a, 0x01, 0xff}, 13))
			writeFile(t, timeIndex, bytes.Repeat([]byte{0x01}, 24))
		}},
		{"short", func(t *testing.T, index, timeIndex string) {
			b := readFile(t, index)
			writeFile(t, index, b[:len(b)/2])
		}},
		{"zeroed tail", func(t *testing.T, index, timeIndex string) {
			b := readFile(t, index)
			clear(b[len(b)-indexEntrySize:])
			writeFile(t, index, b)
			b = readFile(t, timeIndex)
			clear(b[len(b)-timeEntrySize:])
			writeFile(t, timeIndex, b)
		}},
		{"entry pointing mid-batch", func(t *testing.T, index, timeIndex string) {
			b := readFile(t, index)
			b[len(b)-1]++ // last position off by one
			writeFile(t, index, b)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			want := buildLog(t, dir, opts, 80)
			segs := segmentFiles(t, dir)
			if len(segs) < 3 {
				t.Fatalf("want several segments, have %d", len(segs))
			}
			type pair struct{ index, times []byte }
			orig := map[string]pair{}
			for _, s := range segs[:len(segs)-1] {
				stem := s[:len(s)-len(logSuffix)]
				orig[stem] = pair{readFile(t, stem+indexSuffix), readFile(t, stem+timeIndexSuffix)}
				if len(orig[stem].index) < 2*indexEntrySize {
					t.Fatalf("%s: index too small for the test", stem)
				}
				tc.damage(t, stem+indexSuffix, stem+timeIndexSuffix)
			}
			l := openLog(t, dir, opts)
			checkLog(t, l, want)
			checkTimestamps(t, l, want)
			for stem, p := range orig {
				if got := readFile(t, stem+indexSuffix); !bytes.Equal(got, p.index) {
					t.Errorf("%s: rebuilt index differs from the original", filepath.Base(stem))
				}
				if got := readFile(t, stem+timeIndexSuffix); !bytes.Equal(got, p.times) {
					t.Errorf("%s: rebuilt time index differs from the original", filepath.Base(stem))
				}
			}
		})
	}
}

// Stray files are cleaned up at Open; unknown files are left alone.
func TestOpenTidiesDirectory(t *testing.T) {
	dir := t.TempDir()
	want := buildLog(t, dir, testOptions(), 20)
	stray := []string{
		epochCheckpointFile + tmpSuffix,
		segmentName(999999) + indexSuffix,
		segmentName(999999) + timeIndexSuffix,
	}
	for _, name := range stray {
		writeFile(t, filepath.Join(dir, name), []byte("x"))
	}
	writeFile(t, filepath.Join(dir, "README"), []byte("keep me"))
	l := openLog(t, dir, testOptions())
	checkLog(t, l, want)
	for _, name := range stray {
		if _, err := os.Stat(filepath.Join(dir, name)); !os.IsNotExist(err) {
			t.Errorf("%s not removed", name)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "README")); err != nil {
		t.Error("unknown file removed")
	}
}

// The epoch cache survives a lost checkpoint: it is rebuilt from the log.
func TestRecoverEpochCache(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, testOptions())
	appendN(t, l, 10, 1, 1000)
	appendN(t, l, 10, 3, 2000)
	appendN(t, l, 10, 4, 3000)
	wantEntries := l.epochs.snapshot()
	l.Close()
	for _, damage := range []string{"", "garbage\n", "0\n2\n1 0\n"} {
		if damage == "" {
			os.Remove(filepath.Join(dir, epochCheckpointFile))
		} else {
			writeFile(t, filepath.Join(dir, epochCheckpointFile), []byte(damage))
		}
		l = openLog(t, dir, testOptions())
		if got := l.epochs.snapshot(); !equalEntries(got, wantEntries) {
			t.Fatalf("checkpoint %q: cache %v, want %v", damage, got, wantEntries)
		}
		l.Close()
	}
}

func equalEntries(a, b []epochEntry) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// checkTimestamps compares OffsetForTimestamp with a linear scan of the
// records written.
func checkTimestamps(t *testing.T, l *Log, want []written) {
	t.Helper()
	type rec struct{ off, ts int64 }
	var recs []rec
	for _, w := range want {
		_, rs, err := record.Decode(w.bytes)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			recs = append(recs, rec{r.Offset, r.Timestamp})
		}
	}
	probe := []int64{-5, 0, recs[0].ts, recs[len(recs)-1].ts, recs[len(recs)-1].ts + 1, 1 << 60}
	for i := 0; i < len(recs); i += 7 {
		probe = append(probe, recs[i].ts, recs[i].ts+1, recs[i].ts-1)
	}
	for _, ts := range probe {
		wantOff := l.LogEndOffset()
		if ts < 0 {
			wantOff = l.LogStartOffset()
		} else {
			for _, r := range recs {
				if r.ts >= ts {
					wantOff = r.off
					break
				}
			}
		}
		got, err := l.OffsetForTimestamp(ts)
		if err != nil {
			t.Fatal(err)
		}
		if got != wantOff {
			t.Fatalf("OffsetForTimestamp(%d) = %d, want %d", ts, got, wantOff)
		}
	}
}

// A process crash (no Close) loses nothing that was appended: the files as
// the page cache holds them recover to the same log.
func TestRecoverAfterProcessCrash(t *testing.T) {
	for _, mode := range []FsyncMode{FsyncAlways, FsyncInterval, FsyncNever} {
		opts := testOptions()
		opts.Fsync = FsyncPolicy{Mode: mode, Interval: time.Hour}
		t.Run(opts.Fsync.String(), func(t *testing.T) {
			dir := t.TempDir()
			l := openLog(t, dir, opts)
			want := appendN(t, l, 40, 1, 1000)
			crashed := t.TempDir()
			copyDir(t, dir, crashed)
			checkLog(t, openLog(t, crashed, opts), want)
		})
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		writeFile(t, filepath.Join(to, e.Name()), readFile(t, filepath.Join(from, e.Name())))
	}
}
