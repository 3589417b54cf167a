package server_test

import (
	"context"
	"testing"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/record"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/storage/internal/metatest"
)

// ListPartitionOffsets with timestamp_ms answers the first offset whose record timestamp is at or
// after it (in offset order, timestamps need not grow), the high watermark when none, and -1
// without timestamp_ms or on a partition error.
func TestListPartitionOffsetsByTimestamp(t *testing.T) {
	meta := metatest.Start(t, time.Minute)
	topic(meta, "ts", "id1", 1, nodeID, []int32{nodeID}, nil)
	topic(meta, "elsewhere", "id2", 1, 2, []int32{2, nodeID}, nil)
	n := startNode(t, meta, t.TempDir())
	waitLeading(t, n, "ts", 0)
	waitHosted(t, n, "elsewhere", 0)
	for _, stamps := range [][]int64{{1000, 2000, 3000}, {1500, 4000}} { // offsets 0-2, 3-4
		recs := make([]record.Record, len(stamps))
		for i, ts := range stamps {
			recs[i] = record.Record{Timestamp: ts, Value: []byte("v")}
		}
		if _, err := appendBatch(n, "ts", 0, runnelv1.Acks_ACKS_ALL, encode(t, recs)); err != nil {
			t.Fatal(err)
		}
	}
	ask := func(ts *int64, tp *runnelv1.TopicPartition) *runnelv1.PartitionOffsets {
		t.Helper()
		resp, err := n.client.ListPartitionOffsets(context.Background(), &runnelv1.ListPartitionOffsetsRequest{
			Partitions: []*runnelv1.TopicPartition{tp}, TimestampMs: ts,
		})
		if err != nil || len(resp.GetPartitions()) != 1 {
			t.Fatalf("ListPartitionOffsets: %v, %v", resp, err)
		}
		return resp.GetPartitions()[0]
	}
	tests := []struct {
		name string
		ts   *int64
		want int64
	}{
		{"no timestamp", nil, -1},
		{"before every record", ptr(0), 0},
		{"exact first", ptr(1000), 0},
		{"between, later record comes first in offset order", ptr(1500), 1},
		{"in the second batch", ptr(3500), 4},
		{"after every record", ptr(9000), 5},
		{"negative is the log start", ptr(-1), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			po := ask(tt.ts, &runnelv1.TopicPartition{Topic: "ts"})
			if po.GetError() != "" || po.GetTimestampOffset() != tt.want || po.GetHighWatermark() != 5 {
				t.Fatalf("answer %v, want timestamp_offset %d and high watermark 5", po, tt.want)
			}
		})
	}
	for _, tc := range []struct{ topic, err string }{
		{"nope", rpcerr.UnknownTopicOrPartition.Name},
		{"elsewhere", rpcerr.NotLeaderOrFollower.Name},
	} {
		t.Run(tc.err, func(t *testing.T) {
			po := ask(ptr(0), &runnelv1.TopicPartition{Topic: tc.topic})
			if po.GetError() != tc.err || po.GetTimestampOffset() != -1 {
				t.Fatalf("answer %v, want %s and timestamp_offset -1", po, tc.err)
			}
		})
	}
}

func ptr(v int64) *int64 { return &v }
