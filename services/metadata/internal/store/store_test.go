package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/proto"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/services/metadata/internal/etcdtest"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newTopic(name string, n int32) (*runnelv1.Topic, []*runnelv1.PartitionState) {
	t := &runnelv1.Topic{Name: name, TopicId: name + "-id", Partitions: n, ReplicationFactor: 1}
	parts := make([]*runnelv1.PartitionState, n)
	for p := range parts {
		parts[p] = &runnelv1.PartitionState{Topic: name, Partition: int32(p), Replicas: []int32{1}, Leader: 1, Isr: []int32{1}, TopicId: t.TopicId}
	}
	return t, parts
}

func TestTopics(t *testing.T) {
	s := New(etcdtest.Start(t))
	ctx := testCtx(t)
	a, aParts := newTopic("a", 3)
	if _, err := s.CreateTopic(ctx, a, aParts); err != nil {
		t.Fatal(err)
	}
	before, err := s.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A second create of the same name writes nothing, not even the partitions of the new one.
	a2, a2Parts := newTopic("a", 5)
	a2.TopicId = "other"
	if _, err := s.CreateTopic(ctx, a2, a2Parts); !errors.Is(err, ErrTopicExists) {
		t.Fatalf("second create: %v, want ErrTopicExists", err)
	}
	after, err := s.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.Revision != before.Revision || len(after.Partitions) != 3 || !proto.Equal(after.Topics[0], a) {
		t.Fatalf("a refused create changed the state: %+v", after)
	}
	if ok, err := s.TopicExists(ctx, "a"); !ok || err != nil {
		t.Fatalf("TopicExists(a) = %v, %v", ok, err)
	}
	b, bParts := newTopic("b", 2)
	if _, err := s.CreateTopic(ctx, b, bParts); err != nil {
		t.Fatal(err)
	}
	// Deleting "a" leaves "b" (and a topic whose name extends "a" would be left too: the prefix
	// ends with a slash).
	ab, abParts := newTopic("a.b", 1)
	if _, err := s.CreateTopic(ctx, ab, abParts); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteTopic(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteTopic(ctx, "a"); !errors.Is(err, ErrTopicNotFound) {
		t.Fatalf("second delete: %v, want ErrTopicNotFound", err)
	}
	st, err := s.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names, parts []string
	for _, tp := range st.Topics {
		names = append(names, tp.GetName())
	}
	for _, p := range st.Partitions {
		parts = append(parts, PartitionKey(p.GetTopic(), p.GetPartition()))
	}
	if strings.Join(names, ",") != "a.b,b" || len(parts) != 3 {
		t.Fatalf("after delete: topics %v partitions %v; want a.b and b with 3 partitions", names, parts)
	}
	// Partitions come back in partition order, also past the 5-digit padding of their keys.
	z, _ := newTopic("z", 0)
	if _, err := s.CreateTopic(ctx, z, []*runnelv1.PartitionState{{Topic: "z", Partition: 100000}, {Topic: "z", Partition: 99999}}); err != nil {
		t.Fatal(err)
	}
	st, err = s.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if last := st.Partitions[len(st.Partitions)-2:]; last[0].GetPartition() != 99999 || last[1].GetPartition() != 100000 {
		t.Fatalf("partitions out of order: %v", last)
	}
	if n, _, err := s.Counts(ctx); n != 3 || err != nil {
		t.Fatalf("Counts = %d, %v; want 3 topics", n, err)
	}
}

func TestSessions(t *testing.T) {
	s := New(etcdtest.Start(t))
	ctx := testCtx(t)
	lease, ttl, err := s.GrantSession(ctx, 1500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if ttl != 2*time.Second {
		t.Fatalf("granted %s for 1.5s, want it rounded up to 2s", ttl)
	}
	if err := s.PutNode(ctx, &runnelv1.Node{Id: 4, GrpcAddr: "a", SessionId: int64(lease)}, lease); err != nil {
		t.Fatal(err)
	}
	if err := s.KeepAlive(ctx, lease); err != nil {
		t.Fatal(err)
	}
	nodes, err := s.Nodes(ctx)
	if err != nil || len(nodes) != 1 || nodes[0].GetId() != 4 {
		t.Fatalf("Nodes = %v, %v", nodes, err)
	}
	if err := s.Revoke(ctx, lease); err != nil {
		t.Fatal(err)
	}
	if nodes, _ := s.Nodes(ctx); len(nodes) != 0 {
		t.Fatalf("revoking the lease left %v", nodes)
	}
	if err := s.Revoke(ctx, lease); err != nil {
		t.Fatalf("revoking twice: %v", err)
	}
	if err := s.KeepAlive(ctx, lease); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("keep-alive of a revoked lease: %v, want ErrSessionExpired", err)
	}
	if err := s.PutNode(ctx, &runnelv1.Node{Id: 4}, lease); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("put under a revoked lease: %v, want ErrSessionExpired", err)
	}
}

// TestWatchResyncsAfterCompaction compacts the history right after the reset snapshot was sent,
// so the etcd watch from the snapshot's next revision fails; Watch must send a fresh reset that
// holds the change made meanwhile.
func TestWatchResyncsAfterCompaction(t *testing.T) {
	c := etcdtest.Start(t)
	s := New(c)
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	a, aParts := newTopic("a", 1)
	if _, err := s.CreateTopic(ctx, a, aParts); err != nil {
		t.Fatal(err)
	}

	var msgs []*runnelv1.WatchResponse
	send := func(m *runnelv1.WatchResponse) error {
		msgs = append(msgs, m)
		switch len(msgs) {
		case 1: // the first reset: change twice and compact past the revision after the snapshot
			var rev int64
			for _, name := range []string{"b", "c"} {
				tp, parts := newTopic(name, 1)
				var err error
				if rev, err = s.CreateTopic(ctx, tp, parts); err != nil {
					return err
				}
			}
			if _, err := c.Compact(ctx, rev); err != nil {
				return err
			}
		case 2: // the fresh reset: make one more change to see it arrive as a change
			if err := s.DeleteTopic(ctx, "a"); err != nil {
				return err
			}
		case 3:
			cancel()
		}
		return nil
	}
	if err := s.Watch(ctx, send); !errors.Is(err, context.Canceled) {
		t.Fatalf("Watch ended with %v, want context.Canceled", err)
	}
	if len(msgs) != 3 {
		t.Fatalf("got %d messages, want 3: %v", len(msgs), msgs)
	}
	if !msgs[0].GetReset_() || len(msgs[0].GetTopics()) != 1 {
		t.Fatalf("first message %v: want a reset with topic a", msgs[0])
	}
	if !msgs[1].GetReset_() || len(msgs[1].GetTopics()) != 3 || msgs[1].GetRevision() <= msgs[0].GetRevision() {
		t.Fatalf("second message %v: want a fresh reset with topics a, b and c", msgs[1])
	}
	if msgs[2].GetReset_() || len(msgs[2].GetDeletedTopics()) != 1 || msgs[2].GetDeletedTopics()[0] != "a" {
		t.Fatalf("third message %v: want the deletion of a as a change", msgs[2])
	}
}

func TestCorruptValue(t *testing.T) {
	c := etcdtest.Start(t)
	s := New(c)
	ctx := testCtx(t)
	if _, err := c.Put(ctx, TopicKey("bad"), "\xff\xff"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.State(ctx); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("State with a corrupt value: %v, want ErrCorrupt", err)
	}
}

func TestUpdatePartitions(t *testing.T) {
	c := etcdtest.Start(t)
	s := New(c)
	ctx := testCtx(t)
	tp, parts := newTopic("u", 2)
	if _, err := s.CreateTopic(ctx, tp, parts); err != nil {
		t.Fatal(err)
	}
	snap, err := s.Snapshot(ctx)
	if err != nil || len(snap.Partitions) != 2 {
		t.Fatalf("Snapshot = %v, %v", snap, err)
	}
	guardKey := ControllerElection + "/test"
	put, err := c.Put(ctx, guardKey, "m1")
	if err != nil {
		t.Fatal(err)
	}
	guard := clientv3.Compare(clientv3.CreateRevision(guardKey), "=", put.Header.Revision)
	bump := func(v Versioned) Update {
		st := proto.CloneOf(v.State)
		st.PartitionEpoch++
		return Update{State: st, ModRevision: v.ModRevision}
	}

	// Partition 1 changes behind the writer's back: only partition 0's update applies.
	changed := proto.CloneOf(snap.Partitions[1].State)
	changed.Isr = nil
	v, _ := encode("", changed)
	if _, err := c.Put(ctx, PartitionKey("u", 1), v); err != nil {
		t.Fatal(err)
	}
	applied, rev, err := s.UpdatePartitions(ctx, guard, []Update{bump(snap.Partitions[0]), bump(snap.Partitions[1])})
	if err != nil || !slices.Equal(applied, []bool{true, false}) {
		t.Fatalf("UpdatePartitions = %v, %v; want [true false]", applied, err)
	}
	after, _ := s.Snapshot(ctx)
	if p := after.Partitions[0]; p.State.GetPartitionEpoch() != 1 || p.ModRevision != rev {
		t.Fatalf("partition 0 after the update: %v at %d, want epoch 1 at %d", p.State, p.ModRevision, rev)
	}
	if p := after.Partitions[1]; p.State.GetPartitionEpoch() != 0 || len(p.State.GetIsr()) != 0 {
		t.Fatalf("partition 1 was overwritten: %v", p.State)
	}
	if id, err := s.ControllerID(ctx); err != nil || id != "m1" || after.ControllerID != "m1" {
		t.Fatalf("controller id %q (snapshot %q), %v; want m1", id, after.ControllerID, err)
	}

	// The guard key is gone (the controller lost its session): nothing is written.
	if _, err := c.Delete(ctx, guardKey); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.UpdatePartitions(ctx, guard, []Update{bump(after.Partitions[0])}); !errors.Is(err, ErrFenced) {
		t.Fatalf("UpdatePartitions after losing the guard: %v, want ErrFenced", err)
	}
	if again, _ := s.Snapshot(ctx); again.Partitions[0].ModRevision != after.Partitions[0].ModRevision || again.ControllerID != "" {
		t.Fatalf("a fenced update wrote %v", again.Partitions[0].State)
	}
}

func TestResumeSession(t *testing.T) {
	c := etcdtest.Start(t)
	s := New(c)
	ctx := testCtx(t)
	lease, _, err := s.GrantSession(ctx, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	n := &runnelv1.Node{Id: 7, GrpcAddr: "a", SessionId: int64(lease)}
	if err := s.PutNode(ctx, n, lease); err != nil {
		t.Fatal(err)
	}
	before, _ := c.Get(ctx, NodeKey(7))
	other, _, err := s.GrantSession(ctx, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		lease clientv3.LeaseID
		ok    bool
	}{
		{"its live lease", lease, true},
		{"another live lease", other, false},
		{"an unknown lease", 12345, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			moved := proto.CloneOf(n)
			moved.GrpcAddr = "b"
			ttl, ok, err := s.ResumeSession(ctx, moved, tt.lease)
			if err != nil || ok != tt.ok {
				t.Fatalf("ResumeSession = %v, %v; want ok=%v", ok, err, tt.ok)
			}
			if ok && ttl != 2*time.Second {
				t.Fatalf("granted TTL %s, want 2s", ttl)
			}
			got, _ := c.Get(ctx, NodeKey(7))
			kv := got.Kvs[0]
			if kv.CreateRevision != before.Kvs[0].CreateRevision || clientv3.LeaseID(kv.Lease) != lease {
				t.Fatalf("node key recreated or moved: create rev %d lease %x", kv.CreateRevision, kv.Lease)
			}
			stored, err := decode[runnelv1.Node]("", kv.Value)
			if wantAddr := map[bool]string{true: "b", false: "a"}[tt.ok]; err != nil || stored.GetGrpcAddr() != wantAddr {
				t.Fatalf("stored node %v, %v; want address %q", stored, err, wantAddr)
			}
			if !tt.ok { // restore for the next case
				return
			}
			if err := s.PutNode(ctx, n, lease); err != nil {
				t.Fatal(err)
			}
		})
	}
}
