package groups

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/record"
	"github.com/runnel/runnel/services/gateway/internal/consume"
	"github.com/runnel/runnel/services/gateway/internal/gatewaytest"
	"github.com/runnel/runnel/services/gateway/internal/metacache"
	"github.com/runnel/runnel/services/gateway/internal/router"
	"github.com/runnel/runnel/services/gateway/internal/storageconn"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// env is a groups Service over a real metadata cache fed by a fake metadata service, one fake
// storage node and a fake coordinator, all on real gRPC.
type env struct {
	meta    *gatewaytest.Metadata
	store   *gatewaytest.Storage
	coord   *gatewaytest.Coordinator
	storage runnelv1.StorageServiceClient
	svc     *Service
	clock   *clock
}

// clock is a settable clock for member idleness.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newEnv starts the fakes, creates topics (name → partitions) and builds the Service; the
// coordinator clients are the fake metadata node (no coordinator: Unimplemented) and the fake
// coordinator, in that order.
func newEnv(t *testing.T, topics map[string]int32) *env {
	t.Helper()
	e := &env{clock: &clock{now: time.Unix(1_000_000, 0)}}
	e.store = gatewaytest.StartStorage(t, 1)
	e.meta = gatewaytest.StartMetadata(t, e.store.Node())
	e.coord = gatewaytest.StartCoordinator(t, e.meta)
	ctx := context.Background()
	for name, n := range topics {
		if _, err := e.meta.CreateTopic(ctx, &runnelv1.MetadataServiceCreateTopicRequest{Name: name, Partitions: n, ReplicationFactor: 1}); err != nil {
			t.Fatal(err)
		}
	}
	conns, err := metacache.Dial([]string{e.meta.Addr, e.coord.Addr}, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conns.Close() })
	cache := metacache.New()
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		metacache.Watch(wctx, conns, cache, slog.New(slog.DiscardHandler))
	}()
	t.Cleanup(func() { cancel(); <-done })
	wait, cancelWait := context.WithTimeout(ctx, 10*time.Second)
	defer cancelWait()
	err = cache.WaitFor(wait, func() bool {
		for name := range topics {
			if !cache.Complete(name, "") {
				return false
			}
		}
		return true
	})
	if err != nil {
		t.Fatalf("cache never held the topics: %v", err)
	}
	pool := storageconn.New(grpc.WithTransportCredentials(insecure.NewCredentials()))
	t.Cleanup(func() { _ = pool.Close() })
	r := router.New(cache, pool)
	reader, err := consume.New(r, ReadRetryTimeout, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.svc, err = New(Config{Coordinators: conns.Coordinators(), Router: r, Reader: reader,
		CallTimeout: 2 * time.Second, OffsetsTimeout: 2 * time.Second, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	cc, err := grpc.NewClient(e.store.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	e.storage = runnelv1.NewStorageServiceClient(cc)
	return e
}

// produce appends one batch of records with the given timestamps (one record each) to a partition.
func (e *env) produce(t *testing.T, topic string, partition int32, stamps ...int64) {
	t.Helper()
	recs := make([]record.Record, len(stamps))
	for i, ts := range stamps {
		recs[i] = record.Record{Timestamp: ts, Value: []byte("v")}
	}
	b, err := record.Encode(nil, recs, record.EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.storage.Append(context.Background(), &runnelv1.AppendRequest{Topic: topic, Partition: partition, Batch: b, LeaderEpoch: -1}); err != nil {
		t.Fatal(err)
	}
}

// produceN appends n records to a partition.
func (e *env) produceN(t *testing.T, topic string, partition int32, n int) {
	t.Helper()
	stamps := make([]int64, n)
	for i := range stamps {
		stamps[i] = 1000 + int64(i)
	}
	e.produce(t, topic, partition, stamps...)
}

// join adds a member and returns it.
func (e *env) join(t *testing.T, req *runnelv1.JoinGroupRequest) *runnelv1.JoinGroupResponse {
	t.Helper()
	resp, err := e.svc.Join(ctx(t), req)
	if err != nil {
		t.Fatalf("join: %v", err)
	}
	return resp
}

// ctx is a test call's context.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// offsetsOf lists the offsets of records.
func offsetsOf(recs []*runnelv1.ConsumedRecord) []int64 {
	out := make([]int64, len(recs))
	for i, r := range recs {
		out[i] = r.GetOffset()
	}
	return out
}

// dial returns a GroupCoordinatorService client of addr.
func dial(t *testing.T, addr string) runnelv1.GroupCoordinatorServiceClient {
	t.Helper()
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return runnelv1.NewGroupCoordinatorServiceClient(cc)
}
