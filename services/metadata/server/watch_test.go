package server_test

import (
	"context"
	"testing"

	"google.golang.org/grpc"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// watcher collects a watch stream's messages on a channel.
func watch(t *testing.T, c runnelv1.MetadataServiceClient) <-chan *runnelv1.WatchResponse {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := c.Watch(ctx, &runnelv1.WatchRequest{})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	out := make(chan *runnelv1.WatchResponse, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(out)
		for {
			m, err := stream.Recv()
			if err != nil {
				return
			}
			select {
			case out <- m:
			case <-ctx.Done():
				return
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return out
}

// next waits for the next message that satisfies match, failing after the timeout. Messages
// before it are checked to be no resets.
func next(t *testing.T, ch <-chan *runnelv1.WatchResponse, what string, match func(*runnelv1.WatchResponse) bool) *runnelv1.WatchResponse {
	t.Helper()
	ctx := ctxT(t)
	for {
		select {
		case m, ok := <-ch:
			if !ok {
				t.Fatalf("watch ended while waiting for %s", what)
			}
			if match(m) {
				return m
			}
			if m.GetReset_() {
				t.Fatalf("unexpected reset while waiting for %s", what)
			}
		case <-ctx.Done():
			t.Fatalf("no watch message with %s", what)
		}
	}
}

func TestWatch(t *testing.T) {
	n := startNode(t, testConfig(t))
	openSession(t, n.client, 1)
	if _, err := n.client.CreateTopic(ctxT(t), &runnelv1.MetadataServiceCreateTopicRequest{Name: "before", Partitions: 2, ReplicationFactor: 1}); err != nil {
		t.Fatal(err)
	}

	ch := watch(t, n.client)
	reset := next(t, ch, "the reset snapshot", func(m *runnelv1.WatchResponse) bool { return true })
	if !reset.GetReset_() || len(reset.GetTopics()) != 1 || len(reset.GetPartitions()) != 2 || len(reset.GetNodes()) != 1 || reset.GetRevision() == 0 {
		t.Fatalf("first message %v: want a reset with the topic, its 2 partitions and the node", reset)
	}

	if _, err := n.client.CreateTopic(ctxT(t), &runnelv1.MetadataServiceCreateTopicRequest{Name: "orders", Partitions: 3, ReplicationFactor: 1}); err != nil {
		t.Fatal(err)
	}
	created := next(t, ch, "the created topic", func(m *runnelv1.WatchResponse) bool { return len(m.GetTopics()) > 0 })
	if created.GetReset_() || created.GetTopics()[0].GetName() != "orders" || len(created.GetPartitions()) != 3 || created.GetRevision() <= reset.GetRevision() {
		t.Fatalf("create change %v: want topic orders with its 3 partitions in one message, after the reset", created)
	}

	if _, err := n.client.DeleteTopic(ctxT(t), &runnelv1.MetadataServiceDeleteTopicRequest{Name: "orders"}); err != nil {
		t.Fatal(err)
	}
	deleted := next(t, ch, "the deleted topic", func(m *runnelv1.WatchResponse) bool { return len(m.GetDeletedTopics()) > 0 })
	if deleted.GetDeletedTopics()[0] != "orders" || len(deleted.GetTopics())+len(deleted.GetPartitions()) != 0 || deleted.GetRevision() <= created.GetRevision() {
		t.Fatalf("delete change %v: want deleted_topics [orders] only", deleted)
	}

	s := openSession(t, n.client, 2)
	joined := next(t, ch, "the new node", func(m *runnelv1.WatchResponse) bool { return len(m.GetNodes()) > 0 })
	if joined.GetNodes()[0].GetId() != 2 || joined.GetNodes()[0].GetSessionId() != s.resp.GetSessionId() {
		t.Fatalf("node change %v: want node 2 with its session", joined)
	}
	s.close()
	left := next(t, ch, "the node leaving", func(m *runnelv1.WatchResponse) bool { return len(m.GetDeletedNodes()) > 0 })
	if left.GetDeletedNodes()[0] != 2 {
		t.Fatalf("node removal %v: want deleted_nodes [2]", left)
	}
}

func TestWatchEndsWhenServerStops(t *testing.T) {
	n := startNode(t, testConfig(t))
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	stream, err := n.client.Watch(ctx, &runnelv1.WatchRequest{}, grpc.WaitForReady(true))
	if err != nil {
		t.Fatal(err)
	}
	if m, err := stream.Recv(); err != nil || !m.GetReset_() {
		t.Fatalf("first message %v, %v", m, err)
	}
	n.stop() // must not wait for the drain timeout because of the open stream
	if _, err := stream.Recv(); err == nil {
		t.Fatal("watch stream still open after the server stopped")
	}
}
