package commitlog

import (
	"errors"
	"testing"
)

func TestTruncate(t *testing.T) {
	tests := []struct {
		name string
		// to picks the truncation offset and returns how many batches stay.
		to     func(l *Log, want []written) (int64, int)
		always bool // FsyncAlways: exercises the sync-before-cut path
	}{
		{name: "at a batch boundary in the active segment", to: func(l *Log, w []written) (int64, int) {
			return w[len(w)-2].base, len(w) - 2
		}},
		{name: "inside a batch drops the whole batch", to: func(l *Log, w []written) (int64, int) {
			i := len(w) - 3
			for w[i].last == w[i].base {
				i--
			}
			return w[i].base + 1, i
		}},
		{name: "across segments", to: func(l *Log, w []written) (int64, int) { return w[20].base, 20 }, always: true},
		{name: "at a segment base", to: func(l *Log, w []written) (int64, int) {
			base := l.segments()[3].base
			i := 0
			for w[i].base != base {
				i++
			}
			return base, i
		}},
		{name: "to the log start empties the log", to: func(l *Log, w []written) (int64, int) { return 0, 0 }},
		{name: "at the log end does nothing", to: func(l *Log, w []written) (int64, int) { return l.LogEndOffset(), len(w) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := testOptions()
			if tc.always {
				opts.Fsync = FsyncPolicy{Mode: FsyncAlways}
			}
			l := openLog(t, dir, opts)
			want := appendN(t, l, 15, 1, 1000)
			want = append(want, appendN(t, l, 15, 2, 2000)...)
			want = append(want, appendN(t, l, 10, 5, 3000)...)
			off, keep := tc.to(l, want)
			if err := l.Truncate(off); err != nil {
				t.Fatal(err)
			}
			want = want[:keep]
			checkLog(t, l, want)
			checkEpochs(t, l, want)

			// Appends continue at the new end, in a new epoch, and the
			// result survives a reopen.
			more := appendN(t, l, 3, 6, 9000)
			if keep > 0 && more[0].base != want[keep-1].last+1 || keep == 0 && more[0].base != 0 {
				t.Fatalf("append after truncate at %d", more[0].base)
			}
			want = append(want, more...)
			l.Close()
			l = openLog(t, dir, opts)
			checkLog(t, l, want)
			checkEpochs(t, l, want)
		})
	}
}

func TestTruncateBelowStart(t *testing.T) {
	l := openLog(t, t.TempDir(), testOptions())
	appendN(t, l, 30, 1, 1000)
	if err := l.DeleteBefore(l.segments()[2].base); err != nil {
		t.Fatal(err)
	}
	if err := l.Truncate(l.LogStartOffset() - 1); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("truncate below log start: %v", err)
	}
}

func TestReset(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, testOptions())
	appendN(t, l, 30, 1, 1000)
	if err := l.Reset(500); err != nil {
		t.Fatal(err)
	}
	if l.LogStartOffset() != 500 || l.LogEndOffset() != 500 || len(segmentFiles(t, dir)) != 1 {
		t.Fatalf("after reset: %v", l)
	}
	if _, ok := l.LatestEpoch(); ok {
		t.Fatal("epoch cache not cleared")
	}
	if b, err := l.Read(500, 100, 500); err != nil || len(b) != 0 {
		t.Fatalf("read at the reset offset: %d bytes, %v", len(b), err)
	}
	batch := makeBatch(t, 2, 1, 1)
	batch[0], batch[7] = 0, 0
	putBase(batch, 500)
	putEpoch(batch, 9)
	if _, err := l.AppendReplica(batch); err != nil {
		t.Fatal(err)
	}
	l.Close()
	l = openLog(t, dir, testOptions())
	if l.LogStartOffset() != 500 || l.LogEndOffset() != 502 {
		t.Fatalf("after reopen: %v", l)
	}
	if ep, _ := l.LatestEpoch(); ep != 9 {
		t.Fatalf("latest epoch %d", ep)
	}
}

// checkEpochs verifies the epoch cache against the batches in the log: an
// entry for each epoch change, at the batch that starts it.
func checkEpochs(t *testing.T, l *Log, want []written) {
	t.Helper()
	var exp []epochEntry
	for _, w := range want {
		if n := len(exp); n == 0 || w.epoch > exp[n-1].epoch {
			exp = append(exp, epochEntry{w.epoch, w.base})
		}
	}
	if got := l.epochs.snapshot(); !equalEntries(got, exp) {
		t.Fatalf("epoch cache %v, want %v", got, exp)
	}
}
