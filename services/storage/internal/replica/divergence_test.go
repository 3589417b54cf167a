package replica

import (
	"testing"

	"github.com/runnel/runnel/pkg/commitlog"
)

// epochRun is a run of records written in one leader epoch.
type epochRun struct {
	epoch int32
	n     int // records, one batch
}

// logWith opens a log (starting at start) holding one batch per run, in order.
func logWith(t *testing.T, start int64, runs ...epochRun) *commitlog.Log {
	t.Helper()
	l, err := commitlog.Open(t.TempDir(), commitlog.Options{Fsync: commitlog.FsyncPolicy{Mode: commitlog.FsyncNever}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	if start > 0 {
		if err := l.Reset(start); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range runs {
		if _, err := l.Append(batch(t, r.n, 4), r.epoch); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

// leaderView is what checkPosition reads of a leader in epoch with log l.
func leaderView(l *commitlog.Log, epoch int32) leaderLog {
	latest, ok := l.LatestEpoch()
	return leaderLog{
		start: l.LogStartOffset(), end: l.LogEndOffset(), epoch: epoch, latest: latest, hasLatest: ok,
		endFor: l.EndOffsetForEpoch,
	}
}

func TestCheckPosition(t *testing.T) {
	// The leader's log: epoch 1 holds [0, 5), epoch 3 holds [5, 10).
	two := []epochRun{{1, 5}, {3, 5}}
	tests := []struct {
		name        string
		start       int64 // leader log start
		runs        []epochRun
		epoch       int32 // the leader's current epoch
		fetch       int64
		last        int32
		want        positionCheck
		wantDiverge EpochEnd
	}{
		{"empty follower", 0, two, 3, 0, -1, positionOK, EpochEnd{}},
		{"prefix in the latest epoch", 0, two, 3, 7, 3, positionOK, EpochEnd{}},
		{"caught up", 0, two, 3, 10, 3, positionOK, EpochEnd{}},
		{"end of an older epoch", 0, two, 3, 5, 1, positionOK, EpochEnd{}},
		{"ahead in the latest epoch", 0, two, 3, 12, 3, positionDiverged, EpochEnd{3, 10}},
		{"more of an older epoch than the leader", 0, two, 3, 7, 1, positionDiverged, EpochEnd{1, 5}},
		{"an epoch the leader never had", 0, two, 3, 8, 2, positionDiverged, EpochEnd{1, 5}},
		{"an epoch below the leader's first", 0, two, 3, 3, 0, positionDiverged, EpochEnd{0, 0}},
		{"the leader's own epoch, not written yet", 0, two, 4, 12, 4, positionDiverged, EpochEnd{4, 10}},
		{"the leader's own epoch at its end", 0, two, 4, 10, 4, positionOK, EpochEnd{}},
		{"an epoch between the leader's log and its term", 0, two, 6, 12, 5, positionDiverged, EpochEnd{3, 10}},
		{"an epoch above the leader's", 0, two, 3, 12, 7, positionDiverged, EpochEnd{-1, -1}},
		{"no epoch, ahead of the leader", 0, two, 3, 15, -1, positionDiverged, EpochEnd{-1, 10}},
		{"empty leader log, older epoch", 0, nil, 2, 5, 1, positionDiverged, EpochEnd{1, 0}},
		{"below the log start", 100, []epochRun{{2, 5}}, 2, 50, -1, positionOutOfRange, EpochEnd{}},
		{"below the log start, epoch before the first", 100, []epochRun{{2, 5}}, 2, 50, 1, positionOutOfRange, EpochEnd{}},
		{"at the log start", 100, []epochRun{{2, 5}}, 2, 100, -1, positionOK, EpochEnd{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := logWith(t, tt.start, tt.runs...)
			got, div := checkPosition(leaderView(l, tt.epoch), tt.fetch, tt.last)
			if got != tt.want || div != tt.wantDiverge {
				t.Fatalf("checkPosition(fetch %d, last epoch %d) = %v %+v, want %v %+v", tt.fetch, tt.last, got, div, tt.want, tt.wantDiverge)
			}
		})
	}
}

func TestTruncationPoint(t *testing.T) {
	// The follower's log: epoch 1 holds [0, 5), epoch 2 holds [5, 10).
	runs := []epochRun{{1, 5}, {2, 5}}
	tests := []struct {
		name string
		div  EpochEnd
		hw   int64
		want int64
	}{
		{"same epoch, leader shorter", EpochEnd{2, 7}, 0, 7},
		{"same epoch, leader longer", EpochEnd{2, 12}, 0, 10},
		{"older epoch ends earlier here", EpochEnd{1, 7}, 0, 5},
		{"older epoch ends earlier at the leader", EpochEnd{1, 3}, 0, 3},
		{"epoch unknown here, below the first", EpochEnd{0, 3}, 0, 0},
		{"no epoch in the answer", EpochEnd{-1, 6}, 0, 6},
		{"leader end unknown: the high watermark", EpochEnd{-1, -1}, 4, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := logWith(t, 0, runs...)
			if got := truncationPoint(tt.div, l.EndOffsetForEpoch, l.LogEndOffset(), tt.hw); got != tt.want {
				t.Fatalf("truncationPoint(%+v) = %d, want %d", tt.div, got, tt.want)
			}
		})
	}
	t.Run("the follower lacks the leader's epoch", func(t *testing.T) {
		// Follower: epoch 1 [0, 5), epoch 3 [5, 10). The leader answers epoch 2: the follower's
		// largest epoch at or below 2 is 1, ending at 5.
		l := logWith(t, 0, epochRun{1, 5}, epochRun{3, 5})
		if got := truncationPoint(EpochEnd{2, 8}, l.EndOffsetForEpoch, l.LogEndOffset(), 0); got != 5 {
			t.Fatalf("got %d, want 5", got)
		}
	})
}

// TestDivergenceConverges runs the exchange between a leader and a follower log to its end: the
// follower truncates as answered until the leader accepts its position, and its log is then a
// prefix of the leader's.
func TestDivergenceConverges(t *testing.T) {
	tests := []struct {
		name     string
		leader   []epochRun
		epoch    int32
		follower []epochRun
		want     int64 // the follower's end once accepted
	}{
		{"follower has an unreplicated tail", []epochRun{{0, 3}, {2, 4}}, 2, []epochRun{{0, 3}, {1, 5}}, 3},
		{"follower ahead in the same epoch", []epochRun{{0, 3}}, 1, []epochRun{{0, 3}, {0, 2}}, 3},
		{"follower behind", []epochRun{{0, 3}, {1, 3}}, 1, []epochRun{{0, 3}}, 3},
		{"two unknown epochs", []epochRun{{0, 2}, {5, 2}}, 5, []epochRun{{0, 2}, {2, 2}, {3, 2}}, 2},
		{"leader wrote nothing in its term", []epochRun{{0, 4}}, 3, []epochRun{{0, 2}, {2, 6}}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ld := logWith(t, 0, tt.leader...)
			fl := logWith(t, 0, tt.follower...)
			for range 10 {
				last, ok := fl.LatestEpoch()
				if !ok {
					last = -1
				}
				verdict, div := checkPosition(leaderView(ld, tt.epoch), fl.LogEndOffset(), last)
				if verdict == positionOK {
					if got := fl.LogEndOffset(); got != tt.want {
						t.Fatalf("accepted at %d, want %d", got, tt.want)
					}
					return
				}
				if verdict != positionDiverged {
					t.Fatalf("verdict %v", verdict)
				}
				to := truncationPoint(div, fl.EndOffsetForEpoch, fl.LogEndOffset(), 0)
				if to >= fl.LogEndOffset() {
					t.Fatalf("answer %+v does not move the follower's end %d", div, fl.LogEndOffset())
				}
				if err := fl.Truncate(to); err != nil {
					t.Fatal(err)
				}
			}
			t.Fatal("no agreement after 10 rounds")
		})
	}
}
