package server_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/commitlog"
	"github.com/runnel/runnel/pkg/record"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/storage/internal/metatest"
	"github.com/runnel/runnel/services/storage/server"
)

func TestAppendFetchRoundTrip(t *testing.T) {
	meta := metatest.Start(t, time.Minute)
	topic(meta, "orders", "id1", 2, nodeID, []int32{nodeID}, nil)
	n := startNode(t, meta, t.TempDir())
	waitLeading(t, n, "orders", 1)

	var want []record.Record
	for i, size := range []int{1, 5, 16} {
		recs := records(size, 100*(i+1))
		resp, err := appendBatch(n, "orders", 1, runnelv1.Acks_ACKS_ALL, encode(t, recs))
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		base := int64(len(want))
		if resp.GetBaseOffset() != base || resp.GetLastOffset() != base+int64(size)-1 ||
			resp.GetHighWatermark() != base+int64(size) || resp.GetLogEndOffset() != base+int64(size) || resp.GetLogStartOffset() != 0 {
			t.Fatalf("append %d: %v", i, resp)
		}
		want = append(want, recs...)
	}
	got := fetchAll(t, n, "orders", 1, 0)
	if len(got) != len(want) {
		t.Fatalf("fetched %d records, want %d", len(got), len(want))
	}
	for i, r := range got {
		w := want[i]
		if r.Offset != int64(i) || !bytes.Equal(r.Key, w.Key) || !bytes.Equal(r.Value, w.Value) ||
			r.Timestamp != w.Timestamp || len(r.Headers) != 1 || r.Headers[0].Key != "h" {
			t.Fatalf("record %d = %+v, want %+v at offset %d", i, r, w, i)
		}
	}
	if po := listOffsets(t, n, "orders", 0); po.GetError() != "" || po.GetLogEndOffset() != 0 {
		t.Fatalf("other partition touched: %v", po)
	}
}

func TestConcurrentAppendsAreContiguous(t *testing.T) {
	meta := metatest.Start(t, time.Minute)
	topic(meta, "t", "id1", 1, nodeID, []int32{nodeID}, nil)
	// fsync=always: concurrent appends share fsyncs (group commit).
	n := startNode(t, meta, t.TempDir(), func(c *server.Config) { c.Fsync = commitlog.FsyncPolicy{Mode: commitlog.FsyncAlways} })
	waitLeading(t, n, "t", 0)

	const writers, perWriter = 4, 15
	type span struct{ base, last int64 }
	var mu sync.Mutex
	var spans []span
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				resp, err := appendBatch(n, "t", 0, runnelv1.Acks_ACKS_ALL, encode(t, records(1+(w+i)%4, 50)))
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				spans = append(spans, span{resp.GetBaseOffset(), resp.GetLastOffset()})
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	slices.SortFunc(spans, func(a, b span) int { return int(a.base - b.base) })
	next := int64(0)
	for _, s := range spans {
		if s.base != next || s.last < s.base {
			t.Fatalf("offsets not contiguous: span %v after %d (%v)", s, next, spans)
		}
		next = s.last + 1
	}
	got := fetchAll(t, n, "t", 0, 0)
	if int64(len(got)) != next {
		t.Fatalf("fetched %d records, appended %d", len(got), next)
	}
	for i, r := range got {
		if r.Offset != int64(i) {
			t.Fatalf("record %d has offset %d", i, r.Offset)
		}
	}
}

func TestAppendErrors(t *testing.T) {
	meta := metatest.Start(t, time.Minute)
	topic(meta, "led", "id1", 1, nodeID, []int32{nodeID}, map[string]string{"max.message.bytes": "4096"})
	topic(meta, "elsewhere", "id2", 1, 2, []int32{2, nodeID}, nil)
	topic(meta, "minisr", "id3", 1, nodeID, []int32{nodeID}, map[string]string{"min.insync.replicas": "2"}, 2)
	epoch := &runnelv1.PartitionState{Topic: "epoch5", TopicId: "id4", Partition: 0, Leader: nodeID, LeaderEpoch: 5, Isr: []int32{nodeID}, Replicas: []int32{nodeID}}
	meta.SetTopic(&runnelv1.Topic{Name: "epoch5", TopicId: "id4", Partitions: 1, ReplicationFactor: 1}, epoch)
	n := startNode(t, meta, t.TempDir())
	for _, tp := range []string{"led", "minisr", "epoch5"} {
		waitLeading(t, n, tp, 0)
	}
	waitHosted(t, n, "elsewhere", 0)
	good := encode(t, records(2, 10))
	corrupt := bytes.Clone(good)
	corrupt[len(corrupt)-2] ^= 0x55

	tests := []struct {
		name string
		req  *runnelv1.AppendRequest
		want *rpcerr.Code
		// check, if set, names a partition whose log end must still be 0
		check string
	}{
		{"unknown topic", &runnelv1.AppendRequest{Topic: "nope", LeaderEpoch: -1, Batch: good}, rpcerr.UnknownTopicOrPartition, ""},
		{"unknown partition", &runnelv1.AppendRequest{Topic: "led", Partition: 7, LeaderEpoch: -1, Batch: good}, rpcerr.UnknownTopicOrPartition, ""},
		{"not leader", &runnelv1.AppendRequest{Topic: "elsewhere", LeaderEpoch: -1, Acks: runnelv1.Acks_ACKS_LEADER, Batch: good}, rpcerr.NotLeaderOrFollower, ""},
		{"fenced epoch", &runnelv1.AppendRequest{Topic: "epoch5", LeaderEpoch: 4, Acks: runnelv1.Acks_ACKS_LEADER, Batch: good}, rpcerr.FencedLeaderEpoch, "epoch5"},
		{"unknown epoch", &runnelv1.AppendRequest{Topic: "epoch5", LeaderEpoch: 6, Acks: runnelv1.Acks_ACKS_LEADER, Batch: good}, rpcerr.UnknownLeaderEpoch, "epoch5"},
		{"too large", &runnelv1.AppendRequest{Topic: "led", LeaderEpoch: -1, Acks: runnelv1.Acks_ACKS_LEADER, Batch: encode(t, records(4, 2000))}, rpcerr.MessageTooLarge, "led"},
		{"corrupt crc", &runnelv1.AppendRequest{Topic: "led", LeaderEpoch: -1, Acks: runnelv1.Acks_ACKS_LEADER, Batch: corrupt}, rpcerr.CorruptMessage, "led"},
		{"not a batch", &runnelv1.AppendRequest{Topic: "led", LeaderEpoch: -1, Acks: runnelv1.Acks_ACKS_LEADER, Batch: []byte("hello")}, rpcerr.CorruptMessage, "led"},
		{"not enough replicas", &runnelv1.AppendRequest{Topic: "minisr", LeaderEpoch: -1, Acks: runnelv1.Acks_ACKS_ALL, Batch: good}, rpcerr.NotEnoughReplicas, "minisr"},
		{"bad acks", &runnelv1.AppendRequest{Topic: "led", LeaderEpoch: -1, Acks: 9, Batch: good}, rpcerr.InvalidRequiredAcks, "led"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := n.client.Append(context.Background(), tt.req)
			wantCode(t, err, tt.want)
			if tt.check != "" {
				if po := listOffsets(t, n, tt.check, 0); po.GetLogEndOffset() != 0 {
					t.Fatalf("log end of %s is %d after a refused append", tt.check, po.GetLogEndOffset())
				}
			}
		})
	}
	t.Run("the same requests done right succeed", func(t *testing.T) {
		for _, req := range []*runnelv1.AppendRequest{
			{Topic: "epoch5", LeaderEpoch: 5, Acks: runnelv1.Acks_ACKS_ALL, Batch: encode(t, records(2, 10))},
			{Topic: "led", LeaderEpoch: -1, Acks: runnelv1.Acks_ACKS_ALL, Batch: encode(t, records(2, 10))},
			{Topic: "minisr", LeaderEpoch: -1, Acks: runnelv1.Acks_ACKS_LEADER, Batch: encode(t, records(2, 10))},
		} {
			if _, err := n.client.Append(context.Background(), req); err != nil {
				t.Fatalf("%s: %v", req.GetTopic(), err)
			}
		}
	})
}

func TestFetchErrorsAndHighWatermark(t *testing.T) {
	meta := metatest.Start(t, time.Minute)
	// Node 2 is in the ISR but never replicates: the high watermark stays at 0.
	topic(meta, "unreplicated", "id1", 1, nodeID, []int32{nodeID, 2}, nil)
	topic(meta, "elsewhere", "id2", 1, 2, []int32{2, nodeID}, nil)
	n := startNode(t, meta, t.TempDir())
	waitLeading(t, n, "unreplicated", 0)
	waitHosted(t, n, "elsewhere", 0)
	if _, err := appendBatch(n, "unreplicated", 0, runnelv1.Acks_ACKS_LEADER, encode(t, records(3, 10))); err != nil {
		t.Fatal(err)
	}
	_, err := n.client.Append(context.Background(), &runnelv1.AppendRequest{
		Topic: "unreplicated", LeaderEpoch: -1, Acks: runnelv1.Acks_ACKS_ALL, Batch: encode(t, records(1, 10)), TimeoutMs: 50,
	})
	wantCode(t, err, rpcerr.RequestTimedOut)

	po := listOffsets(t, n, "unreplicated", 0)
	if po.GetHighWatermark() != 0 || po.GetLogEndOffset() != 4 {
		t.Fatalf("offsets %v: want hw 0, log end 4", po)
	}
	resp, err := n.client.Fetch(context.Background(), &runnelv1.FetchRequest{Topic: "unreplicated", Offset: 0, LeaderEpoch: -1})
	if err != nil || len(resp.GetRecords()) != 0 || resp.GetHighWatermark() != 0 || resp.GetLogEndOffset() != 4 {
		t.Fatalf("fetch below an unmoved high watermark returned %d bytes, %v (%v)", len(resp.GetRecords()), resp, err)
	}
	tests := []struct {
		name string
		req  *runnelv1.FetchRequest
		want *rpcerr.Code
	}{
		{"above the high watermark", &runnelv1.FetchRequest{Topic: "unreplicated", Offset: 2, LeaderEpoch: -1}, rpcerr.OffsetOutOfRange},
		{"negative", &runnelv1.FetchRequest{Topic: "unreplicated", Offset: -1, LeaderEpoch: -1}, rpcerr.OffsetOutOfRange},
		{"unknown", &runnelv1.FetchRequest{Topic: "nope", LeaderEpoch: -1}, rpcerr.UnknownTopicOrPartition},
		{"not leader", &runnelv1.FetchRequest{Topic: "elsewhere", LeaderEpoch: -1}, rpcerr.NotLeaderOrFollower},
		{"unknown epoch", &runnelv1.FetchRequest{Topic: "unreplicated", LeaderEpoch: 1}, rpcerr.UnknownLeaderEpoch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := n.client.Fetch(context.Background(), tt.req)
			wantCode(t, err, tt.want)
		})
	}
}

func TestLongPollFetch(t *testing.T) {
	meta := metatest.Start(t, time.Minute)
	topic(meta, "t", "id1", 1, nodeID, []int32{nodeID}, nil)
	n := startNode(t, meta, t.TempDir(), func(c *server.Config) { c.Telemetry = newTelemetry(t) })
	waitLeading(t, n, "t", 0)

	type res struct {
		resp *runnelv1.FetchResponse
		err  error
	}
	ch := make(chan res, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go func() {
		resp, err := n.client.Fetch(ctx, &runnelv1.FetchRequest{Topic: "t", Offset: 0, MaxWaitMs: 30_000, LeaderEpoch: -1})
		ch <- res{resp, err}
	}()
	eventually(t, "fetch waiting", func() bool {
		return strings.Contains(scrape(t, n), `runnel_storage_requests_waiting{kind="fetch"} 1`)
	})
	batch := encode(t, records(2, 10))
	if _, err := appendBatch(n, "t", 0, runnelv1.Acks_ACKS_ALL, batch); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatal(r.err)
		}
		got := decodeAll(t, r.resp.GetRecords())
		if len(got) != 2 || string(got[0].Key) != "key-0" || r.resp.GetHighWatermark() != 2 {
			t.Fatalf("long poll returned %v (hw %d)", got, r.resp.GetHighWatermark())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("long poll was not woken by the append")
	}

	t.Run("times out empty", func(t *testing.T) {
		start := time.Now()
		resp, err := n.client.Fetch(context.Background(), &runnelv1.FetchRequest{Topic: "t", Offset: 2, MaxWaitMs: 50, LeaderEpoch: -1})
		if err != nil || len(resp.GetRecords()) != 0 || resp.GetHighWatermark() != 2 {
			t.Fatalf("fetch %v, %v", resp, err)
		}
		if time.Since(start) < 50*time.Millisecond {
			t.Fatal("returned before max_wait_ms")
		}
	})
}

func TestListPartitionOffsets(t *testing.T) {
	meta := metatest.Start(t, time.Minute)
	topic(meta, "t", "id1", 2, nodeID, []int32{nodeID}, nil)
	topic(meta, "elsewhere", "id2", 1, 2, []int32{2, nodeID}, nil)
	n := startNode(t, meta, t.TempDir())
	waitLeading(t, n, "t", 1)
	waitHosted(t, n, "elsewhere", 0)
	if _, err := appendBatch(n, "t", 1, runnelv1.Acks_ACKS_ALL, encode(t, records(3, 10))); err != nil {
		t.Fatal(err)
	}
	resp, err := n.client.ListPartitionOffsets(context.Background(), &runnelv1.ListPartitionOffsetsRequest{
		Partitions: []*runnelv1.TopicPartition{{Topic: "t", Partition: 1}, {Topic: "nope"}, {Topic: "elsewhere"}, {Topic: "t", Partition: 0}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		err           string
		hw, logEnd    int64
		topic         string
		partitionWant int32
	}{
		{"", 3, 3, "t", 1},
		{"UNKNOWN_TOPIC_OR_PARTITION", 0, 0, "nope", 0},
		{"NOT_LEADER_OR_FOLLOWER", 0, 0, "elsewhere", 0},
		{"", 0, 0, "t", 0},
	}
	if len(resp.GetPartitions()) != len(want) {
		t.Fatalf("%d entries, want %d", len(resp.GetPartitions()), len(want))
	}
	for i, w := range want {
		got := resp.GetPartitions()[i]
		if got.GetError() != w.err || got.GetHighWatermark() != w.hw || got.GetLogEndOffset() != w.logEnd ||
			got.GetTopic() != w.topic || got.GetPartition() != w.partitionWant {
			t.Errorf("entry %d = %v, want %+v", i, got, w)
		}
		if w.err != "" && got.GetMessage() == "" {
			t.Errorf("entry %d has no message", i)
		}
	}
}
