package replica

import (
	"bytes"
	"errors"
	"testing"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/commitlog"
	"github.com/runnel/runnel/pkg/rpcerr"
)

// followerOf opens "t"-0 on node 1 following leader 2 at epoch 3.
func followerOf(t *testing.T) (*Manager, *Partition) {
	t.Helper()
	m := newManager(t, t.TempDir())
	m.Apply(viewOf([]*runnelv1.Topic{topicOf("t", "id1", nil)}, state("t", "id1", 0, 2, 3, []int32{2, me})), true)
	return m, mustPartition(t, m, "t", 0)
}

// readAll returns every batch of l from offset from.
func readAll(t testing.TB, l *commitlog.Log, from int64) []byte {
	t.Helper()
	b, err := l.Read(from, 1<<30, l.LogEndOffset())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// partitionBytes returns the bytes of the partition's log from offset from.
func partitionBytes(t *testing.T, p *Partition, from int64) []byte {
	t.Helper()
	p.mu.RLock()
	defer p.mu.RUnlock()
	return readAll(t, p.log, from)
}

func TestFollowerAppend(t *testing.T) {
	leader := logWith(t, 0, epochRun{1, 3}, epochRun{3, 2}) // [0, 3) epoch 1, [3, 5) epoch 3
	all := readAll(t, leader, 0)
	_, p := followerOf(t)

	pos, err := p.FollowerPosition(2, 3)
	if err != nil || pos != (Position{LeaderEpoch: 3, FetchOffset: 0, LastFetchedEpoch: -1}) {
		t.Fatalf("position %+v, %v", pos, err)
	}
	if _, err := p.FollowerPosition(2, 2); !errors.Is(err, ErrNotFollower) {
		t.Fatalf("position at another epoch: %v", err)
	}

	// A corrupt copy is refused whole: nothing is written.
	bad := bytes.Clone(all)
	bad[len(bad)-1] ^= 0xff
	if _, err := p.AppendFromLeader(2, 3, bad, 5); !errors.Is(err, commitlog.ErrCorrupt) {
		t.Fatalf("corrupt records: %v, want ErrCorrupt", err)
	}
	if pos, _ := p.FollowerPosition(2, 3); pos.FetchOffset != 0 {
		t.Fatalf("a corrupt answer moved the log to %d", pos.FetchOffset)
	}

	// Records of another leader or epoch, or not starting at the log end, are stale.
	if _, err := p.AppendFromLeader(3, 3, all, 5); !errors.Is(err, ErrNotFollower) {
		t.Fatalf("records of another leader: %v", err)
	}
	second := readAll(t, leader, 3)
	if _, err := p.AppendFromLeader(2, 3, second, 5); !errors.Is(err, ErrStaleAnswer) {
		t.Fatalf("records from offset 3 on an empty log: %v", err)
	}

	pos, err = p.AppendFromLeader(2, 3, all, 4)
	if err != nil || pos != (Position{LeaderEpoch: 3, FetchOffset: 5, LastFetchedEpoch: 3}) {
		t.Fatalf("append: %+v, %v", pos, err)
	}
	if got := partitionBytes(t, p, 0); !bytes.Equal(got, all) {
		t.Fatal("the follower's log differs from the leader's")
	}
	p.hwMu.Lock()
	hw := p.hw
	p.hwMu.Unlock()
	if hw != 4 {
		t.Fatalf("follower high watermark %d, want min(leader 4, end 5) = 4", hw)
	}
	// A high watermark update alone; never above the log end, never back.
	if _, err := p.AppendFromLeader(2, 3, nil, 9); err != nil {
		t.Fatal(err)
	}
	if _, err := p.AppendFromLeader(2, 3, nil, 1); err != nil {
		t.Fatal(err)
	}
	p.hwMu.Lock()
	hw = p.hw
	p.hwMu.Unlock()
	if hw != 5 {
		t.Fatalf("follower high watermark %d, want 5", hw)
	}
	// Followers serve no reads.
	_, err = p.Fetch(bg, FetchRequest{Offset: 0, LeaderEpoch: -1})
	wantCode(t, err, rpcerr.NotLeaderOrFollower)
}

func TestFollowerTruncateAndReset(t *testing.T) {
	follower := logWith(t, 0, epochRun{1, 3}, epochRun{2, 4}) // [0,3) epoch 1, [3,7) epoch 2
	_, p := followerOf(t)
	if _, err := p.AppendFromLeader(2, 3, readAll(t, follower, 0), 7); err != nil {
		t.Fatal(err)
	}

	// The leader has epoch 1 up to 3 only: cut there.
	pos, err := p.TruncateDiverged(2, 3, EpochEnd{Epoch: 1, EndOffset: 3})
	if err != nil || pos != (Position{LeaderEpoch: 3, FetchOffset: 3, LastFetchedEpoch: 1}) {
		t.Fatalf("truncate: %+v, %v", pos, err)
	}
	if o := p.hwSnapshot(); o != 3 {
		t.Fatalf("high watermark %d after truncation to 3", o)
	}
	if _, err := p.TruncateDiverged(2, 3, EpochEnd{Epoch: 1, EndOffset: 3}); !errors.Is(err, ErrNoProgress) {
		t.Fatalf("the same answer again: %v, want ErrNoProgress", err)
	}
	// The leader's log starts at 10: restart empty there.
	if _, err := p.ResetToLeaderStart(2, 3, 2); !errors.Is(err, ErrNoProgress) {
		t.Fatalf("reset below the log end: %v", err)
	}
	pos, err = p.ResetToLeaderStart(2, 3, 10)
	if err != nil || pos != (Position{LeaderEpoch: 3, FetchOffset: 10, LastFetchedEpoch: -1}) {
		t.Fatalf("reset: %+v, %v", pos, err)
	}
	// A leader with no epoch to compare whose end is below ours: back to its end, below our
	// start, so the log restarts there.
	pos, err = p.TruncateDiverged(2, 3, EpochEnd{Epoch: -1, EndOffset: 6})
	if err != nil || pos.FetchOffset != 6 {
		t.Fatalf("truncate below the start: %+v, %v", pos, err)
	}
}

func (p *Partition) hwSnapshot() int64 {
	p.hwMu.Lock()
	defer p.hwMu.Unlock()
	return p.hw
}

func TestObserveFollower(t *testing.T) {
	tests := []struct {
		name     string
		fetch    FollowerFetch
		wantCode *rpcerr.Code
		wantDiv  *EpochEnd
		wantHW   int64
	}{
		{"stale epoch", FollowerFetch{Follower: 2, LeaderEpoch: 2, FetchOffset: 4, LastFetchedEpoch: 3}, rpcerr.FencedLeaderEpoch, nil, 0},
		{"future epoch", FollowerFetch{Follower: 2, LeaderEpoch: 4, FetchOffset: 4, LastFetchedEpoch: 3}, rpcerr.UnknownLeaderEpoch, nil, 0},
		{"not a replica", FollowerFetch{Follower: 9, LeaderEpoch: 3, FetchOffset: 4, LastFetchedEpoch: 3}, rpcerr.NotLeaderOrFollower, nil, 0},
		{"the leader itself", FollowerFetch{Follower: me, LeaderEpoch: 3, FetchOffset: 4, LastFetchedEpoch: 3}, rpcerr.NotLeaderOrFollower, nil, 0},
		{"diverged", FollowerFetch{Follower: 2, LeaderEpoch: 3, FetchOffset: 6, LastFetchedEpoch: 3}, nil, &EpochEnd{3, 4}, 0},
		{"behind", FollowerFetch{Follower: 2, LeaderEpoch: 3, FetchOffset: 2, LastFetchedEpoch: 3}, nil, nil, 2},
		{"caught up", FollowerFetch{Follower: 2, LeaderEpoch: 3, FetchOffset: 4, LastFetchedEpoch: 3}, nil, nil, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := leaderWithClock(t, []int32{me, 2})
			appendN(t, p, 2) // [0, 4) epoch 3
			v, err := p.ObserveFollower(tt.fetch)
			if tt.wantCode != nil {
				wantCode(t, err, tt.wantCode)
			} else if err != nil {
				t.Fatal(err)
			}
			if (v.Diverging == nil) != (tt.wantDiv == nil) || (v.Diverging != nil && *v.Diverging != *tt.wantDiv) {
				t.Fatalf("diverging %+v, want %+v", v.Diverging, tt.wantDiv)
			}
			if got := offsets(t, p).HighWatermark; got != tt.wantHW {
				t.Fatalf("high watermark %d, want %d", got, tt.wantHW)
			}
		})
	}
}

func TestPositionsOfAnOlderTermDoNotCount(t *testing.T) {
	m, p := leaderOf(t, []int32{me, 2}, nil) // epoch 3
	appendN(t, p, 2)
	// A new term at epoch 4, same leader: the follower's epoch-3 position is fenced and the
	// high watermark waits for a position of epoch 4.
	m.Apply(viewOf([]*runnelv1.Topic{topicOf("t", "id1", nil)}, state("t", "id1", 0, me, 4, []int32{me, 2})), false)
	_, err := p.ObserveFollower(FollowerFetch{Follower: 2, LeaderEpoch: 3, FetchOffset: 4, LastFetchedEpoch: 3})
	wantCode(t, err, rpcerr.FencedLeaderEpoch)
	if hw := offsets(t, p).HighWatermark; hw != 0 {
		t.Fatalf("high watermark %d moved on a fenced position", hw)
	}
	if _, err := p.ObserveFollower(FollowerFetch{Follower: 2, LeaderEpoch: 4, FetchOffset: 4, LastFetchedEpoch: 3}); err != nil {
		t.Fatal(err)
	}
	if hw := offsets(t, p).HighWatermark; hw != 4 {
		t.Fatalf("high watermark %d, want 4", hw)
	}
}

func TestReadForFollower(t *testing.T) {
	p, _ := leaderWithClock(t, []int32{me, 2})
	appendN(t, p, 3) // [0, 6)
	r, err := p.ReadForFollower(3, 2, 1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.RLock()
	want := readAll(t, p.log, 2)
	p.mu.RUnlock()
	if !bytes.Equal(r.Records, want) || r.LogEnd != 6 {
		t.Fatalf("read %d bytes (end %d), want %d", len(r.Records), r.LogEnd, len(want))
	}
	// At the end: nothing, and the channels close at the next append.
	r, err = p.ReadForFollower(3, 6, 1<<20, nil)
	if err != nil || len(r.Records) != 0 {
		t.Fatalf("read at the end: %d bytes, %v", len(r.Records), err)
	}
	if isClosed(r.LogChanged) {
		t.Fatal("log channel closed before an append")
	}
	appendN(t, p, 1)
	if !isClosed(r.LogChanged) {
		t.Fatal("log channel still open after an append")
	}
	_, err = p.ReadForFollower(2, 6, 1<<20, nil)
	wantCode(t, err, rpcerr.FencedLeaderEpoch)
	_, err = p.ReadForFollower(3, 9, 1<<20, nil)
	wantCode(t, err, rpcerr.OffsetOutOfRange)
}
