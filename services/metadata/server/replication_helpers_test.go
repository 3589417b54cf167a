package server_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/services/metadata/server"
)

// controllerConfig is a single-node config with short session, controller and rebalance timings.
func controllerConfig(t *testing.T) server.Config {
	cfg := testConfig(t)
	cfg.SessionTimeout = time.Second
	cfg.ControllerSessionTTL = time.Second
	cfg.LeaderRebalanceDelay = 300 * time.Millisecond
	return cfg
}

// storageNode is a storage node's session that heartbeats (every fifth of its timeout) until it
// crashes or the test ends.
type storageNode struct {
	id      int32
	session int64
	stop    func() // ends the heartbeats and breaks the stream without a clean close; safe twice
}

// register opens a session for node id, presenting prev as its previous session (0: none).
func register(t *testing.T, c runnelv1.MetadataServiceClient, id int32, prev int64) *storageNode {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := c.NodeSession(ctx)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := stream.Send(&runnelv1.NodeSessionRequest{Node: &runnelv1.Node{
		Id: id, GrpcAddr: fmt.Sprintf("127.0.0.1:%d", 7000+id), SessionId: prev,
	}}); err != nil {
		cancel()
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		cancel()
		t.Fatalf("register node %d: %v", id, err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Duration(resp.GetSessionTimeoutMs()) * time.Millisecond / 5)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if stream.Send(&runnelv1.NodeSessionRequest{}) != nil {
				return
			}
			if _, err := stream.Recv(); err != nil {
				return
			}
		}
	}()
	n := &storageNode{id: id, session: resp.GetSessionId(), stop: sync.OnceFunc(func() { cancel(); <-done })}
	t.Cleanup(n.stop)
	return n
}

// partitionState returns one partition's state as GetClusterState reports it (nil if absent).
func partitionState(t *testing.T, c runnelv1.MetadataServiceClient, topic string, p int32) *runnelv1.PartitionState {
	t.Helper()
	for _, ps := range clusterState(t, c).GetPartitions() {
		if ps.GetTopic() == topic && ps.GetPartition() == p {
			return ps
		}
	}
	return nil
}

// waitPartition waits until the partition's state satisfies cond and returns that state.
func waitPartition(t *testing.T, c runnelv1.MetadataServiceClient, topic string, p int32, timeout time.Duration,
	what string, cond func(*runnelv1.PartitionState) bool) *runnelv1.PartitionState {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(timeout)
	var st *runnelv1.PartitionState
	for range 100000 {
		if st = partitionState(t, c, topic, p); st != nil && cond(st) {
			return st
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("%s/%d: no %s within %s; last state %v", topic, p, what, timeout, st)
		}
	}
	t.Fatalf("%s/%d: gave up waiting for %s", topic, p, what)
	return nil
}

// waitController waits until GetClusterState on c names a controller that is not in not.
func waitController(t *testing.T, c runnelv1.MetadataServiceClient, timeout time.Duration, not ...string) string {
	t.Helper()
	var id string
	eventually(t, timeout, fmt.Sprintf("a controller other than %v", not), func() bool {
		id = clusterState(t, c).GetControllerId()
		return id != "" && !slices.Contains(not, id)
	})
	return id
}

func createTopic(t *testing.T, c runnelv1.MetadataServiceClient, name string, rf int32, configs map[string]string) *runnelv1.PartitionState {
	t.Helper()
	resp, err := c.CreateTopic(ctxT(t), &runnelv1.MetadataServiceCreateTopicRequest{
		Name: name, Partitions: 1, ReplicationFactor: rf, Configs: configs})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetPartitions()[0]
}

// alter proposes isr for a partition as its current leader would, from state st.
func alter(t *testing.T, c runnelv1.MetadataServiceClient, st *runnelv1.PartitionState, session int64, isr ...int32) (*runnelv1.PartitionState, error) {
	t.Helper()
	resp, err := c.AlterPartition(ctxT(t), &runnelv1.AlterPartitionRequest{
		NodeId: st.GetLeader(), SessionId: session, Topic: st.GetTopic(), Partition: st.GetPartition(),
		LeaderEpoch: st.GetLeaderEpoch(), PartitionEpoch: st.GetPartitionEpoch(), NewIsr: isr,
	})
	return resp.GetPartition(), err
}
