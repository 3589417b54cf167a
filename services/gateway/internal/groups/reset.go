package groups

import (
	"context"
	"errors"
	"slices"
	"strings"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/gateway/internal/logoffsets"
)

// Reset moves the committed offsets of a group with no members in every partition of the named
// topics (default: the group's topics) to the log start, the high watermark, an offset or the
// first offset at or after a timestamp, and returns them; dry_run only computes them. Every
// partition is resolved before anything is written, and the write is one AlterOffsets (all or
// nothing).
func (s *Service) Reset(ctx context.Context, req *runnelv1.ResetGroupOffsetsRequest) ([]*runnelv1.GroupOffset, error) {
	if err := checkResetTarget(req); err != nil {
		return nil, err
	}
	d, err := s.describe(ctx, req.GetGroup())
	switch {
	case errors.Is(err, rpcerr.GroupIDNotFound) && len(req.GetTopics()) > 0:
		// A group that does not exist yet: AlterOffsets creates it.
	case err != nil:
		return nil, err
	case len(d.GetGroup().GetMembers()) > 0:
		return nil, rpcerr.New(rpcerr.NonEmptyGroup,
			"group %q has %d members; offsets can be reset only while it has none: stop its consumers (or wait for their sessions to expire) first",
			req.GetGroup(), len(d.GetGroup().GetMembers()))
	}
	topics := req.GetTopics()
	if len(topics) == 0 {
		topics = d.GetTopics()
	}
	topics = slices.Compact(slices.Sorted(slices.Values(topics)))
	if len(topics) == 0 {
		return nil, rpcerr.New(rpcerr.InvalidRequest,
			"group %q has no topics to reset; name the topics (topics)", req.GetGroup())
	}
	var parts []logoffsets.Partition
	for _, name := range topics {
		t, ok := s.router.Cache().Topic(name)
		if !ok {
			return nil, rpcerr.New(rpcerr.UnknownTopicOrPartition,
				"topic %q does not exist; check the name (runnel topic list)", name)
		}
		for p := range t.GetPartitions() {
			parts = append(parts, logoffsets.Partition{Topic: name, Partition: p})
		}
	}
	got, errs := logoffsets.List(ctx, s.router, parts,
		logoffsets.Options{TimestampMs: req.TimestampMs, Timeout: s.offsetsTimeout, WaitLeaders: true})
	out := make([]*runnelv1.GroupOffset, 0, len(parts))
	commits := make([]*runnelv1.OffsetCommit, 0, len(parts))
	for _, p := range parts {
		if err := errs[p]; err != nil {
			return nil, err
		}
		po := got[p]
		off, err := resetTarget(req, p, po)
		if err != nil {
			return nil, err
		}
		out = append(out, &runnelv1.GroupOffset{Topic: p.Topic, Partition: p.Partition, Offset: off,
			HighWatermark: po.GetHighWatermark(), LogStartOffset: po.GetLogStartOffset(),
			Lag: lag(off, po.GetHighWatermark(), po.GetLogStartOffset())})
		commits = append(commits, &runnelv1.OffsetCommit{Topic: p.Topic, Partition: p.Partition, Offset: off})
	}
	if req.GetDryRun() {
		return out, nil
	}
	err = s.coord.call(ctx, func(ctx context.Context, c runnelv1.GroupCoordinatorServiceClient) error {
		_, err := c.AlterOffsets(ctx, &runnelv1.AlterOffsetsRequest{Group: req.GetGroup(), Offsets: commits})
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkResetTarget checks that exactly one target is set and that it can be valid.
func checkResetTarget(req *runnelv1.ResetGroupOffsetsRequest) error {
	n := 0
	for _, set := range []bool{req.GetTo() != "", req.Offset != nil, req.TimestampMs != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return rpcerr.New(rpcerr.InvalidRequest,
			"set exactly one of to (\"earliest\" or \"latest\"), offset and timestamp_ms; %d are set", n)
	}
	switch {
	case req.GetTo() != "" && !slices.Contains([]string{"earliest", "latest"}, strings.ToLower(req.GetTo())):
		return rpcerr.New(rpcerr.InvalidRequest, "to is %q; send \"earliest\" or \"latest\" (or set offset or timestamp_ms instead)", req.GetTo())
	case req.Offset != nil && req.GetOffset() < 0:
		return rpcerr.New(rpcerr.OffsetOutOfRange,
			"offset %d is negative; reset to an offset between a partition's log start offset and its high watermark", req.GetOffset())
	case req.TimestampMs != nil && req.GetTimestampMs() < 0:
		return rpcerr.New(rpcerr.InvalidRequest, "timestamp_ms is %d; send a time in unix milliseconds (0 or more)", req.GetTimestampMs())
	}
	return nil
}

// resetTarget resolves the new offset of one partition. An explicit offset beyond the high
// watermark is OFFSET_OUT_OF_RANGE; one below the log start moves up to the log start (those
// records are gone), as Kafka's reset does.
func resetTarget(req *runnelv1.ResetGroupOffsetsRequest, p logoffsets.Partition, po *runnelv1.PartitionOffsets) (int64, error) {
	start, hw := po.GetLogStartOffset(), po.GetHighWatermark()
	switch {
	case strings.EqualFold(req.GetTo(), "earliest"):
		return start, nil
	case strings.EqualFold(req.GetTo(), "latest"):
		return hw, nil
	case req.TimestampMs != nil:
		if at := po.GetTimestampOffset(); at >= 0 && at <= hw {
			return max(at, start), nil
		}
		return hw, nil
	}
	off := req.GetOffset()
	if off > hw {
		return 0, rpcerr.New(rpcerr.OffsetOutOfRange,
			"offset %d is beyond the high watermark of partition %d of topic %q: choose an offset in [%d, %d] (log start, high watermark)",
			off, p.Partition, p.Topic, start, hw)
	}
	return max(off, start), nil
}
