package commitlog

import (
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/runnel/runnel/pkg/record"
)

func TestApplyRetention(t *testing.T) {
	const minute = int64(60_000)
	tests := []struct {
		name  string
		opts  func(*Options)
		age   time.Duration // clock advance before ApplyRetention
		check func(t *testing.T, l *Log, deleted int, segSizes, segMaxTS []int64)
	}{
		{
			name: "nothing configured keeps everything",
			opts: func(o *Options) {},
			age:  1000 * time.Hour,
			check: func(t *testing.T, l *Log, deleted int, _, _ []int64) {
				if deleted != 0 {
					t.Fatalf("deleted %d", deleted)
				}
			},
		},
		{
			name: "by size keeps at least RetentionBytes",
			opts: func(o *Options) { o.RetentionBytes = 1000 },
			check: func(t *testing.T, l *Log, deleted int, sizes, _ []int64) {
				var total int64
				for _, s := range sizes {
					total += s
				}
				want := 0
				for want < len(sizes)-1 && total-sizes[want] >= 1000 {
					total -= sizes[want]
					want++
				}
				if deleted != want || want == 0 {
					t.Fatalf("deleted %d segments, want %d (>0)", deleted, want)
				}
				if l.Size() < 1000 {
					t.Fatalf("log shrank to %d bytes, below the retention size", l.Size())
				}
			},
		},
		{
			name: "by size never deletes the active segment",
			opts: func(o *Options) { o.RetentionBytes = 1 },
			check: func(t *testing.T, l *Log, deleted int, sizes, _ []int64) {
				if deleted != len(sizes)-1 || len(l.segments()) != 1 {
					t.Fatalf("deleted %d of %d segments", deleted, len(sizes))
				}
			},
		},
		{
			name: "by age deletes segments whose newest batch is too old",
			// Batches are a minute apart (0..29 min); at 35 min with a
			// 15 min retention, segments whose newest batch is before
			// minute 20 go.
			opts: func(o *Options) { o.RetentionAge = 15 * time.Minute },
			check: func(t *testing.T, l *Log, deleted int, _, maxTS []int64) {
				want := 0
				for want < len(maxTS)-1 && 35*minute-maxTS[want] > 15*minute {
					want++
				}
				if deleted != want || want == 0 || want == len(maxTS)-1 {
					t.Fatalf("deleted %d segments, want %d (some, not all)", deleted, want)
				}
			},
		},
		{
			name: "by age with a long retention keeps everything",
			opts: func(o *Options) { o.RetentionAge = time.Hour },
			check: func(t *testing.T, l *Log, deleted int, _, _ []int64) {
				if deleted != 0 {
					t.Fatalf("deleted %d", deleted)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeClock{now: time.UnixMilli(0)}
			opts := testOptions()
			opts.Now = clock.Now
			tc.opts(&opts)
			l := openLog(t, t.TempDir(), opts)
			var want []written
			for i := range 30 {
				want = append(want, appendN(t, l, 1, 1, int64(i)*minute)...)
			}
			var sizes, maxTS []int64
			for i, s := range l.segments() {
				sizes = append(sizes, s.size.Load())
				ts, err := l.maxTimestamp(l.segments(), i)
				if err != nil {
					t.Fatal(err)
				}
				maxTS = append(maxTS, ts)
			}
			clock.now = time.UnixMilli(35 * minute)
			deleted, err := l.ApplyRetention(math.MaxInt64)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, l, deleted, sizes, maxTS)
			// The log start moved to a segment boundary and reads below it
			// are out of range; the rest reads back intact.
			start := l.LogStartOffset()
			i := 0
			for want[i].base < start {
				i++
			}
			if want[i].base != start {
				t.Fatalf("log start %d is not a batch boundary", start)
			}
			checkLog(t, l, want[i:])
			if start > 0 {
				if _, err := l.Read(start-1, 100, l.LogEndOffset()); !errors.Is(err, ErrOffsetOutOfRange) {
					t.Fatalf("read below log start: %v", err)
				}
			}
			if again, err := l.ApplyRetention(math.MaxInt64); err != nil || again != 0 {
				t.Fatalf("second pass deleted %d more, %v", again, err)
			}
		})
	}
}

func TestDeleteBefore(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, testOptions())
	want := appendN(t, l, 10, 1, 1000)
	want = append(want, appendN(t, l, 30, 2, 2000)...)
	segs := l.segments()
	if len(segs) < 5 {
		t.Fatalf("want several segments, have %d", len(segs))
	}
	// An offset inside segment 3 deletes segments 0..2 only.
	target := segs[3].base + 1
	if err := l.DeleteBefore(target); err != nil {
		t.Fatal(err)
	}
	if got := l.LogStartOffset(); got != segs[3].base {
		t.Fatalf("log start %d, want %d", got, segs[3].base)
	}
	i := 0
	for want[i].base < segs[3].base {
		i++
	}
	checkLog(t, l, want[i:])
	// The epoch cache starts at the new log start.
	if e := l.epochs.snapshot(); e[0].start != segs[3].base {
		t.Fatalf("epoch cache %v does not start at the log start %d", e, segs[3].base)
	}
	// Past the end: everything but the active segment.
	if err := l.DeleteBefore(l.LogEndOffset() + 10); err != nil {
		t.Fatal(err)
	}
	if n := len(l.segments()); n != 1 {
		t.Fatalf("%d segments left, want the active one", n)
	}
	if l.LogStartOffset() != l.segments()[0].base {
		t.Fatal("log start is not the active segment's base")
	}
	l.Close()
	l = openLog(t, dir, testOptions())
	if l.LogStartOffset() != l.segments()[0].base || l.LogEndOffset() != want[len(want)-1].last+1 {
		t.Fatalf("after reopen: %v", l)
	}
	if ep, off := l.EndOffsetForEpoch(2); ep != 2 || off != l.LogEndOffset() {
		t.Fatalf("EndOffsetForEpoch(2) = %d, %d", ep, off)
	}
}

// Readers racing with retention get data or ErrOffsetOutOfRange, nothing
// else.
func TestConcurrentReadsAndRetention(t *testing.T) {
	opts := testOptions()
	opts.RetentionBytes = 3000
	l := openLog(t, t.TempDir(), opts)
	done := make(chan struct{})
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			off := l.LogStartOffset()
			b, err := l.Read(off, 2000, l.LogEndOffset())
			if err != nil && !errors.Is(err, ErrOffsetOutOfRange) {
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
				b = rest
			}
		}
	}()
	for i := range 200 {
		appendN(t, l, 1, 1, int64(i))
		if i%10 == 0 {
			if _, err := l.ApplyRetention(math.MaxInt64); err != nil {
				t.Fatal(err)
			}
		}
	}
	close(done)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	if l.LogStartOffset() == 0 {
		t.Fatal("retention never ran")
	}
}

// Retention never deletes a segment holding an offset at or above the limit (the high watermark):
// followers may still need those records.
func TestApplyRetentionStopsAtLimit(t *testing.T) {
	opts := testOptions()
	opts.RetentionBytes = 1 // everything but the active segment is over the size limit
	l := openLog(t, t.TempDir(), opts)
	appendN(t, l, 60, 1, 1_000)
	segs := l.segments()
	if len(segs) < 4 {
		t.Fatalf("only %d segments; the test needs several", len(segs))
	}
	limit := segs[2].base + 1 // inside the third segment
	if _, err := l.ApplyRetention(limit); err != nil {
		t.Fatal(err)
	}
	if got := l.LogStartOffset(); got != segs[2].base {
		t.Fatalf("log start after retention below %d = %d, want %d (the third segment kept)", limit, got, segs[2].base)
	}
	if _, err := l.ApplyRetention(math.MaxInt64); err != nil {
		t.Fatal(err)
	}
	if got, want := l.LogStartOffset(), l.segments()[0].base; got != want || len(l.segments()) != 1 {
		t.Fatalf("without a limit retention kept %d segments from %d; want only the active one", len(l.segments()), got)
	}
}
