package logoffsets

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/record"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/gateway/internal/gatewaytest"
	"github.com/runnel/runnel/services/gateway/internal/metacache"
	"github.com/runnel/runnel/services/gateway/internal/router"
	"github.com/runnel/runnel/services/gateway/internal/storageconn"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// List asks each leader once for all its partitions, across topics, with timestamp lookups, and
// names the failure of each partition it could not get.
func TestList(t *testing.T) {
	s1, s2 := gatewaytest.StartStorage(t, 1), gatewaytest.StartStorage(t, 2)
	meta := gatewaytest.StartMetadata(t, s1.Node(), s2.Node())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for name, n := range map[string]int32{"a": 2, "b": 1, "dark": 1} {
		if _, err := meta.CreateTopic(ctx, &runnelv1.MetadataServiceCreateTopicRequest{Name: name, Partitions: n, ReplicationFactor: 1}); err != nil {
			t.Fatal(err)
		}
	}
	dark := proto.Clone(meta.Partition("dark", 0)).(*runnelv1.PartitionState)
	dark.Leader = -1
	meta.Push(&runnelv1.WatchResponse{Partitions: []*runnelv1.PartitionState{dark}})
	r := newRouter(t, meta, "a", "b", "dark")
	for _, s := range []*gatewaytest.Storage{s1, s2} {
		cc, err := grpc.NewClient(s.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		defer cc.Close()
		for _, tp := range []Partition{{"a", 0}, {"a", 1}, {"b", 0}} {
			recs := []record.Record{{Timestamp: 100, Value: []byte("x")}, {Timestamp: 200, Value: []byte("y")}}
			b, _ := record.Encode(nil, recs, record.EncodeOptions{})
			// Only the leader keeps what it is sent in these tests; the other node ignores it.
			if l, _ := r.Leader(tp.Topic, tp.Partition); l.Node == s.ID {
				if _, err := runnelv1.NewStorageServiceClient(cc).Append(ctx, &runnelv1.AppendRequest{Topic: tp.Topic, Partition: tp.Partition, Batch: b}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}

	parts := []Partition{{"a", 0}, {"a", 1}, {"b", 0}, {"nope", 0}, {"a", 9}, {"dark", 0}}
	tests := []struct {
		name    string
		opts    Options
		waitErr *rpcerr.Code // of the leaderless partition
		minTime time.Duration
	}{
		{"no waiting for leaders", Options{TimestampMs: proto.Int64(150), Timeout: 5 * time.Second}, rpcerr.LeaderNotAvailable, 0},
		{"waiting for leaders until the timeout", Options{TimestampMs: proto.Int64(150), Timeout: 300 * time.Millisecond, WaitLeaders: true}, rpcerr.LeaderNotAvailable, 300 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			got, errs := List(ctx, r, parts, tt.opts)
			took := time.Since(start)
			for _, p := range parts[:3] {
				po, ok := got[p]
				if !ok || po.GetHighWatermark() != 2 || po.GetTimestampOffset() != 1 || errs[p] != nil {
					t.Fatalf("%v: %v, %v; want high watermark 2 and timestamp offset 1", p, po, errs[p])
				}
			}
			for _, p := range parts[3:5] {
				if !errors.Is(errs[p], rpcerr.UnknownTopicOrPartition) || got[p] != nil {
					t.Fatalf("%v: %v, want UNKNOWN_TOPIC_OR_PARTITION", p, errs[p])
				}
			}
			if !errors.Is(errs[parts[5]], tt.waitErr) {
				t.Fatalf("leaderless partition: %v, want %s", errs[parts[5]], tt.waitErr.Name)
			}
			if took < tt.minTime || took > 5*time.Second {
				t.Fatalf("took %v, want at least %v", took, tt.minTime)
			}
		})
	}
}

// newRouter is a router over a cache fed by meta's watch, holding the named topics.
func newRouter(t *testing.T, meta *gatewaytest.Metadata, topics ...string) *router.Router {
	t.Helper()
	conns, err := metacache.Dial([]string{meta.Addr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conns.Close() })
	cache := metacache.New()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		metacache.Watch(ctx, conns, cache, slog.New(slog.DiscardHandler))
	}()
	t.Cleanup(func() { cancel(); <-done })
	wait, cancelWait := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelWait()
	if err := cache.WaitFor(wait, func() bool {
		for _, name := range topics {
			if !cache.Complete(name, "") {
				return false
			}
		}
		return true
	}); err != nil {
		t.Fatalf("cache never held %v: %v", topics, err)
	}
	pool := storageconn.New(grpc.WithTransportCredentials(insecure.NewCredentials()))
	t.Cleanup(func() { _ = pool.Close() })
	return router.New(cache, pool)
}
