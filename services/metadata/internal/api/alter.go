package api

import (
	"context"
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/metadata/internal/store"
	"github.com/runnel/runnel/services/metadata/internal/topic"
)

// alterAttempts bounds how often AlterPartition re-reads after its compare-and-swap lost to a
// concurrent change (a fresh read then names the precise reason, or the write goes through).
const alterAttempts = 3

// AlterPartition applies a partition leader's ISR proposal (see the package doc).
func (s *Service) AlterPartition(ctx context.Context, req *runnelv1.AlterPartitionRequest) (*runnelv1.AlterPartitionResponse, error) {
	name, part := req.GetTopic(), req.GetPartition()
	if topic.ValidateName(name) != nil || part < 0 { // no such partition can exist
		return nil, rpcerr.New(rpcerr.UnknownTopicOrPartition, "partition %s/%d does not exist", name, part)
	}
	ids := []int32{req.GetNodeId()}
	for _, n := range req.GetNewIsr() {
		if !slices.Contains(ids, n) {
			ids = append(ids, n)
		}
	}
	for range alterAttempts {
		cur, err := s.st.ReadProposal(ctx, name, part, ids)
		if err != nil {
			return nil, storeErr(err, "read the partition")
		}
		next, added, err := checkProposal(req, cur)
		if err != nil {
			return nil, err
		}
		if next == nil { // the ISR already is the proposed one
			return &runnelv1.AlterPartitionResponse{Partition: cur.Partition.State}, nil
		}
		ok, _, err := s.st.CommitProposal(ctx, next, cur.Partition.ModRevision, req.GetNodeId(), req.GetSessionId(), added)
		if err != nil {
			return nil, storeErr(err, "write the partition")
		}
		if ok {
			s.log.InfoContext(ctx, "isr changed", "topic", name, "partition", part, "node", req.GetNodeId(),
				"epoch", next.GetLeaderEpoch(), "partition_epoch", next.GetPartitionEpoch(),
				"isr", fmt.Sprint(next.GetIsr()), "previous_isr", fmt.Sprint(cur.Partition.State.GetIsr()))
			if s.isrChanges != nil {
				s.isrChanges.Add(ctx, 1)
			}
			return &runnelv1.AlterPartitionResponse{Partition: next}, nil
		}
	}
	return nil, rpcerr.New(rpcerr.InvalidUpdateVersion,
		"partition %s/%d kept changing while the proposal was applied; refresh metadata and propose again", name, part)
}

// checkProposal validates a proposal against the current state, in Kafka's order. It returns the
// new state and the members the proposal adds, or nil when the ISR would not change.
func checkProposal(req *runnelv1.AlterPartitionRequest, cur *store.ProposalState) (*runnelv1.PartitionState, []int32, error) {
	name, part, node := req.GetTopic(), req.GetPartition(), req.GetNodeId()
	sender := cur.Nodes[node]
	switch {
	case sender == nil:
		return nil, nil, rpcerr.New(rpcerr.StaleBrokerEpoch, "node %d has no live session; register again", node)
	case sender.GetSessionId() != req.GetSessionId():
		return nil, nil, rpcerr.New(rpcerr.StaleBrokerEpoch,
			"session %d of node %d is not its live session; register again", req.GetSessionId(), node)
	case cur.Partition == nil:
		return nil, nil, rpcerr.New(rpcerr.UnknownTopicOrPartition, "partition %s/%d does not exist", name, part)
	}
	st := cur.Partition.State
	switch {
	case req.GetLeaderEpoch() != st.GetLeaderEpoch():
		return nil, nil, rpcerr.New(rpcerr.FencedLeaderEpoch,
			"partition %s/%d is at leader epoch %d, the proposal at %d", name, part, st.GetLeaderEpoch(), req.GetLeaderEpoch())
	case st.GetLeader() != node:
		return nil, nil, rpcerr.New(rpcerr.NotLeaderOrFollower,
			"node %d does not lead partition %s/%d (leader %d)", node, name, part, st.GetLeader())
	case req.GetPartitionEpoch() != st.GetPartitionEpoch():
		return nil, nil, rpcerr.New(rpcerr.InvalidUpdateVersion,
			"partition %s/%d is at partition epoch %d, the proposal at %d", name, part, st.GetPartitionEpoch(), req.GetPartitionEpoch())
	}
	isr := req.GetNewIsr()
	if !slices.Contains(isr, node) {
		return nil, nil, rpcerr.New(rpcerr.InvalidRequest, "the proposed ISR %v does not include the leader %d", isr, node)
	}
	var added []int32
	for i, n := range isr {
		switch {
		case slices.Contains(isr[:i], n):
			return nil, nil, rpcerr.New(rpcerr.InvalidRequest, "the proposed ISR %v names replica %d twice", isr, n)
		case !slices.Contains(st.GetReplicas(), n):
			return nil, nil, rpcerr.New(rpcerr.InvalidRequest,
				"the proposed ISR %v names %d, which is not a replica of %s/%d (replicas %v)", isr, n, name, part, st.GetReplicas())
		case slices.Contains(st.GetIsr(), n):
		case cur.Nodes[n] == nil:
			return nil, nil, rpcerr.New(rpcerr.InvalidRequest,
				"the proposed ISR %v adds replica %d, which has no live session", isr, n)
		default:
			added = append(added, n)
		}
	}
	if len(isr) == len(st.GetIsr()) && len(added) == 0 {
		return nil, nil, nil // same members
	}
	next := proto.CloneOf(st)
	next.Isr = slices.Clone(isr)
	next.PartitionEpoch++
	return next, added, nil
}
