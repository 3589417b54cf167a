package server_test

import (
	"context"
	"testing"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/services/storage/internal/metatest"
)

// BenchmarkAppendAcks1 measures gRPC Append of batches of 16 records of 1 KiB with acks=1 and
// fsync=never on one partition: "serial" is one request at a time (latency-bound), "parallel"
// runs GOMAXPROCS*4 concurrent clients on the same partition (throughput).
func BenchmarkAppendAcks1(b *testing.B) {
	meta := metatest.Start(b, time.Minute)
	topic(meta, "bench", "id1", 1, nodeID, []int32{nodeID}, map[string]string{"max.message.bytes": "1048576"})
	n := startNode(b, meta, b.TempDir())
	waitLeading(b, n, "bench", 0)
	batch := encode(b, records(16, 1024))
	req := func() *runnelv1.AppendRequest {
		return &runnelv1.AppendRequest{Topic: "bench", LeaderEpoch: -1, Acks: runnelv1.Acks_ACKS_LEADER, Batch: batch}
	}
	report := func(b *testing.B) {
		b.ReportMetric(float64(16*b.N)/b.Elapsed().Seconds(), "records/s")
	}
	b.Run("serial", func(b *testing.B) {
		b.SetBytes(int64(len(batch)))
		r := req()
		for b.Loop() {
			if _, err := n.client.Append(context.Background(), r); err != nil {
				b.Fatal(err)
			}
		}
		report(b)
	})
	b.Run("parallel", func(b *testing.B) {
		b.SetBytes(int64(len(batch)))
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			r := req()
			for pb.Next() {
				if _, err := n.client.Append(context.Background(), r); err != nil {
					b.Error(err)
					return
				}
			}
		})
		report(b)
	})
}
