package metacache_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/gateway/internal/gatewaytest"
	"github.com/runnel/runnel/services/gateway/internal/metacache"
)

func deadAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := l.Addr().String()
	l.Close()
	return a
}

func eventually(t *testing.T, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", d)
		}
		<-tick.C
	}
}

// The watcher skips a dead address, follows changes, and moves to the next address when its
// stream's server stops, taking that server's snapshot.
func TestWatchFailover(t *testing.T) {
	node := &runnelv1.Node{Id: 1, GrpcAddr: "127.0.0.1:1"}
	first := gatewaytest.StartMetadata(t, node)
	second := gatewaytest.StartMetadata(t, node)
	ctx := context.Background()
	if _, err := first.CreateTopic(ctx, &runnelv1.MetadataServiceCreateTopicRequest{Name: "one", Partitions: 1, ReplicationFactor: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := second.CreateTopic(ctx, &runnelv1.MetadataServiceCreateTopicRequest{Name: "two", Partitions: 1, ReplicationFactor: 1}); err != nil {
		t.Fatal(err)
	}
	conns, err := metacache.Dial([]string{deadAddr(t), first.Addr, second.Addr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conns.Close() })
	cache := metacache.New()
	wctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		metacache.Watch(wctx, conns, cache, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	t.Cleanup(func() { stop(); wg.Wait() })

	eventually(t, 10*time.Second, func() bool { _, ok := cache.Topic("one"); return ok })
	first.MoveLeader("one", 0, -1)
	eventually(t, 5*time.Second, func() bool { p, _ := cache.Partition("one", 0); return p.GetLeader() == -1 })

	first.Stop()
	eventually(t, 10*time.Second, func() bool {
		_, one := cache.Topic("one")
		_, two := cache.Topic("two")
		return two && !one
	})
}

func TestAdminFailsOverOnlyOnTransportErrors(t *testing.T) {
	node := &runnelv1.Node{Id: 1, GrpcAddr: "127.0.0.1:1"}
	meta := gatewaytest.StartMetadata(t, node)
	conns, err := metacache.Dial([]string{deadAddr(t), meta.Addr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conns.Close() })
	admin := metacache.NewAdmin(conns)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := admin.CreateTopic(ctx, &runnelv1.MetadataServiceCreateTopicRequest{Name: "x", Partitions: 2, ReplicationFactor: 1})
	if err != nil || resp.GetTopic().GetName() != "x" {
		t.Fatalf("create past a dead address: %v, %v", resp, err)
	}
	// An answer from the service is final, not a reason to try elsewhere.
	_, err = admin.CreateTopic(ctx, &runnelv1.MetadataServiceCreateTopicRequest{Name: "x", Partitions: 2, ReplicationFactor: 1})
	if !errors.Is(err, rpcerr.TopicAlreadyExists) {
		t.Fatalf("second create = %v, want TOPIC_ALREADY_EXISTS", err)
	}
	if err := admin.DeleteTopic(ctx, "x"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	meta.Stop()
	if err := admin.DeleteTopic(ctx, "x"); !errors.Is(err, rpcerr.BrokerNotAvailable) {
		t.Fatalf("delete with no metadata node = %v, want BROKER_NOT_AVAILABLE", err)
	}
}
