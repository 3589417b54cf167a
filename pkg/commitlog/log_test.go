package commitlog

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/runnel/runnel/pkg/record"
)

func TestAppendReadAcrossSegments(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, testOptions())
	want := appendN(t, l, 300, 1, 1_000)
	if n := len(segmentFiles(t, dir)); n < 20 {
		t.Fatalf("only %d segments; the test needs many rolls", n)
	}
	for i := 1; i < len(want); i++ {
		if want[i].base != want[i-1].last+1 {
			t.Fatalf("offsets not contiguous at batch %d: %d after %d", i, want[i].base, want[i-1].last)
		}
	}
	checkLog(t, l, want)

	// Reopen: the sealed segments' indexes now come from their files.
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openLog(t, dir, testOptions())
	checkLog(t, l, want)
	more := appendN(t, l, 5, 1, 50_000)
	if more[0].base != want[len(want)-1].last+1 {
		t.Fatalf("append after reopen got offset %d, want %d", more[0].base, want[len(want)-1].last+1)
	}
	checkLog(t, l, append(want, more...))
}

func TestReadBounds(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, testOptions())
	want := appendN(t, l, 60, 1, 1_000)
	end := l.LogEndOffset()
	all := concat(want)

	// index of the batch holding off
	holding := func(off int64) int {
		for i, w := range want {
			if w.base <= off && off <= w.last {
				return i
			}
		}
		t.Fatalf("no batch holds %d", off)
		return -1
	}
	tests := []struct {
		name     string
		offset   int64
		maxBytes int
		limit    int64
		want     []byte
		wantErr  error
	}{
		{name: "everything", offset: 0, maxBytes: 1 << 20, limit: end, want: all},
		{name: "from inside a batch", offset: want[7].base + 1, maxBytes: 1 << 20, limit: end, want: concat(want[7:])},
		{name: "one batch even if larger than maxBytes", offset: want[3].last, maxBytes: 1, limit: end, want: want[3].bytes},
		{name: "zero maxBytes still one batch", offset: 0, maxBytes: 0, limit: end, want: want[0].bytes},
		{name: "maxBytes cuts at a batch boundary", offset: 0, maxBytes: len(concat(want[:5])) + 3, limit: end, want: concat(want[:5])},
		{name: "limit excludes batches at and after it", offset: 0, maxBytes: 1 << 20, limit: want[20].base, want: concat(want[:20])},
		{name: "limit inside a batch excludes it", offset: 0, maxBytes: 1 << 20, limit: want[20].last, want: concat(want[:20])},
		{name: "limit above log end is log end", offset: want[50].base, maxBytes: 1 << 20, limit: end + 100, want: concat(want[50:])},
		{name: "offset at limit", offset: want[20].base, maxBytes: 1 << 20, limit: want[20].base, want: nil},
		{name: "offset at log end", offset: end, maxBytes: 1 << 20, limit: end, want: nil},
		{name: "offset past log end", offset: end + 1, maxBytes: 1 << 20, limit: end, wantErr: ErrOffsetOutOfRange},
		{name: "negative offset", offset: -1, maxBytes: 1 << 20, limit: end, wantErr: ErrOffsetOutOfRange},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := l.Read(tc.offset, tc.maxBytes, tc.limit)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Fatalf("got %d bytes (%d batches), want %d bytes", len(got), len(splitBatches(t, got)), len(tc.want))
			}
		})
	}

	// Every offset and byte budget against a linear scan of what was written.
	for off := int64(0); off < end; off += 3 {
		for _, budget := range []int{1, 100, 500, 5000} {
			got, err := l.Read(off, budget, end)
			if err != nil {
				t.Fatal(err)
			}
			i := holding(off)
			wantB := want[i].bytes
			for j := i + 1; j < len(want) && len(wantB)+len(want[j].bytes) <= budget; j++ {
				wantB = append(bytes.Clone(wantB), want[j].bytes...)
			}
			if !bytes.Equal(got, wantB) {
				t.Fatalf("read(%d, %d): got %d bytes, want %d", off, budget, len(got), len(wantB))
			}
		}
	}
}

func TestAppendRejects(t *testing.T) {
	l := openLog(t, t.TempDir(), testOptions())
	good := makeBatch(t, 3, 1000, 20)
	flipped := bytes.Clone(good)
	flipped[len(flipped)-1] ^= 0x40
	tests := []struct {
		name  string
		batch []byte
		epoch int32
		want  error
	}{
		{"crc mismatch", flipped, 1, ErrCorrupt},
		{"truncated", good[:len(good)-1], 1, ErrCorrupt},
		{"two batches", append(bytes.Clone(good), good...), 1, ErrCorrupt},
		{"header only", good[:record.HeaderSize], 1, ErrCorrupt},
		{"empty", nil, 1, ErrCorrupt},
		{"negative epoch", bytes.Clone(good), -1, ErrStaleEpoch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := l.Append(tc.batch, tc.epoch); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if l.LogEndOffset() != 0 {
				t.Fatalf("a refused append moved the log end to %d", l.LogEndOffset())
			}
		})
	}
	if _, err := l.Append(bytes.Clone(good), 5); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(bytes.Clone(good), 4); !errors.Is(err, ErrStaleEpoch) {
		t.Fatalf("append with an older epoch: %v, want ErrStaleEpoch", err)
	}
}

func TestAppendStampsHeader(t *testing.T) {
	l := openLog(t, t.TempDir(), testOptions())
	appendN(t, l, 3, 2, 1000)
	b := makeBatch(t, 2, 5000, 10)
	orig := bytes.Clone(b)
	res, err := l.Append(b, 7)
	if err != nil {
		t.Fatal(err)
	}
	got, err := l.Read(res.BaseOffset, 1<<20, l.LogEndOffset())
	if err != nil {
		t.Fatal(err)
	}
	h, err := record.Validate(got)
	if err != nil {
		t.Fatal(err)
	}
	if h.BaseOffset != res.BaseOffset || h.PartitionLeaderEpoch != 7 {
		t.Fatalf("stored header base %d epoch %d, want %d and 7", h.BaseOffset, h.PartitionLeaderEpoch, res.BaseOffset)
	}
	// Only the base offset and the epoch differ from what the producer sent.
	if !bytes.Equal(got[16:], orig[16:]) || !bytes.Equal(got[8:12], orig[8:12]) {
		t.Fatal("stored batch differs from the produced one beyond base offset and epoch")
	}
}

func TestClosedLog(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 3, 1, 1000)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	select {
	case <-l.Changed():
	default:
		t.Fatal("Changed() of a closed log is not closed")
	}
	checks := map[string]error{}
	_, checks["Append"] = l.Append(makeBatch(t, 1, 1, 1), 1)
	_, checks["AppendReplica"] = l.AppendReplica(makeBatch(t, 1, 1, 1))
	_, checks["Read"] = l.Read(0, 100, 10)
	_, checks["OffsetForTimestamp"] = l.OffsetForTimestamp(0)
	checks["Truncate"] = l.Truncate(0)
	checks["DeleteBefore"] = l.DeleteBefore(1)
	_, checks["ApplyRetention"] = l.ApplyRetention(math.MaxInt64)
	checks["Sync"] = l.Sync()
	checks["CheckpointHighWatermark"] = l.CheckpointHighWatermark(1)
	checks["Reset"] = l.Reset(0)
	for name, err := range checks {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
	if err := l.Delete(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Delete left the directory: %v", err)
	}
}

// Reads run while appends roll segments; every read returns whole valid
// contiguous batches below the log end it was bounded by.
func TestConcurrentReadsAndAppends(t *testing.T) {
	l := openLog(t, t.TempDir(), testOptions())
	done := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			next := int64(0)
			for {
				changed := l.Changed()
				end := l.LogEndOffset()
				if next == end {
					select {
					case <-done:
						return
					case <-changed:
						continue
					}
				}
				b, err := l.Read(next, 700, end)
				if err != nil {
					errs <- err
					return
				}
				for len(b) > 0 {
					one, rest, err := record.Next(b)
					if err == nil {
						_, err = record.Validate(one)
					}
					if err != nil {
						errs <- err
						return
					}
					h, _ := record.ParseHeader(one)
					if h.BaseOffset > next || h.LastOffset() < next || h.LastOffset() >= end {
						errs <- errors.New("read returned a batch out of order or past its limit")
						return
					}
					next, b = h.NextOffset(), rest
				}
			}
		}()
	}
	appendN(t, l, 300, 1, 1000)
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestChangedSignalsAppends(t *testing.T) {
	l := openLog(t, t.TempDir(), testOptions())
	ch := l.Changed()
	select {
	case <-ch:
		t.Fatal("Changed fired before any append")
	default:
	}
	appendN(t, l, 1, 1, 1)
	select {
	case <-ch:
	default:
		t.Fatal("Changed did not fire on append")
	}
	ch = l.Changed()
	if err := l.Truncate(0); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
	default:
		t.Fatal("Changed did not fire on truncate")
	}
}

func TestHighWatermarkCheckpoint(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, testOptions())
	if got := l.HighWatermarkCheckpoint(); got != 0 {
		t.Fatalf("fresh log: %d", got)
	}
	appendN(t, l, 10, 1, 1000)
	if err := l.CheckpointHighWatermark(7); err != nil {
		t.Fatal(err)
	}
	if err := l.CheckpointHighWatermark(-1); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("negative hw: %v", err)
	}
	l.Close()
	l = openLog(t, dir, testOptions())
	if got := l.HighWatermarkCheckpoint(); got != 7 {
		t.Fatalf("after reopen: %d, want 7", got)
	}
	// Clamped to the log: a truncated log cannot have a higher watermark.
	if err := l.Truncate(3); err != nil {
		t.Fatal(err)
	}
	if got := l.HighWatermarkCheckpoint(); got != l.LogEndOffset() {
		t.Fatalf("after truncate: %d, want log end %d", got, l.LogEndOffset())
	}
	if _, err := os.Stat(filepath.Join(dir, highWatermarkCheckpointFile+tmpSuffix)); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("temp file left behind")
	}
	// A garbage checkpoint reads as 0.
	l.Close()
	writeFile(t, filepath.Join(dir, highWatermarkCheckpointFile), []byte("nonsense"))
	l = openLog(t, dir, testOptions())
	if got := l.HighWatermarkCheckpoint(); got != 0 {
		t.Fatalf("garbage checkpoint: %d", got)
	}
}

func TestSegmentAgeRolls(t *testing.T) {
	clock := &fakeClock{now: time.UnixMilli(1_000_000)}
	opts := Options{SegmentAge: time.Minute, Now: clock.Now, Fsync: FsyncPolicy{Mode: FsyncNever}}
	dir := t.TempDir()
	l := openLog(t, dir, opts)
	appendN(t, l, 3, 1, 5) // ancient producer timestamps do not matter
	if n := len(l.segments()); n != 1 {
		t.Fatalf("%d segments before the segment is a minute old", n)
	}
	clock.now = clock.now.Add(time.Minute)
	appendN(t, l, 2, 1, 5)
	if n := len(l.segments()); n != 2 {
		t.Fatalf("%d segments after a minute, want 2", n)
	}
	// After a restart the age counts from the first batch's timestamp.
	l.Close()
	l = openLog(t, dir, opts)
	clock.now = clock.now.Add(time.Second)
	appendN(t, l, 1, 1, clock.now.UnixMilli())
	if n := len(l.segments()); n != 3 {
		t.Fatalf("%d segments: a recovered segment with old timestamps should roll", n)
	}
}

// OffsetForTimestamp with timestamps that go back and forth, across many
// segments, live and after a reopen (indexes from files).
func TestOffsetForTimestamp(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions()
	l := openLog(t, dir, opts)
	rng := rand.New(rand.NewPCG(1, 2))
	var want []written
	for i := range 120 {
		ts := int64(10_000 + i*50 + rng.IntN(2_000) - 1_000)
		b := makeBatch(t, 1+rng.IntN(4), ts, 20)
		res, err := l.Append(b, 1)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, written{base: res.BaseOffset, last: res.LastOffset, bytes: b})
	}
	if got, err := l.OffsetForTimestamp(1 << 62); err != nil || got != l.LogEndOffset() {
		t.Fatalf("future timestamp: %d, %v", got, err)
	}
	checkTimestamps(t, l, want)
	l.Close()
	l = openLog(t, dir, opts)
	checkTimestamps(t, l, want)
}
