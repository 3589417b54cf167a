package controller

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/services/metadata/internal/etcdtest"
	"github.com/runnel/runnel/services/metadata/internal/store"
)

const waitTimeout = 20 * time.Second

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	etcdtest.Eventually(t, waitTimeout, what, cond)
}

// runController runs a controller until the test ends.
func runController(t *testing.T, c *clientv3.Client, id string) *Controller {
	t.Helper()
	ctrl, err := New(c, store.New(c), Config{ID: id, SessionTTL: time.Second, RebalanceDelay: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = ctrl.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return ctrl
}

// liveNode registers storage node id under a lease of its own and returns the lease.
func liveNode(t *testing.T, st *store.Store, id int32) clientv3.LeaseID {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	lease, _, err := st.GrantSession(ctx, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutNode(ctx, &runnelv1.Node{Id: id, GrpcAddr: "x", SessionId: int64(lease)}, lease); err != nil {
		t.Fatal(err)
	}
	return lease
}

// TestLosingTheSession runs two controllers on one etcd. The elected one fixes a partition; when
// its session lease is revoked behind its back it stops acting at once, the other takes over and
// goes on fixing partitions, and the first campaigns again.
func TestLosingTheSession(t *testing.T) {
	c := etcdtest.Start(t)
	st := store.New(c)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	n2 := liveNode(t, st, 2)
	liveNode(t, st, 3)
	// Node 1, the leader, is not live: the controller must elect 2.
	tp := &runnelv1.Topic{Name: "t", TopicId: "id", Partitions: 1, ReplicationFactor: 3}
	if _, err := st.CreateTopic(ctx, tp, []*runnelv1.PartitionState{{
		Topic: "t", TopicId: "id", Replicas: []int32{1, 2, 3}, Leader: 1, Isr: []int32{1, 2, 3},
	}}); err != nil {
		t.Fatal(err)
	}
	partition := func() *runnelv1.PartitionState {
		s, err := st.State(ctx)
		if err != nil || len(s.Partitions) != 1 {
			t.Fatalf("state %v, %v", s, err)
		}
		return s.Partitions[0]
	}

	ctrls := map[string]*Controller{"a": runController(t, c, "a"), "b": runController(t, c, "b")}
	var first string
	eventually(t, "a controller", func() bool {
		first, _ = st.ControllerID(ctx)
		return first != "" && ctrls[first].Active()
	})
	second := map[string]string{"a": "b", "b": "a"}[first]
	if ctrls[second].Active() {
		t.Fatal("both controllers act")
	}
	eventually(t, "node 2 elected", func() bool { return partition().GetLeader() == 2 })
	if p := partition(); !slices.Equal(p.GetIsr(), []int32{2, 3}) || p.GetLeaderEpoch() != 1 || p.GetPartitionEpoch() != 1 {
		t.Fatalf("after the first controller: %v", p)
	}

	// Revoke the controller's election lease, as an expiry would.
	resp, err := c.Get(ctx, store.ControllerElection+"/", clientv3.WithFirstCreate()...)
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("election keys: %v, %v", resp, err)
	}
	if _, err := c.Revoke(ctx, clientv3.LeaseID(resp.Kvs[0].Lease)); err != nil {
		t.Fatal(err)
	}
	eventually(t, second+" taking over", func() bool {
		id, _ := st.ControllerID(ctx)
		return id == second && ctrls[second].Active() && !ctrls[first].Active()
	})
	eventually(t, first+" campaigning again", func() bool {
		r, err := c.Get(ctx, store.ControllerElection+"/", clientv3.WithPrefix())
		return err == nil && slices.ContainsFunc(r.Kvs, func(kv *mvccpb.KeyValue) bool { return string(kv.Value) == first })
	})

	// The new controller acts: node 2 dies, 3 leads.
	if _, err := c.Revoke(ctx, n2); err != nil {
		t.Fatal(err)
	}
	eventually(t, "node 3 elected", func() bool { return partition().GetLeader() == 3 })
	if p := partition(); !slices.Equal(p.GetIsr(), []int32{3}) || p.GetLeaderEpoch() != 2 || p.GetPartitionEpoch() != 2 {
		t.Fatalf("after the second controller: %v", p)
	}
}
