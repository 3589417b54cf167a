package metacache

import (
	"context"
	"testing"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

func topic(name, id string, n int32) *runnelv1.Topic {
	return &runnelv1.Topic{Name: name, TopicId: id, Partitions: n, ReplicationFactor: 1}
}

func part(t, id string, p, leader, epoch int32) *runnelv1.PartitionState {
	return &runnelv1.PartitionState{Topic: t, TopicId: id, Partition: p, Leader: leader, LeaderEpoch: epoch, Replicas: []int32{leader}}
}

func TestApply(t *testing.T) {
	c := New()
	select {
	case <-c.Ready():
		t.Fatal("ready before a snapshot")
	default:
	}
	changed := c.Changed()
	c.Apply(&runnelv1.WatchResponse{Reset_: true, Revision: 5,
		Topics:     []*runnelv1.Topic{topic("b", "b1", 2), topic("a", "a1", 1)},
		Partitions: []*runnelv1.PartitionState{part("a", "a1", 0, 1, 0), part("b", "b1", 0, 2, 0), part("b", "b1", 1, 1, 0)},
		Nodes:      []*runnelv1.Node{{Id: 1, GrpcAddr: "n1"}, {Id: 2, GrpcAddr: "n2"}}})
	select {
	case <-c.Ready():
	default:
		t.Fatal("not ready after a snapshot")
	}
	select {
	case <-changed:
	default:
		t.Fatal("Changed not closed by Apply")
	}
	if ts := c.Topics(); len(ts) != 2 || ts[0].GetName() != "a" || ts[1].GetName() != "b" {
		t.Fatalf("topics = %v, want a, b", ts)
	}
	if !c.Complete("b", "b1") || c.Complete("b", "other") || c.Revision() != 5 {
		t.Fatal("b should be complete at revision 5")
	}

	// A leader change replaces one partition state.
	c.Apply(&runnelv1.WatchResponse{Revision: 6, Partitions: []*runnelv1.PartitionState{part("b", "b1", 1, 2, 1)}})
	if p, _ := c.Partition("b", 1); p.GetLeader() != 2 || p.GetLeaderEpoch() != 1 {
		t.Fatalf("partition b-1 = %v", p)
	}

	// Recreated under the same name: the old partitions go.
	c.Apply(&runnelv1.WatchResponse{Revision: 7, Topics: []*runnelv1.Topic{topic("b", "b2", 3)}})
	if _, ok := c.Partition("b", 0); ok || c.Complete("b", "b2") {
		t.Fatal("partitions of the old incarnation of b survived")
	}
	// A late change of the old incarnation is ignored.
	c.Apply(&runnelv1.WatchResponse{Revision: 8, Partitions: []*runnelv1.PartitionState{part("b", "b1", 0, 1, 3)}})
	if _, ok := c.Partition("b", 0); ok {
		t.Fatal("a partition of the deleted incarnation was applied")
	}

	// Deletions.
	c.Apply(&runnelv1.WatchResponse{Revision: 9, DeletedTopics: []string{"a"}, DeletedNodes: []int32{2}})
	if _, ok := c.Topic("a"); ok {
		t.Fatal("topic a survived its deletion")
	}
	if _, ok := c.Partition("a", 0); ok {
		t.Fatal("partition a-0 survived its topic")
	}
	if _, ok := c.Node(2); ok {
		t.Fatal("node 2 survived its deletion")
	}

	// Partition states before their topic: kept, topic unknown until it arrives.
	c.Apply(&runnelv1.WatchResponse{Revision: 10, Partitions: []*runnelv1.PartitionState{part("c", "c1", 0, 1, 0)}})
	if _, ok := c.Topic("c"); ok {
		t.Fatal("topic c known before its topic message")
	}
	c.Apply(&runnelv1.WatchResponse{Revision: 11, Topics: []*runnelv1.Topic{topic("c", "c1", 1)}})
	if !c.Complete("c", "c1") {
		t.Fatal("topic c incomplete after its topic message")
	}

	// A reset replaces everything.
	c.Apply(&runnelv1.WatchResponse{Reset_: true, Revision: 3, Topics: []*runnelv1.Topic{topic("z", "z1", 1)}})
	if ts := c.Topics(); len(ts) != 1 || ts[0].GetName() != "z" || c.Revision() != 3 {
		t.Fatalf("after reset: topics %v revision %d", ts, c.Revision())
	}
	if _, ok := c.Node(1); ok {
		t.Fatal("node 1 survived a reset that does not hold it")
	}
}

func TestWaitFor(t *testing.T) {
	c := New()
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- c.WaitFor(ctx, func() bool { _, ok := c.Topic("x"); return ok })
	}()
	c.Apply(&runnelv1.WatchResponse{Reset_: true})
	c.Apply(&runnelv1.WatchResponse{Topics: []*runnelv1.Topic{topic("x", "x1", 1)}})
	if err := <-done; err != nil {
		t.Fatalf("WaitFor: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := c.WaitFor(ctx, func() bool { return false }); err == nil {
		t.Fatal("WaitFor returned nil for a condition that never holds")
	}
}
