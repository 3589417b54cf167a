package groups

import (
	"context"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/gateway/internal/logoffsets"
)

// Commit checks every offset against its partition's high watermark, then forwards the commit
// (the coordinator checks member, generation and ownership and writes all offsets or none).
func (s *Service) Commit(ctx context.Context, req *runnelv1.CommitOffsetsRequest) error {
	if err := s.checkCommit(ctx, req.GetOffsets()); err != nil {
		return err
	}
	return s.coord.call(ctx, func(ctx context.Context, c runnelv1.GroupCoordinatorServiceClient) error {
		_, err := c.CommitOffsets(ctx, &runnelv1.GroupCoordinatorServiceCommitOffsetsRequest{Request: req})
		return err
	})
}

// checkCommit refuses, in request order, an offset that is negative or beyond its partition's
// high watermark (OFFSET_OUT_OF_RANGE naming the partition and the valid range), a partition the
// cluster does not have (UNKNOWN_TOPIC_OR_PARTITION), and a partition whose leader could not be
// asked (its error, e.g. LEADER_NOT_AVAILABLE).
func (s *Service) checkCommit(ctx context.Context, offs []*runnelv1.OffsetCommit) error {
	var parts []logoffsets.Partition
	seen := map[logoffsets.Partition]bool{}
	for _, o := range offs {
		if o.GetOffset() < 0 {
			return rpcerr.New(rpcerr.OffsetOutOfRange,
				"offset %d for partition %d of topic %q is negative; commit the next offset to read, from 0 up to the partition's high watermark",
				o.GetOffset(), o.GetPartition(), o.GetTopic())
		}
		p := logoffsets.Partition{Topic: o.GetTopic(), Partition: o.GetPartition()}
		if !seen[p] {
			seen[p] = true
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return nil // the coordinator refuses an empty commit
	}
	got, errs := logoffsets.List(ctx, s.router, parts, logoffsets.Options{Timeout: s.offsetsTimeout, WaitLeaders: true})
	for _, o := range offs {
		p := logoffsets.Partition{Topic: o.GetTopic(), Partition: o.GetPartition()}
		if err := errs[p]; err != nil {
			return err
		}
		if hw := got[p].GetHighWatermark(); o.GetOffset() > hw {
			return rpcerr.New(rpcerr.OffsetOutOfRange,
				"offset %d for partition %d of topic %q is beyond its high watermark: commit an offset in [0, %d], the next offset to read",
				o.GetOffset(), o.GetPartition(), o.GetTopic(), hw)
		}
	}
	return nil
}
