package topics

import (
	"context"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/gateway/internal/metacache"
	"github.com/runnel/runnel/services/gateway/internal/router"
)

// Bounds of the waits (see the package doc).
const (
	WaitTimeout     = 5 * time.Second
	OffsetsTimeout  = 5 * time.Second
	DescribeTimeout = time.Second
)

// Service serves topic administration and description.
type Service struct {
	cache  *metacache.Cache
	admin  *metacache.Admin
	router *router.Router
}

// New returns a Service.
func New(cache *metacache.Cache, admin *metacache.Admin, r *router.Router) *Service {
	return &Service{cache: cache, admin: admin, router: r}
}

// Create creates a topic and returns its description once the cache holds it.
func (s *Service) Create(ctx context.Context, req *runnelv1.CreateTopicRequest) (*runnelv1.TopicDescription, error) {
	resp, err := s.admin.CreateTopic(ctx, &runnelv1.MetadataServiceCreateTopicRequest{
		Name:              req.GetName(),
		Partitions:        req.GetPartitions(),
		ReplicationFactor: req.GetReplicationFactor(),
		Configs:           req.GetConfigs(),
	})
	if err != nil {
		return nil, err
	}
	t := resp.GetTopic()
	wctx, cancel := context.WithTimeout(ctx, WaitTimeout)
	defer cancel()
	if s.cache.WaitFor(wctx, func() bool { return s.cache.Complete(t.GetName(), t.GetTopicId()) }) == nil {
		t, _ = s.cache.Topic(t.GetName())
		return describe(t, s.cache.Partitions(t.GetName()), nil), nil
	}
	return describe(t, resp.GetPartitions(), nil), nil
}

// Delete deletes a topic and waits until it has left the cache.
func (s *Service) Delete(ctx context.Context, name string) error {
	before, _ := s.cache.Topic(name)
	if err := s.admin.DeleteTopic(ctx, name); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, WaitTimeout)
	defer cancel()
	_ = s.cache.WaitFor(wctx, func() bool {
		t, ok := s.cache.Topic(name)
		return !ok || before == nil || t.GetTopicId() != before.GetTopicId()
	})
	return nil
}

// List returns every topic sorted by name.
func (s *Service) List() []*runnelv1.TopicSummary {
	ts := s.cache.Topics()
	out := make([]*runnelv1.TopicSummary, len(ts))
	for i, t := range ts {
		out[i] = &runnelv1.TopicSummary{Name: t.GetName(), Partitions: t.GetPartitions(), ReplicationFactor: t.GetReplicationFactor()}
	}
	return out
}

// Describe returns a topic with its partitions' state and offsets (-1 where unknown).
func (s *Service) Describe(ctx context.Context, name string) (*runnelv1.TopicDescription, error) {
	t, ok := s.cache.Topic(name)
	if !ok {
		return nil, unknownTopic(name)
	}
	offs, _ := s.offsets(ctx, name, t.GetPartitions(), DescribeTimeout, false)
	return describe(t, s.cache.Partitions(name), offs), nil
}

// Offsets returns each partition's log start offset and high watermark.
func (s *Service) Offsets(ctx context.Context, name string) ([]*runnelv1.PartitionOffsetRange, error) {
	t, ok := s.cache.Topic(name)
	if !ok {
		return nil, unknownTopic(name)
	}
	offs, errs := s.offsets(ctx, name, t.GetPartitions(), OffsetsTimeout, true)
	for p := int32(0); p < t.GetPartitions(); p++ {
		if err := errs[p]; err != nil {
			return nil, err
		}
	}
	out := make([]*runnelv1.PartitionOffsetRange, t.GetPartitions())
	for p := range out {
		po := offs[int32(p)]
		out[p] = &runnelv1.PartitionOffsetRange{Partition: int32(p),
			LogStartOffset: po.GetLogStartOffset(), HighWatermark: po.GetHighWatermark()}
	}
	return out, nil
}

func unknownTopic(name string) error {
	return rpcerr.New(rpcerr.UnknownTopicOrPartition,
		"topic %q does not exist; check the name (runnel topic list)", name)
}

// describe builds a description from a topic, its partition states and (optionally) offsets.
func describe(t *runnelv1.Topic, states []*runnelv1.PartitionState, offs map[int32]*runnelv1.PartitionOffsets) *runnelv1.TopicDescription {
	d := &runnelv1.TopicDescription{
		Name:              t.GetName(),
		ReplicationFactor: t.GetReplicationFactor(),
		Configs:           t.GetConfigs(),
		TopicId:           t.GetTopicId(),
		Partitions:        make([]*runnelv1.PartitionDescription, t.GetPartitions()),
	}
	byID := make(map[int32]*runnelv1.PartitionState, len(states))
	for _, ps := range states {
		byID[ps.GetPartition()] = ps
	}
	for p := range d.Partitions {
		pd := &runnelv1.PartitionDescription{Partition: int32(p), Leader: -1}
		if ps, ok := byID[int32(p)]; ok {
			pd.Leader, pd.LeaderEpoch = ps.GetLeader(), ps.GetLeaderEpoch()
			pd.Replicas, pd.Isr = ps.GetReplicas(), ps.GetIsr()
		}
		if offs != nil {
			pd.LogStartOffset, pd.HighWatermark = -1, -1
			if po, ok := offs[int32(p)]; ok {
				pd.LogStartOffset, pd.HighWatermark = po.GetLogStartOffset(), po.GetHighWatermark()
			}
		}
		d.Partitions[p] = pd
	}
	return d
}
