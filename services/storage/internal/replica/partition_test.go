package replica

import (
	"bytes"
	"context"
	"testing"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/record"
	"github.com/runnel/runnel/pkg/rpcerr"
)

// leaderOf opens topic "t" partition 0 led by this node with the ISR and configs given.
func leaderOf(t *testing.T, isr []int32, configs map[string]string) (*Manager, *Partition) {
	t.Helper()
	m := newManager(t, t.TempDir())
	m.Apply(viewOf([]*runnelv1.Topic{topicOf("t", "id1", configs)}, state("t", "id1", 0, me, 3, isr)), true)
	return m, mustPartition(t, m, "t", 0)
}

func offsets(t *testing.T, p *Partition) Offsets {
	t.Helper()
	o, err := p.Offsets()
	if err != nil {
		t.Fatalf("Offsets: %v", err)
	}
	return o
}

func TestHighWatermarkFollowsISR(t *testing.T) {
	tests := []struct {
		name      string
		isr       []int32
		followers map[int32]int64 // reported after the append
		wantHW    int64
	}{
		{"alone in the ISR", []int32{me}, nil, 5},
		{"follower not heard from", []int32{me, 2}, nil, 0},
		{"follower behind", []int32{me, 2, 3}, map[int32]int64{2: 5, 3: 2}, 2},
		{"followers caught up", []int32{me, 2, 3}, map[int32]int64{2: 5, 3: 5}, 5},
		{"follower ahead counts as the leader's end", []int32{me, 2}, map[int32]int64{2: 9}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, p := leaderOf(t, tt.isr, nil)
			res, err := p.Append(bg, AppendRequest{LeaderEpoch: -1, Acks: AcksLeader, Batch: batch(t, 5, 10)})
			if err != nil {
				t.Fatal(err)
			}
			if res.BaseOffset != 0 || res.LastOffset != 4 || res.LogEnd != 5 {
				t.Fatalf("append result %+v", res)
			}
			for node, leo := range tt.followers {
				reportFollower(p, node, leo)
			}
			if got := offsets(t, p).HighWatermark; got != tt.wantHW {
				t.Fatalf("high watermark %d, want %d", got, tt.wantHW)
			}
			// Fetch never returns data at or above the high watermark.
			if tt.wantHW == 0 {
				res, err := p.Fetch(bg, FetchRequest{Offset: 0, LeaderEpoch: -1})
				if err != nil || len(res.Records) != 0 {
					t.Fatalf("fetch at hw: %d bytes, %v", len(res.Records), err)
				}
				_, err = p.Fetch(bg, FetchRequest{Offset: 1, LeaderEpoch: -1})
				wantCode(t, err, rpcerr.OffsetOutOfRange)
			}
		})
	}
}

func TestAcksAll(t *testing.T) {
	t.Run("waits for the ISR", func(t *testing.T) {
		_, p := leaderOf(t, []int32{me, 2}, nil)
		ch := async(t, func() (AppendResult, error) {
			return p.Append(bg, AppendRequest{LeaderEpoch: 3, Acks: AcksAll, Batch: batch(t, 3, 10)})
		})
		eventually(t, "batch written", func() bool { return offsets(t, p).LogEnd == 3 })
		reportFollower(p, 2, 2)
		select {
		case r := <-ch:
			t.Fatalf("acks=all answered before the follower had the batch: %+v", r)
		default:
		}
		reportFollower(p, 2, 3)
		r := await(t, ch)
		if r.err != nil || r.v.LastOffset != 2 || r.v.HighWatermark != 3 {
			t.Fatalf("append = %+v, %v", r.v, r.err)
		}
	})
	t.Run("times out", func(t *testing.T) {
		_, p := leaderOf(t, []int32{me, 2}, nil)
		_, err := p.Append(bg, AppendRequest{LeaderEpoch: -1, Acks: AcksAll, Batch: batch(t, 1, 10), Timeout: 20 * time.Millisecond})
		wantCode(t, err, rpcerr.RequestTimedOut)
		if o := offsets(t, p); o.LogEnd != 1 || o.HighWatermark != 0 {
			t.Fatalf("offsets %+v: the batch stays written, below no high watermark", o)
		}
	})
	t.Run("context ends", func(t *testing.T) {
		_, p := leaderOf(t, []int32{me, 2}, nil)
		ctx, cancel := context.WithCancel(bg)
		ch := async(t, func() (AppendResult, error) {
			return p.Append(ctx, AppendRequest{LeaderEpoch: -1, Acks: AcksAll, Batch: batch(t, 1, 10)})
		})
		eventually(t, "batch written", func() bool { return offsets(t, p).LogEnd == 1 })
		cancel()
		wantCode(t, await(t, ch).err, rpcerr.RequestTimedOut)
	})
	t.Run("ISR shrinks below min.insync.replicas", func(t *testing.T) {
		m, p := leaderOf(t, []int32{me, 2}, map[string]string{"min.insync.replicas": "2"})
		ch := async(t, func() (AppendResult, error) {
			return p.Append(bg, AppendRequest{LeaderEpoch: -1, Acks: AcksAll, Batch: batch(t, 1, 10)})
		})
		eventually(t, "batch written", func() bool { return offsets(t, p).LogEnd == 1 })
		shrunk := state("t", "id1", 0, me, 3, []int32{me}, 2)
		shrunk.PartitionEpoch = 4
		m.Apply(viewOf([]*runnelv1.Topic{topicOf("t", "id1", map[string]string{"min.insync.replicas": "2"})}, shrunk), false)
		wantCode(t, await(t, ch).err, rpcerr.NotEnoughReplicasAfterAppend)
	})
	t.Run("leadership moves", func(t *testing.T) {
		m, p := leaderOf(t, []int32{me, 2}, nil)
		ch := async(t, func() (AppendResult, error) {
			return p.Append(bg, AppendRequest{LeaderEpoch: -1, Acks: AcksAll, Batch: batch(t, 1, 10)})
		})
		eventually(t, "batch written", func() bool { return offsets(t, p).LogEnd == 1 })
		m.Apply(viewOf([]*runnelv1.Topic{topicOf("t", "id1", nil)}, state("t", "id1", 0, 2, 4, []int32{2, me})), false)
		wantCode(t, await(t, ch).err, rpcerr.NotLeaderOrFollower)
		if p.Leading() {
			t.Fatal("still leading")
		}
	})
}

func TestAppendRefusals(t *testing.T) {
	good := func(t *testing.T) []byte { return batch(t, 2, 10) }
	corrupt := func(t *testing.T) []byte {
		b := batch(t, 2, 10)
		b[len(b)-1] ^= 0xff
		return b
	}
	tests := []struct {
		name    string
		isr     []int32
		configs map[string]string
		req     func(t *testing.T) AppendRequest
		want    *rpcerr.Code
	}{
		{"stale epoch", []int32{me}, nil, func(t *testing.T) AppendRequest {
			return AppendRequest{LeaderEpoch: 2, Acks: AcksLeader, Batch: good(t)}
		}, rpcerr.FencedLeaderEpoch},
		{"newer epoch", []int32{me}, nil, func(t *testing.T) AppendRequest {
			return AppendRequest{LeaderEpoch: 4, Acks: AcksLeader, Batch: good(t)}
		}, rpcerr.UnknownLeaderEpoch},
		{"too large", []int32{me}, map[string]string{"max.message.bytes": "100"}, func(t *testing.T) AppendRequest {
			return AppendRequest{LeaderEpoch: -1, Acks: AcksLeader, Batch: batch(t, 2, 100)}
		}, rpcerr.MessageTooLarge},
		{"bad crc", []int32{me}, nil, func(t *testing.T) AppendRequest {
			return AppendRequest{LeaderEpoch: -1, Acks: AcksLeader, Batch: corrupt(t)}
		}, rpcerr.CorruptMessage},
		{"truncated", []int32{me}, nil, func(t *testing.T) AppendRequest {
			b := good(t)
			return AppendRequest{LeaderEpoch: -1, Acks: AcksLeader, Batch: b[:len(b)-3]}
		}, rpcerr.CorruptMessage},
		{"empty", []int32{me}, nil, func(t *testing.T) AppendRequest {
			return AppendRequest{LeaderEpoch: -1, Acks: AcksLeader}
		}, rpcerr.CorruptMessage},
		{"not enough replicas", []int32{me}, map[string]string{"min.insync.replicas": "2"}, func(t *testing.T) AppendRequest {
			return AppendRequest{LeaderEpoch: -1, Acks: AcksAll, Batch: good(t)}
		}, rpcerr.NotEnoughReplicas},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, p := leaderOf(t, tt.isr, tt.configs)
			_, err := p.Append(bg, tt.req(t))
			wantCode(t, err, tt.want)
			if o := offsets(t, p); o.LogEnd != 0 {
				t.Fatalf("log end %d after a refused append: something was written", o.LogEnd)
			}
		})
	}
	t.Run("acks=1 ignores min.insync.replicas", func(t *testing.T) {
		_, p := leaderOf(t, []int32{me}, map[string]string{"min.insync.replicas": "2"})
		if _, err := p.Append(bg, AppendRequest{LeaderEpoch: -1, Acks: AcksLeader, Batch: good(t)}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestFetch(t *testing.T) {
	m, p := leaderOf(t, []int32{me}, nil)
	var want []byte
	for i := range 3 {
		b := batch(t, 2, 10)
		if _, err := p.Append(bg, AppendRequest{LeaderEpoch: 3, Acks: AcksAll, Batch: b}); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		want = append(want, b...) // Append set base offset and epoch in place
	}
	t.Run("whole log", func(t *testing.T) {
		res, err := p.Fetch(bg, FetchRequest{Offset: 0, LeaderEpoch: 3})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(res.Records, want) || res.HighWatermark != 6 || res.LogEnd != 6 || res.LogStart != 0 {
			t.Fatalf("fetch: %d bytes, offsets %+v", len(res.Records), res.Offsets)
		}
	})
	t.Run("from the middle of a batch", func(t *testing.T) {
		res, err := p.Fetch(bg, FetchRequest{Offset: 3, LeaderEpoch: -1})
		if err != nil {
			t.Fatal(err)
		}
		h, err := record.ParseHeader(res.Records)
		if err != nil || h.BaseOffset != 2 || h.PartitionLeaderEpoch != 3 {
			t.Fatalf("first batch %+v, %v; want base offset 2 epoch 3", h, err)
		}
	})
	t.Run("max bytes returns at least one batch", func(t *testing.T) {
		res, err := p.Fetch(bg, FetchRequest{Offset: 0, MaxBytes: 1, LeaderEpoch: -1})
		if err != nil {
			t.Fatal(err)
		}
		if _, rest, err := record.Next(res.Records); err != nil || len(rest) != 0 {
			t.Fatalf("want exactly one batch, got %d bytes (%v)", len(res.Records), err)
		}
	})
	t.Run("out of range", func(t *testing.T) {
		_, err := p.Fetch(bg, FetchRequest{Offset: 7, LeaderEpoch: -1})
		wantCode(t, err, rpcerr.OffsetOutOfRange)
		_, err = p.Fetch(bg, FetchRequest{Offset: -1, LeaderEpoch: -1})
		wantCode(t, err, rpcerr.OffsetOutOfRange)
	})
	t.Run("at the high watermark without wait", func(t *testing.T) {
		res, err := p.Fetch(bg, FetchRequest{Offset: 6, LeaderEpoch: -1})
		if err != nil || len(res.Records) != 0 || res.HighWatermark != 6 {
			t.Fatalf("fetch at hw: %d bytes, %+v, %v", len(res.Records), res.Offsets, err)
		}
	})
	t.Run("long poll times out empty", func(t *testing.T) {
		start := time.Now()
		res, err := p.Fetch(bg, FetchRequest{Offset: 6, MaxWait: 30 * time.Millisecond, LeaderEpoch: -1})
		if err != nil || len(res.Records) != 0 {
			t.Fatalf("fetch: %d bytes, %v", len(res.Records), err)
		}
		if d := time.Since(start); d < 30*time.Millisecond {
			t.Fatalf("returned after %v, before max wait", d)
		}
	})
	t.Run("long poll wakes on append", func(t *testing.T) {
		ch := async(t, func() (FetchResult, error) {
			return p.Fetch(bg, FetchRequest{Offset: 6, MaxWait: time.Minute, LeaderEpoch: -1})
		})
		eventually(t, "fetch waiting", func() bool { f, _ := m.Waiting(); return f == 1 })
		b := batch(t, 1, 10)
		if _, err := p.Append(bg, AppendRequest{LeaderEpoch: -1, Acks: AcksLeader, Batch: b}); err != nil {
			t.Fatal(err)
		}
		r := await(t, ch)
		if r.err != nil || !bytes.Equal(r.v.Records, b) {
			t.Fatalf("long poll: %d bytes, %v", len(r.v.Records), r.err)
		}
	})
	t.Run("long poll ends with the partition", func(t *testing.T) {
		ch := async(t, func() (FetchResult, error) {
			return p.Fetch(bg, FetchRequest{Offset: 7, MaxWait: time.Minute, LeaderEpoch: -1})
		})
		if err := p.close(); err != nil {
			t.Fatal(err)
		}
		wantCode(t, await(t, ch).err, rpcerr.NotLeaderOrFollower)
	})
}

func TestDrainEndsWaits(t *testing.T) {
	m, p := leaderOf(t, []int32{me, 2}, nil)
	fetch := async(t, func() (FetchResult, error) {
		return p.Fetch(bg, FetchRequest{Offset: 0, MaxWait: time.Minute, LeaderEpoch: -1})
	})
	appended := async(t, func() (AppendResult, error) {
		return p.Append(bg, AppendRequest{LeaderEpoch: -1, Acks: AcksAll, Batch: batch(t, 1, 10)})
	})
	eventually(t, "both waiting", func() bool { f, a := m.Waiting(); return f == 1 && a == 1 })
	m.Drain()
	if r := await(t, fetch); r.err != nil || len(r.v.Records) != 0 {
		t.Fatalf("drained fetch: %d bytes, %v", len(r.v.Records), r.err)
	}
	wantCode(t, await(t, appended).err, rpcerr.NotLeaderOrFollower)
	start := time.Now()
	if _, err := p.Fetch(bg, FetchRequest{Offset: 0, MaxWait: time.Minute, LeaderEpoch: -1}); err != nil || time.Since(start) > 5*time.Second {
		t.Fatalf("fetch after drain waited %v (%v)", time.Since(start), err)
	}
}
