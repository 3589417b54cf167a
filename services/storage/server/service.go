package server

import (
	"context"
	"errors"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/storage/internal/replica"
	"github.com/runnel/runnel/services/storage/internal/replication"
)

// storageService serves runnel.v1.StorageService from the replica manager.
type storageService struct {
	runnelv1.UnimplementedStorageServiceServer
	replicas *replica.Manager
	leader   *replication.Leader
}

// Replicate serves a follower's replication stream (package internal/replication).
func (h *storageService) Replicate(stream runnelv1.StorageService_ReplicateServer) error {
	return h.leader.Serve(stream)
}

func (h *storageService) Append(ctx context.Context, req *runnelv1.AppendRequest) (*runnelv1.AppendResponse, error) {
	var acks replica.Acks
	switch req.GetAcks() {
	case runnelv1.Acks_ACKS_UNSPECIFIED, runnelv1.Acks_ACKS_ALL:
		acks = replica.AcksAll
	case runnelv1.Acks_ACKS_LEADER:
		acks = replica.AcksLeader
	case runnelv1.Acks_ACKS_NONE:
		acks = replica.AcksNone
	default:
		return nil, rpcerr.New(rpcerr.InvalidRequiredAcks, "unknown acks value %d", req.GetAcks())
	}
	p, err := h.replicas.Partition(req.GetTopic(), req.GetPartition())
	if err != nil {
		return nil, err
	}
	res, err := p.Append(ctx, replica.AppendRequest{
		LeaderEpoch: req.GetLeaderEpoch(),
		Acks:        acks,
		Batch:       req.GetBatch(),
		Timeout:     time.Duration(req.GetTimeoutMs()) * time.Millisecond,
	})
	if err != nil {
		return nil, err
	}
	return &runnelv1.AppendResponse{
		BaseOffset:     res.BaseOffset,
		LastOffset:     res.LastOffset,
		LogStartOffset: res.LogStart,
		HighWatermark:  res.HighWatermark,
		LogEndOffset:   res.LogEnd,
	}, nil
}

func (h *storageService) Fetch(ctx context.Context, req *runnelv1.FetchRequest) (*runnelv1.FetchResponse, error) {
	p, err := h.replicas.Partition(req.GetTopic(), req.GetPartition())
	if err != nil {
		return nil, err
	}
	res, err := p.Fetch(ctx, replica.FetchRequest{
		Offset:      req.GetOffset(),
		MaxBytes:    int(req.GetMaxBytes()),
		MaxWait:     time.Duration(max(req.GetMaxWaitMs(), 0)) * time.Millisecond,
		LeaderEpoch: req.GetLeaderEpoch(),
	})
	if err != nil {
		return nil, err
	}
	return &runnelv1.FetchResponse{
		Records:        res.Records,
		HighWatermark:  res.HighWatermark,
		LogStartOffset: res.LogStart,
		LogEndOffset:   res.LogEnd,
	}, nil
}

func (h *storageService) ListPartitionOffsets(_ context.Context, req *runnelv1.ListPartitionOffsetsRequest) (*runnelv1.ListPartitionOffsetsResponse, error) {
	out := make([]*runnelv1.PartitionOffsets, 0, len(req.GetPartitions()))
	for _, tp := range req.GetPartitions() {
		po := &runnelv1.PartitionOffsets{Topic: tp.GetTopic(), Partition: tp.GetPartition(), TimestampOffset: -1}
		off, at, err := h.offsets(tp.GetTopic(), tp.GetPartition(), req.TimestampMs)
		if err != nil {
			po.Error, po.Message = errorParts(err)
		} else {
			po.LogStartOffset, po.HighWatermark, po.LogEndOffset = off.LogStart, off.HighWatermark, off.LogEnd
			po.TimestampOffset = at
		}
		out = append(out, po)
	}
	return &runnelv1.ListPartitionOffsetsResponse{Partitions: out}, nil
}

// offsets returns a partition's bounds and, when ts is set, the first offset at or after it below
// the high watermark (the high watermark when there is none); -1 without ts.
func (h *storageService) offsets(topic string, partition int32, ts *int64) (replica.Offsets, int64, error) {
	p, err := h.replicas.Partition(topic, partition)
	if err != nil {
		return replica.Offsets{}, -1, err
	}
	if ts == nil {
		off, err := p.Offsets()
		return off, -1, err
	}
	at, off, err := p.OffsetForTimestamp(*ts)
	return off, at, err
}

// errorParts splits an error into its catalogue name and message.
func errorParts(err error) (name, msg string) {
	var e *rpcerr.Error
	if errors.As(err, &e) {
		return e.Code.Name, e.Msg
	}
	return rpcerr.CodeOf(err).Name, err.Error()
}
