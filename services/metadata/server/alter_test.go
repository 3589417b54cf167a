package server_test

import (
	"errors"
	"io"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
)

func TestAlterPartition(t *testing.T) {
	n := startNode(t, testConfig(t)) // 30s sessions: no heartbeats needed
	waitController(t, n.client, waitTimeout)
	sessions := map[int32]int64{}
	var gone *session
	for id := int32(1); id <= 3; id++ {
		s := openSession(t, n.client, id)
		sessions[id] = s.resp.GetSessionId()
		if id == 3 {
			gone = s
		}
	}
	createTopic(t, n.client, "alter", 3, nil)
	// Node 3 deregisters: the controller takes it out of the ISR (and moves leadership if it led).
	if err := gone.close(); !errors.Is(err, io.EOF) {
		t.Fatalf("closing node 3: %v", err)
	}
	st := waitPartition(t, n.client, "alter", 0, waitTimeout, "node 3 out of the ISR", func(p *runnelv1.PartitionState) bool {
		return len(p.GetIsr()) == 2 && p.GetLeader() != 3
	})
	leader := st.GetLeader()
	follower := st.GetIsr()[0]
	if follower == leader {
		follower = st.GetIsr()[1]
	}
	valid := func() *runnelv1.AlterPartitionRequest {
		return &runnelv1.AlterPartitionRequest{
			NodeId: leader, SessionId: sessions[leader], Topic: "alter", Partition: 0,
			LeaderEpoch: st.GetLeaderEpoch(), PartitionEpoch: st.GetPartitionEpoch(), NewIsr: []int32{leader},
		}
	}

	refused := []struct {
		name string
		mod  func(*runnelv1.AlterPartitionRequest)
		code *rpcerr.Code
	}{
		{"unknown topic", func(r *runnelv1.AlterPartitionRequest) { r.Topic = "nope" }, rpcerr.UnknownTopicOrPartition},
		{"unknown partition", func(r *runnelv1.AlterPartitionRequest) { r.Partition = 5 }, rpcerr.UnknownTopicOrPartition},
		{"negative partition", func(r *runnelv1.AlterPartitionRequest) { r.Partition = -1 }, rpcerr.UnknownTopicOrPartition},
		{"illegal topic name", func(r *runnelv1.AlterPartitionRequest) { r.Topic = "../nodes" }, rpcerr.UnknownTopicOrPartition},
		{"wrong session", func(r *runnelv1.AlterPartitionRequest) { r.SessionId++ }, rpcerr.StaleBrokerEpoch},
		{"sender without a session", func(r *runnelv1.AlterPartitionRequest) { r.NodeId, r.SessionId = 3, sessions[3] }, rpcerr.StaleBrokerEpoch},
		{"unknown sender", func(r *runnelv1.AlterPartitionRequest) { r.NodeId = 99 }, rpcerr.StaleBrokerEpoch},
		{"stale leader epoch", func(r *runnelv1.AlterPartitionRequest) { r.LeaderEpoch-- }, rpcerr.FencedLeaderEpoch},
		{"future leader epoch", func(r *runnelv1.AlterPartitionRequest) { r.LeaderEpoch++ }, rpcerr.FencedLeaderEpoch},
		{"not the leader", func(r *runnelv1.AlterPartitionRequest) {
			r.NodeId, r.SessionId, r.NewIsr = follower, sessions[follower], []int32{follower}
		}, rpcerr.NotLeaderOrFollower},
		{"stale partition epoch", func(r *runnelv1.AlterPartitionRequest) { r.PartitionEpoch-- }, rpcerr.InvalidUpdateVersion},
		{"future partition epoch", func(r *runnelv1.AlterPartitionRequest) { r.PartitionEpoch++ }, rpcerr.InvalidUpdateVersion},
		{"empty ISR", func(r *runnelv1.AlterPartitionRequest) { r.NewIsr = nil }, rpcerr.InvalidRequest},
		{"ISR without the leader", func(r *runnelv1.AlterPartitionRequest) { r.NewIsr = []int32{follower} }, rpcerr.InvalidRequest},
		{"member twice", func(r *runnelv1.AlterPartitionRequest) { r.NewIsr = []int32{leader, follower, follower} }, rpcerr.InvalidRequest},
		{"not a replica", func(r *runnelv1.AlterPartitionRequest) { r.NewIsr = []int32{leader, 42} }, rpcerr.InvalidRequest},
		{"adds a dead replica", func(r *runnelv1.AlterPartitionRequest) { r.NewIsr = []int32{leader, follower, 3} }, rpcerr.InvalidRequest},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			req := valid()
			tt.mod(req)
			_, err := n.client.AlterPartition(ctxT(t), req)
			wantCode(t, err, tt.code)
			if now := partitionState(t, n.client, "alter", 0); !proto.Equal(now, st) {
				t.Fatalf("a refused proposal changed the partition: %v, was %v", now, st)
			}
		})
	}

	ch := watch(t, n.client)
	next(t, ch, "the reset", func(m *runnelv1.WatchResponse) bool { return m.GetReset_() })
	onWatch := func(what string, want *runnelv1.PartitionState) {
		t.Helper()
		next(t, ch, what, func(m *runnelv1.WatchResponse) bool {
			return slices.ContainsFunc(m.GetPartitions(), func(p *runnelv1.PartitionState) bool { return proto.Equal(p, want) })
		})
	}
	accepted := []struct {
		name string
		isr  []int32
	}{
		{"shrink to the leader", []int32{leader}},
		{"expand back", []int32{leader, follower}},
	}
	for _, tt := range accepted {
		t.Run(tt.name, func(t *testing.T) {
			req := valid()
			req.NewIsr = tt.isr
			resp, err := n.client.AlterPartition(ctxT(t), req)
			if err != nil {
				t.Fatal(err)
			}
			want := proto.CloneOf(st)
			want.Isr, want.PartitionEpoch = tt.isr, st.GetPartitionEpoch()+1
			if !proto.Equal(resp.GetPartition(), want) {
				t.Fatalf("answer %v, want %v", resp.GetPartition(), want)
			}
			onWatch("the new ISR", want)
			// The same proposal again is now stale.
			_, err = n.client.AlterPartition(ctxT(t), req)
			wantCode(t, err, rpcerr.InvalidUpdateVersion)
			st = want
		})
	}

	t.Run("same members in another order change nothing", func(t *testing.T) {
		req := valid()
		req.NewIsr = []int32{follower, leader}
		resp, err := n.client.AlterPartition(ctxT(t), req)
		if err != nil || !proto.Equal(resp.GetPartition(), st) {
			t.Fatalf("answer %v, %v; want the unchanged %v", resp.GetPartition(), err, st)
		}
	})
}
