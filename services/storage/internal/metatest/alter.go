package metatest

import (
	"context"
	"slices"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/storage/internal/cluster"
	"google.golang.org/protobuf/proto"
)

// AlterPartition implements MetadataService.AlterPartition as the controller does: the sender
// must hold a live session (STALE_BROKER_EPOCH), lead the partition at the given leader epoch
// (FENCED_LEADER_EPOCH when its epoch is older, NOT_LEADER_OR_FOLLOWER when it does not lead),
// and the partition epoch must still match (INVALID_UPDATE_VERSION); the new ISR must include
// the leader and be a subset of the replicas (INVALID_REQUEST). An accepted change bumps the
// partition epoch and is published on the watch.
func (s *Server) AlterPartition(_ context.Context, req *runnelv1.AlterPartitionRequest) (*runnelv1.AlterPartitionResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.alters = append(s.alters, proto.Clone(req).(*runnelv1.AlterPartitionRequest))
	if s.alterHook != nil {
		if err := s.alterHook(req); err != nil {
			return nil, err
		}
	}
	tp := cluster.TopicPartition{Topic: req.GetTopic(), Partition: req.GetPartition()}
	ps := s.partitions[tp]
	n := s.nodes[req.GetNodeId()]
	switch {
	case ps == nil:
		return nil, rpcerr.New(rpcerr.UnknownTopicOrPartition, "no partition %d of topic %q", tp.Partition, tp.Topic)
	case n == nil || n.GetSessionId() != req.GetSessionId():
		return nil, rpcerr.New(rpcerr.StaleBrokerEpoch, "node %d has no session %d", req.GetNodeId(), req.GetSessionId())
	case req.GetLeaderEpoch() < ps.GetLeaderEpoch():
		return nil, rpcerr.New(rpcerr.FencedLeaderEpoch, "leader epoch %d is stale (%d)", req.GetLeaderEpoch(), ps.GetLeaderEpoch())
	case req.GetLeaderEpoch() > ps.GetLeaderEpoch() || ps.GetLeader() != req.GetNodeId():
		return nil, rpcerr.New(rpcerr.NotLeaderOrFollower, "node %d does not lead at epoch %d", req.GetNodeId(), req.GetLeaderEpoch())
	case req.GetPartitionEpoch() != ps.GetPartitionEpoch():
		return nil, rpcerr.New(rpcerr.InvalidUpdateVersion, "partition epoch %d is stale (%d)", req.GetPartitionEpoch(), ps.GetPartitionEpoch())
	}
	if !slices.Contains(req.GetNewIsr(), ps.GetLeader()) {
		return nil, rpcerr.New(rpcerr.InvalidRequest, "the new ISR %v must include the leader %d", req.GetNewIsr(), ps.GetLeader())
	}
	for _, r := range req.GetNewIsr() {
		if !slices.Contains(ps.GetReplicas(), r) {
			return nil, rpcerr.New(rpcerr.InvalidRequest, "ISR member %d is not a replica %v", r, ps.GetReplicas())
		}
	}
	next := proto.Clone(ps).(*runnelv1.PartitionState)
	next.Isr = slices.Clone(req.GetNewIsr())
	next.PartitionEpoch++
	s.partitions[tp] = next
	s.publishLocked(&runnelv1.WatchResponse{Partitions: []*runnelv1.PartitionState{next}})
	return &runnelv1.AlterPartitionResponse{Partition: proto.Clone(next).(*runnelv1.PartitionState)}, nil
}

// SetAlterHook makes AlterPartition call f first; a non-nil error is returned as the answer.
func (s *Server) SetAlterHook(f func(*runnelv1.AlterPartitionRequest) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.alterHook = f
}

// Alters returns the AlterPartition requests received so far.
func (s *Server) Alters() []*runnelv1.AlterPartitionRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.alters)
}

// Partition returns the current state of a partition (a copy), or nil.
func (s *Server) Partition(topic string, partition int32) *runnelv1.PartitionState {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := s.partitions[cluster.TopicPartition{Topic: topic, Partition: partition}]
	if ps == nil {
		return nil
	}
	return proto.Clone(ps).(*runnelv1.PartitionState)
}
