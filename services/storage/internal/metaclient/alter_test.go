package metaclient

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/storage/internal/metatest"
)

func TestAlterPartitionFailover(t *testing.T) {
	notController := metatest.Start(t, time.Minute)
	notController.SetAlterHook(func(*runnelv1.AlterPartitionRequest) error {
		return rpcerr.New(rpcerr.NotController, "ask another node")
	})
	good := metatest.Start(t, time.Minute)
	good.SetNode(&runnelv1.Node{Id: 1, GrpcAddr: "127.0.0.1:1", SessionId: 7})
	good.SetTopic(&runnelv1.Topic{Name: "t", TopicId: "id", Partitions: 1, ReplicationFactor: 2},
		&runnelv1.PartitionState{Topic: "t", TopicId: "id", Leader: 1, LeaderEpoch: 2, PartitionEpoch: 4,
			Replicas: []int32{1, 2}, Isr: []int32{1, 2}})

	c, err := New(Config{Addrs: []string{deadAddr(t), notController.Addr(), good.Addr()}, Node: &runnelv1.Node{Id: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := &runnelv1.AlterPartitionRequest{NodeId: 1, SessionId: 7, Topic: "t", LeaderEpoch: 2, PartitionEpoch: 4, NewIsr: []int32{1}}
	resp, err := c.AlterPartition(context.Background(), req)
	if err != nil {
		t.Fatalf("AlterPartition: %v", err)
	}
	if ps := resp.GetPartition(); !slices.Equal(ps.GetIsr(), []int32{1}) || ps.GetPartitionEpoch() != 5 {
		t.Fatalf("accepted state %v", ps)
	}
	if n := len(notController.Alters()); n != 1 {
		t.Fatalf("the node that is not the controller got %d proposals, want 1", n)
	}
	// The same proposal again is stale: the answer is final, no other node is asked, and the
	// node that answered last is asked first.
	_, err = c.AlterPartition(context.Background(), req)
	if !errors.Is(err, rpcerr.InvalidUpdateVersion) {
		t.Fatalf("stale proposal: %v, want INVALID_UPDATE_VERSION", err)
	}
	if n := len(notController.Alters()); n != 1 {
		t.Fatalf("a final answer was retried elsewhere (%d proposals)", n)
	}
}
