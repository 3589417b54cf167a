package replica

import (
	"slices"
	"sync"
	"testing"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/commitlog"
)

func TestNextISR(t *testing.T) {
	t0 := time.Unix(1000, 0)
	lag := 10 * time.Second
	tests := []struct {
		name      string
		isr       []int32
		followers map[int32]progress
		now       time.Time
		want      []int32
	}{
		{"all caught up", []int32{1, 2, 3}, map[int32]progress{2: {100, t0}, 3: {100, t0}}, t0.Add(time.Hour), []int32{1, 2, 3}},
		{"behind within the lag", []int32{1, 2, 3}, map[int32]progress{2: {100, t0}, 3: {50, t0}}, t0.Add(lag), []int32{1, 2, 3}},
		{"behind past the lag", []int32{1, 2, 3}, map[int32]progress{2: {100, t0}, 3: {50, t0}}, t0.Add(lag + 1), []int32{1, 2}},
		{"never reported, within the lag of the term", []int32{1, 2, 3}, map[int32]progress{2: {100, t0}}, t0.Add(lag), []int32{1, 2, 3}},
		{"never reported past the lag", []int32{1, 2, 3}, map[int32]progress{2: {100, t0}}, t0.Add(lag + 1), []int32{1, 2}},
		{"both out", []int32{1, 2, 3}, nil, t0.Add(lag + 1), []int32{1}},
		{"back in at the high watermark", []int32{1, 2}, map[int32]progress{2: {100, t0}, 3: {80, t0}}, t0, []int32{1, 2, 3}},
		{"not yet at the high watermark", []int32{1, 2}, map[int32]progress{2: {100, t0}, 3: {79, t0}}, t0, []int32{1, 2}},
		{"at the high watermark but before the term began", []int32{1}, map[int32]progress{3: {80, t0}}, t0, []int32{1}},
		{"one out, one in, in replica order", []int32{1, 3}, map[int32]progress{2: {100, t0}, 3: {10, t0}}, t0.Add(lag + 1), []int32{1, 2}},
		{"leader missing from the ISR", []int32{2}, map[int32]progress{2: {100, t0}}, t0, []int32{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := isrInput{
				leader: 1, isr: tt.isr, replicas: []int32{1, 2, 3}, followers: tt.followers,
				leaderEnd: 100, hw: 80, termStart: 80, termBegan: t0, now: tt.now, lag: lag,
			}
			if tt.name == "at the high watermark but before the term began" {
				in.termStart = 90
			}
			if got := nextISR(in); !slices.Equal(got, tt.want) {
				t.Fatalf("nextISR = %v, want %v", got, tt.want)
			}
		})
	}
}

// clock is a settable clock for a Manager.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// leaderWithClock opens "t"-0 led by this node (epoch 3) with replicas 1, 2, 3 and the ISR
// given, on a manager whose clock the test moves.
func leaderWithClock(t *testing.T, isr []int32) (*Partition, *clock) {
	t.Helper()
	c := &clock{now: time.Unix(1000, 0)}
	m, err := NewManager(Config{NodeID: me, DataDir: t.TempDir(), Fsync: commitlog.FsyncPolicy{Mode: commitlog.FsyncNever}, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	ps := &runnelv1.PartitionState{Topic: "t", TopicId: "id1", Leader: me, LeaderEpoch: 3, PartitionEpoch: 7,
		Isr: isr, Replicas: []int32{me, 2, 3}}
	m.Apply(viewOf([]*runnelv1.Topic{topicOf("t", "id1", map[string]string{ConfigReplicaLagTimeMs: "1000"})}, ps), true)
	return mustPartition(t, m, "t", 0), c
}

func observe(t *testing.T, p *Partition, follower int32, fetch int64, last int32) FollowerVerdict {
	t.Helper()
	v, err := p.ObserveFollower(FollowerFetch{Follower: follower, LeaderEpoch: 3, FetchOffset: fetch, LastFetchedEpoch: last})
	if err != nil {
		t.Fatalf("ObserveFollower(%d at %d): %v", follower, fetch, err)
	}
	return v
}

func TestCheckISR(t *testing.T) {
	t.Run("a stuck follower leaves, then rejoins", func(t *testing.T) {
		p, c := leaderWithClock(t, []int32{me, 2, 3})
		appendN(t, p, 1) // offsets 0-1 (epoch 3)
		observe(t, p, 2, 2, 3)
		observe(t, p, 3, 2, 3)
		if _, ok := p.CheckISR(); ok {
			t.Fatal("change proposed with every follower caught up")
		}
		// Idle for long: caught-up followers stay in.
		c.Add(time.Hour)
		if ch, ok := p.CheckISR(); ok {
			t.Fatalf("idle caught-up followers proposed out: %+v", ch)
		}
		appendN(t, p, 1) // to 4
		observe(t, p, 2, 4, 3)
		c.Add(time.Second) // 3 is behind, but for exactly the lag
		if ch, ok := p.CheckISR(); ok {
			t.Fatalf("proposed %+v at the lag", ch)
		}
		c.Add(time.Millisecond)
		ch, ok := p.CheckISR()
		if !ok || !slices.Equal(ch.NewISR, []int32{me, 2}) || !slices.Equal(ch.Removed(), []int32{3}) || len(ch.Added()) != 0 {
			t.Fatalf("CheckISR = %+v %v, want 3 removed", ch, ok)
		}
		if ch.LeaderEpoch != 3 || ch.PartitionEpoch != 7 {
			t.Fatalf("proposal based on epochs %d/%d, want 3/7", ch.LeaderEpoch, ch.PartitionEpoch)
		}
		p.ApplyState(&runnelv1.PartitionState{Topic: "t", TopicId: "id1", Leader: me, LeaderEpoch: 3, PartitionEpoch: 8,
			Isr: ch.NewISR, Replicas: []int32{me, 2, 3}})
		if _, ok := p.CheckISR(); ok {
			t.Fatal("proposal repeated after it was applied")
		}
		if o := offsets(t, p); o.HighWatermark != 4 {
			t.Fatalf("high watermark %d after the shrink, want 4", o.HighWatermark)
		}
		// 3 catches up: eligible at once.
		if v := observe(t, p, 3, 4, 3); !v.Expand {
			t.Fatalf("verdict %+v: want Expand", v)
		}
		ch, ok = p.CheckISR()
		if !ok || !slices.Equal(ch.NewISR, []int32{me, 2, 3}) || !slices.Equal(ch.Added(), []int32{3}) {
			t.Fatalf("CheckISR = %+v %v, want 3 added", ch, ok)
		}
	})
	t.Run("a follower reaching the previous end stays caught up", func(t *testing.T) {
		p, c := leaderWithClock(t, []int32{me, 2})
		appendN(t, p, 1) // end 2
		c.Add(500 * time.Millisecond)
		observe(t, p, 2, 0, -1) // behind; the leader's end is 2 at this position (t+0.5s)
		c.Add(400 * time.Millisecond)
		appendN(t, p, 1)       // end 4
		observe(t, p, 2, 2, 3) // reached 2, the end at its previous position: caught up as of t+0.5s
		c.Add(500 * time.Millisecond)
		if ch, ok := p.CheckISR(); ok { // t+1.4s: 0.9s since caught up
			t.Fatalf("follower proposed out: %+v", ch)
		}
		c.Add(200 * time.Millisecond)
		if ch, ok := p.CheckISR(); !ok || !slices.Equal(ch.Removed(), []int32{2}) {
			t.Fatalf("CheckISR = %+v %v, want 2 removed", ch, ok)
		}
	})
	t.Run("stale states are ignored", func(t *testing.T) {
		p, _ := leaderWithClock(t, []int32{me, 2, 3})
		p.ApplyState(&runnelv1.PartitionState{Topic: "t", TopicId: "id1", Leader: me, LeaderEpoch: 3, PartitionEpoch: 6,
			Isr: []int32{me}, Replicas: []int32{me, 2, 3}})
		p.ApplyState(&runnelv1.PartitionState{Topic: "t", TopicId: "other", Leader: me, LeaderEpoch: 3, PartitionEpoch: 9,
			Isr: []int32{me}, Replicas: []int32{me, 2, 3}})
		if h := p.Health(); h.UnderReplicated {
			t.Fatalf("stale state applied: %+v", h)
		}
	})
}

func TestHealth(t *testing.T) {
	p, _ := leaderWithClock(t, []int32{me, 2})
	appendN(t, p, 4) // end 8
	observe(t, p, 2, 6, 3)
	h := p.Health()
	if !h.Leading || !h.UnderReplicated || h.MaxLag != 8 { // 3 never reported: the whole log
		t.Fatalf("health %+v", h)
	}
	observe(t, p, 3, 4, 3)
	if h := p.Health(); h.MaxLag != 4 {
		t.Fatalf("health %+v, want lag 4", h)
	}
}
