package commitlog

import (
	"testing"
)

func TestEndOffsetForEpoch(t *testing.T) {
	l := openLog(t, t.TempDir(), testOptions())
	if ep, off := l.EndOffsetForEpoch(0); ep != -1 || off != -1 {
		t.Fatalf("empty log: (%d, %d), want (-1, -1)", ep, off)
	}
	// epoch 1 at [0, 10), epoch 3 at [10, 25), epoch 4 from 25.
	appendOffsets(t, l, 1, 10)
	appendOffsets(t, l, 3, 15)
	appendOffsets(t, l, 4, 5)
	end := l.LogEndOffset()
	tests := []struct {
		epoch    int32
		wantEp   int32
		wantOffs int64
	}{
		{epoch: 0, wantEp: 0, wantOffs: 0}, // below the first epoch: Kafka answers (epoch, first start)
		{epoch: 1, wantEp: 1, wantOffs: 10},
		{epoch: 2, wantEp: 1, wantOffs: 10}, // unknown, between: largest below, its end
		{epoch: 3, wantEp: 3, wantOffs: 25},
		{epoch: 4, wantEp: 4, wantOffs: end}, // latest: log end
		{epoch: 5, wantEp: -1, wantOffs: -1}, // above the latest
		{epoch: -1, wantEp: -1, wantOffs: -1},
	}
	for _, tc := range tests {
		ep, off := l.EndOffsetForEpoch(tc.epoch)
		if ep != tc.wantEp || off != tc.wantOffs {
			t.Errorf("EndOffsetForEpoch(%d) = (%d, %d), want (%d, %d)", tc.epoch, ep, off, tc.wantEp, tc.wantOffs)
		}
	}
	if ep, ok := l.LatestEpoch(); !ok || ep != 4 {
		t.Fatalf("LatestEpoch = %d, %v", ep, ok)
	}
}

// appendOffsets appends n single-record batches in epoch.
func appendOffsets(t *testing.T, l *Log, epoch int32, n int) {
	t.Helper()
	for range n {
		if _, err := l.Append(makeBatch(t, 1, 1000, 3), epoch); err != nil {
			t.Fatal(err)
		}
	}
}

func TestEpochCache(t *testing.T) {
	type op struct {
		kind  string // assign, end, start
		epoch int32
		off   int64
	}
	tests := []struct {
		name string
		ops  []op
		want []epochEntry
	}{
		{"assign in order", []op{{"assign", 1, 0}, {"assign", 2, 5}}, []epochEntry{{1, 0}, {2, 5}}},
		{"older epoch ignored", []op{{"assign", 2, 0}, {"assign", 1, 5}}, []epochEntry{{2, 0}}},
		{"same start replaces", []op{{"assign", 1, 0}, {"assign", 2, 5}, {"assign", 3, 5}}, []epochEntry{{1, 0}, {3, 5}}},
		{"truncate from end", []op{{"assign", 1, 0}, {"assign", 2, 5}, {"assign", 3, 9}, {"end", 0, 5}}, []epochEntry{{1, 0}}},
		{"truncate from end keeps earlier", []op{{"assign", 1, 0}, {"assign", 2, 5}, {"end", 0, 6}}, []epochEntry{{1, 0}, {2, 5}}},
		{"truncate from start moves first", []op{{"assign", 1, 0}, {"assign", 2, 5}, {"assign", 3, 9}, {"start", 0, 7}}, []epochEntry{{2, 7}, {3, 9}}},
		{"truncate from start at an entry", []op{{"assign", 1, 0}, {"assign", 2, 5}, {"start", 0, 5}}, []epochEntry{{2, 5}}},
		{"truncate from start before all", []op{{"assign", 1, 3}, {"start", 0, 1}}, []epochEntry{{1, 3}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c epochCache
			for _, o := range tc.ops {
				switch o.kind {
				case "assign":
					c.assign(o.epoch, o.off)
				case "end":
					c.truncateFromEnd(o.off)
				case "start":
					c.truncateFromStart(o.off)
				}
			}
			if got := c.snapshot(); !equalEntries(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			// The checkpoint round-trips.
			dir := t.TempDir()
			if err := writeFileAtomic(dir, epochCheckpointFile, encodeEpochs(c.snapshot())); err != nil {
				t.Fatal(err)
			}
			back, ok, err := readEpochCheckpoint(dir)
			if err != nil || !ok || !equalEntries(back, tc.want) {
				t.Fatalf("checkpoint round trip: %v %v %v", back, ok, err)
			}
		})
	}
}
