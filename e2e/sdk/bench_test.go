package sdk

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/runnel/runnel/pkg/client"
)

// BenchmarkSDK measures the SDK against a real `runnel dev` (1 metadata node, 1 storage node)
// with 1 KiB records on a fresh 6-partition topic (RF 1) per round:
//
//   - produce: b.N records with SendAsync (acks=1, default linger and batch sizes), then Flush;
//   - group-consume: b.N records written first (untimed), then one GroupConsumer joins a fresh
//     group and polls until it has them all; the time includes the join and the first assignment.
//
// Both report records/s (and MB/s through SetBytes). Run with a fixed count, e.g.
// go test ./sdk -run '^$' -bench SDK -benchtime 200000x.
func BenchmarkSDK(b *testing.B) {
	const parts, size = 6, 1024
	c, cl := startCluster(b, 1)
	value := make([]byte, size)
	for i := range value {
		value[i] = byte('a' + i%26)
	}
	var round atomic.Int32
	newTopic := func(b *testing.B, kind string) string {
		name := fmt.Sprintf("bench-%s-%d", kind, round.Add(1))
		createTopic(b, c, name, parts, 1)
		return name
	}
	produce := func(b *testing.B, ctx context.Context, topic string, n int) {
		p, err := cl.NewProducer(client.WithAcks(client.AcksLeader))
		if err != nil {
			b.Fatal(err)
		}
		var failed atomic.Int64
		var once sync.Once
		var firstErr error
		for range n {
			err := p.SendAsync(ctx, &client.Record{Topic: topic, Value: value}, func(_ client.Delivery, err error) {
				if err != nil {
					failed.Add(1)
					once.Do(func() { firstErr = err })
				}
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		if err := p.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		if err := p.Close(ctx); err != nil {
			b.Fatal(err)
		}
		if failed.Load() > 0 {
			b.Fatalf("%d records failed, first: %v", failed.Load(), firstErr)
		}
	}

	b.Run("produce", func(b *testing.B) {
		ctx := testCtx(b, 10*time.Minute)
		topic := newTopic(b, "produce")
		b.SetBytes(size)
		b.ResetTimer()
		produce(b, ctx, topic, b.N)
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})

	b.Run("group-consume", func(b *testing.B) {
		ctx := testCtx(b, 10*time.Minute)
		topic := newTopic(b, "consume")
		produce(b, ctx, topic, b.N)
		b.SetBytes(size)
		b.ResetTimer()
		g, err := cl.NewGroupConsumer(fmt.Sprintf("bench-%d", round.Load()), client.WithMaxPollRecords(2000))
		if err != nil {
			b.Fatal(err)
		}
		defer func() {
			cctx, cancel := closeCtx()
			defer cancel()
			_ = g.Close(cctx)
		}()
		if err := g.Subscribe(ctx, topic); err != nil {
			b.Fatal(err)
		}
		for read := 0; read < b.N; {
			recs, err := g.Poll(ctx)
			if err != nil {
				b.Fatalf("after %d of %d records: %v", read, b.N, err)
			}
			for _, r := range recs {
				if len(r.Value) != size {
					b.Fatalf("record %s@%d has %d bytes", r.TopicPartition(), r.Offset, len(r.Value))
				}
			}
			read += len(recs)
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
}
