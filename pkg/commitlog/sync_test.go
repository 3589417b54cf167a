package commitlog

import (
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Concurrent appenders under FsyncAlways get contiguous, distinct offsets,
// and share fsyncs (group commit).
func TestGroupCommit(t *testing.T) {
	opts := Options{Fsync: FsyncPolicy{Mode: FsyncAlways}}
	l := openLog(t, t.TempDir(), opts)
	const writers, each = 16, 20
	var mu sync.Mutex
	var results []AppendResult
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	before := l.fsyncs.Load()
	batches := make([][][]byte, writers)
	for w := range batches {
		for range each {
			batches[w] = append(batches[w], makeBatch(t, 2, 1000, 100))
		}
	}
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, b := range batches[w] {
				res, err := l.Append(b, 1)
				if err != nil {
					errs <- err
					return
				}
				if d := l.DurableEndOffset(); d < res.LogEndOffset {
					errs <- errorf("append returned before durable: durable %d < %d", d, res.LogEndOffset)
					return
				}
				mu.Lock()
				results = append(results, res)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	slices.SortFunc(results, func(a, b AppendResult) int { return int(a.BaseOffset - b.BaseOffset) })
	for i, r := range results {
		if r.BaseOffset != int64(2*i) || r.LastOffset != r.BaseOffset+1 {
			t.Fatalf("offsets not contiguous at %d: %+v", i, r)
		}
	}
	fsyncs := l.fsyncs.Load() - before
	t.Logf("%d appends, %d fsyncs", writers*each, fsyncs)
	if fsyncs >= writers*each {
		t.Fatalf("%d fsyncs for %d concurrent appends: no group commit", fsyncs, writers*each)
	}
}

func TestFsyncAlwaysSingleAppendIsDurable(t *testing.T) {
	l := openLog(t, t.TempDir(), Options{SegmentBytes: 1024})
	for range 20 {
		before := l.fsyncs.Load()
		res, err := l.Append(makeBatch(t, 1, 1, 200), 1)
		if err != nil {
			t.Fatal(err)
		}
		if l.fsyncs.Load() == before || l.DurableEndOffset() < res.LogEndOffset {
			t.Fatal("append returned without an fsync covering it")
		}
	}
}

func TestFsyncInterval(t *testing.T) {
	opts := testOptions()
	opts.Fsync = FsyncPolicy{Mode: FsyncInterval, Interval: 5 * time.Millisecond}
	l := openLog(t, t.TempDir(), opts)
	want := appendN(t, l, 40, 1, 1000) // several rolls
	end := want[len(want)-1].last + 1
	eventually(t, 5*time.Second, func() bool { return l.DurableEndOffset() == end }, "the syncer to cover the log")
	eventually(t, 5*time.Second, func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.recoveryPoint == l.active.base
	}, "the recovery point to reach the active segment")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestFsyncNeverSyncsOnSyncAndClose(t *testing.T) {
	l := openLog(t, t.TempDir(), testOptions())
	want := appendN(t, l, 30, 1, 1000)
	if l.fsyncs.Load() != 0 {
		t.Fatalf("%d fsyncs under FsyncNever before Sync", l.fsyncs.Load())
	}
	if d := l.DurableEndOffset(); d != 0 {
		t.Fatalf("durable end %d before any sync", d)
	}
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	if d := l.DurableEndOffset(); d != want[len(want)-1].last+1 {
		t.Fatalf("durable end %d after Sync", d)
	}
}

// OnSync sees every fdatasync of a segment: under FsyncAlways at least one per append.
func TestOnSyncReportsEverySegmentSync(t *testing.T) {
	var calls atomic.Int64
	opts := Options{SegmentBytes: 1024, OnSync: func(took time.Duration, err error) {
		if took < 0 || err != nil {
			t.Errorf("OnSync(%v, %v): want a duration and no error", took, err)
		}
		calls.Add(1)
	}}
	l := openLog(t, t.TempDir(), opts)
	for range 10 {
		if _, err := l.Append(makeBatch(t, 1, 1, 200), 1); err != nil {
			t.Fatal(err)
		}
	}
	if got, fsyncs := calls.Load(), l.fsyncs.Load(); got < 10 || got != fsyncs {
		t.Fatalf("OnSync called %d times for 10 appends and %d segment fsyncs; want one call per fsync, at least 10", got, fsyncs)
	}
}
