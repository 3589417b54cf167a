package api

import (
	"context"
	"errors"
	"slices"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/metadata/internal/store"
	"github.com/runnel/runnel/services/metadata/internal/topic"
)

// CreateTopic validates, assigns and writes a topic.
func (s *Service) CreateTopic(ctx context.Context, req *runnelv1.MetadataServiceCreateTopicRequest) (*runnelv1.MetadataServiceCreateTopicResponse, error) {
	name, partitions, rf := req.GetName(), req.GetPartitions(), req.GetReplicationFactor()
	if err := topic.ValidateName(name); err != nil {
		return nil, err
	}
	exists, err := s.st.TopicExists(ctx, name)
	if err != nil {
		return nil, storeErr(err, "read topics")
	}
	if exists {
		return nil, rpcerr.New(rpcerr.TopicAlreadyExists, "topic %q already exists", name)
	}
	if err := topic.ValidatePartitions(partitions, s.cfg.MaxPartitions); err != nil {
		return nil, err
	}
	nodes, err := s.st.Nodes(ctx)
	if err != nil {
		return nil, storeErr(err, "read live nodes")
	}
	if err := topic.ValidateReplicationFactor(rf, len(nodes)); err != nil {
		return nil, err
	}
	configs, err := topic.Configs(req.GetConfigs(), rf)
	if err != nil {
		return nil, err
	}
	ids := make([]int32, len(nodes))
	for i, n := range nodes {
		ids[i] = n.GetId()
	}
	t := &runnelv1.Topic{
		Name: name, TopicId: topic.NewID(), Partitions: partitions,
		ReplicationFactor: rf, Configs: configs,
	}
	parts := make([]*runnelv1.PartitionState, partitions)
	for p, replicas := range topic.Assign(name, partitions, rf, ids) {
		parts[p] = &runnelv1.PartitionState{
			Topic: name, Partition: int32(p), Replicas: replicas, Leader: replicas[0],
			Isr: slices.Clone(replicas), TopicId: t.TopicId,
		}
	}
	if _, err := s.st.CreateTopic(ctx, t, parts); err != nil {
		if errors.Is(err, store.ErrTopicExists) {
			return nil, rpcerr.New(rpcerr.TopicAlreadyExists, "topic %q already exists", name)
		}
		return nil, storeErr(err, "create the topic")
	}
	s.log.InfoContext(ctx, "topic created", "topic", name, "topic_id", t.TopicId,
		"partitions", partitions, "replication_factor", rf)
	return &runnelv1.MetadataServiceCreateTopicResponse{Topic: t, Partitions: parts}, nil
}

// DeleteTopic deletes a topic and its partition states.
func (s *Service) DeleteTopic(ctx context.Context, req *runnelv1.MetadataServiceDeleteTopicRequest) (*runnelv1.MetadataServiceDeleteTopicResponse, error) {
	name := req.GetName()
	if topic.ValidateName(name) != nil { // such a topic cannot exist; also keeps '/' out of keys
		return nil, rpcerr.New(rpcerr.UnknownTopicOrPartition, "topic %q does not exist", name)
	}
	if err := s.st.DeleteTopic(ctx, name); err != nil {
		if errors.Is(err, store.ErrTopicNotFound) {
			return nil, rpcerr.New(rpcerr.UnknownTopicOrPartition, "topic %q does not exist", name)
		}
		return nil, storeErr(err, "delete the topic")
	}
	s.log.InfoContext(ctx, "topic deleted", "topic", name)
	return &runnelv1.MetadataServiceDeleteTopicResponse{}, nil
}

// GetClusterState returns topics, partitions and nodes read at one revision.
func (s *Service) GetClusterState(ctx context.Context, _ *runnelv1.GetClusterStateRequest) (*runnelv1.GetClusterStateResponse, error) {
	st, err := s.st.State(ctx)
	if err != nil {
		return nil, storeErr(err, "read the cluster state")
	}
	return &runnelv1.GetClusterStateResponse{
		Revision: st.Revision, Topics: st.Topics, Partitions: st.Partitions, Nodes: st.Nodes,
		ControllerId: st.ControllerID,
	}, nil
}
