package replica

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
)

func dirExists(t *testing.T, path string) bool {
	t.Helper()
	_, err := os.Stat(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

func appendN(t *testing.T, p *Partition, batches int) {
	t.Helper()
	for range batches {
		if _, err := p.Append(bg, AppendRequest{LeaderEpoch: -1, Acks: AcksLeader, Batch: batch(t, 2, 100)}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestApply(t *testing.T) {
	topics := func(ts ...*runnelv1.Topic) []*runnelv1.Topic { return ts }
	tests := []struct {
		name string
		// before is applied (as a snapshot) and 2 batches appended to t-0; then after is applied.
		after      func() (v []*runnelv1.Topic, parts []*runnelv1.PartitionState, reset bool)
		wantHosted bool
		wantDir    bool
		wantEnd    int64 // log end of t-0 when hosted
		wantLeader bool
	}{
		{"unchanged", func() ([]*runnelv1.Topic, []*runnelv1.PartitionState, bool) {
			return topics(topicOf("t", "id1", nil)), []*runnelv1.PartitionState{state("t", "id1", 0, me, 0, []int32{me})}, false
		}, true, true, 4, true},
		{"topic deleted", func() ([]*runnelv1.Topic, []*runnelv1.PartitionState, bool) {
			return nil, nil, false
		}, false, false, 0, false},
		{"topic absent from a snapshot", func() ([]*runnelv1.Topic, []*runnelv1.PartitionState, bool) {
			return topics(topicOf("other", "id9", nil)), nil, true
		}, false, false, 0, false},
		{"topic recreated", func() ([]*runnelv1.Topic, []*runnelv1.PartitionState, bool) {
			return topics(topicOf("t", "id2", nil)), []*runnelv1.PartitionState{state("t", "id2", 0, me, 0, []int32{me})}, false
		}, true, true, 0, true},
		{"replica moved away", func() ([]*runnelv1.Topic, []*runnelv1.PartitionState, bool) {
			return topics(topicOf("t", "id1", nil)), []*runnelv1.PartitionState{state("t", "id1", 0, 2, 1, []int32{2})}, false
		}, false, false, 0, false},
		{"became follower", func() ([]*runnelv1.Topic, []*runnelv1.PartitionState, bool) {
			return topics(topicOf("t", "id1", nil)), []*runnelv1.PartitionState{state("t", "id1", 0, 2, 1, []int32{2, me})}, false
		}, true, true, 4, false},
		{"stale state ignored", func() ([]*runnelv1.Topic, []*runnelv1.PartitionState, bool) {
			old := state("t", "id1", 0, 2, 0, []int32{2, me})
			old.PartitionEpoch = -1
			return topics(topicOf("t", "id1", nil)), []*runnelv1.PartitionState{old}, false
		}, true, true, 4, true},
		{"partition state absent keeps the replica", func() ([]*runnelv1.Topic, []*runnelv1.PartitionState, bool) {
			return topics(topicOf("t", "id1", nil)), nil, false
		}, true, true, 4, true},
		{"log options change reopens the log", func() ([]*runnelv1.Topic, []*runnelv1.PartitionState, bool) {
			return topics(topicOf("t", "id1", map[string]string{"segment.bytes": "1000"})),
				[]*runnelv1.PartitionState{state("t", "id1", 0, me, 0, []int32{me})}, false
		}, true, true, 4, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			m := newManager(t, dir)
			m.Apply(viewOf([]*runnelv1.Topic{topicOf("t", "id1", nil)}, state("t", "id1", 0, me, 0, []int32{me})), true)
			appendN(t, mustPartition(t, m, "t", 0), 2)

			ts, parts, reset := tt.after()
			m.Apply(viewOf(ts, parts...), reset)
			p, err := m.Partition("t", 0)
			if (err == nil) != tt.wantHosted {
				t.Fatalf("hosted = %v (%v), want %v", err == nil, err, tt.wantHosted)
			}
			if !tt.wantHosted {
				wantCode(t, err, rpcerr.UnknownTopicOrPartition)
			}
			if got := dirExists(t, filepath.Join(dir, "t-0")); got != tt.wantDir {
				t.Fatalf("dir exists = %v, want %v", got, tt.wantDir)
			}
			if !tt.wantHosted {
				return
			}
			if p.Leading() != tt.wantLeader {
				t.Fatalf("leading = %v, want %v", p.Leading(), tt.wantLeader)
			}
			if !tt.wantLeader {
				_, err := p.Offsets()
				wantCode(t, err, rpcerr.NotLeaderOrFollower)
				return
			}
			if o := offsets(t, p); o.LogEnd != tt.wantEnd || o.HighWatermark != tt.wantEnd {
				t.Fatalf("offsets %+v, want end and hw %d", o, tt.wantEnd)
			}
			appendN(t, p, 1)
			if o := offsets(t, p); o.LogEnd != tt.wantEnd+2 {
				t.Fatalf("append after the change: offsets %+v", o)
			}
		})
	}
}

func TestRestartKeepsHighWatermark(t *testing.T) {
	dir := t.TempDir()
	m := newManager(t, dir)
	m.Apply(viewOf([]*runnelv1.Topic{topicOf("t", "id1", nil)}, state("t", "id1", 0, me, 0, []int32{me})), true)
	appendN(t, mustPartition(t, m, "t", 0), 3)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	// Back with a follower in the ISR that has not reported: the high watermark cannot be
	// recomputed, so it must come from the checkpoint.
	m = newManager(t, dir)
	m.Apply(viewOf([]*runnelv1.Topic{topicOf("t", "id1", nil)}, state("t", "id1", 0, me, 1, []int32{me, 2})), true)
	if o := offsets(t, mustPartition(t, m, "t", 0)); o.HighWatermark != 6 || o.LogEnd != 6 {
		t.Fatalf("offsets after restart %+v, want hw 6 end 6", o)
	}
}

func TestSweepOnSnapshot(t *testing.T) {
	dir := t.TempDir()
	m := newManager(t, dir)
	v := viewOf([]*runnelv1.Topic{topicOf("gone", "id1", nil), topicOf("kept", "id2", nil), topicOf("moved", "id3", nil)},
		state("gone", "id1", 0, me, 0, []int32{me}),
		state("kept", "id2", 0, me, 0, []int32{me}),
		state("moved", "id3", 0, me, 0, []int32{me}))
	m.Apply(v, true)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	// Leftovers of an interrupted deletion and a foreign dir.
	for _, d := range []string{"x-0.deleting", "notes"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	m = newManager(t, dir)
	m.Apply(viewOf([]*runnelv1.Topic{topicOf("kept", "id2", nil), topicOf("moved", "id3", nil)},
		state("kept", "id2", 0, me, 0, []int32{me}),
		state("moved", "id3", 0, 2, 1, []int32{2})), true)
	for d, want := range map[string]bool{"gone-0": false, "kept-0": true, "moved-0": false, "x-0.deleting": false, "notes": true} {
		if got := dirExists(t, filepath.Join(dir, d)); got != want {
			t.Errorf("%s exists = %v, want %v", d, got, want)
		}
	}
}

func TestRetention(t *testing.T) {
	_, p := leaderOf(t, []int32{me}, map[string]string{"segment.bytes": "1000", "retention.bytes": "1500"})
	appendN(t, p, 20) // ~300 bytes each: several segments
	before := offsets(t, p)
	n, err := p.applyRetention()
	if err != nil || n == 0 {
		t.Fatalf("retention deleted %d segments, %v", n, err)
	}
	after := offsets(t, p)
	if after.LogStart <= before.LogStart || after.LogEnd != before.LogEnd || after.HighWatermark < after.LogStart {
		t.Fatalf("offsets before %+v after %+v", before, after)
	}
	_, err = p.Fetch(bg, FetchRequest{Offset: 0, LeaderEpoch: -1})
	wantCode(t, err, rpcerr.OffsetOutOfRange)
	if res, err := p.Fetch(bg, FetchRequest{Offset: after.LogStart, LeaderEpoch: -1}); err != nil || len(res.Records) == 0 {
		t.Fatalf("fetch at the new log start: %d bytes, %v", len(res.Records), err)
	}
}
