package groups

import (
	"cmp"
	"context"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/services/gateway/internal/logoffsets"
)

// describeOffsetsTimeout bounds the offset lookups of DescribeGroup, which should stay quick
// while a partition is offline.
const describeOffsetsTimeout = time.Second

// Offsets returns the group's position in every partition of its topics, with high watermarks
// and lag.
func (s *Service) Offsets(ctx context.Context, group string) ([]*runnelv1.GroupOffset, error) {
	d, err := s.describe(ctx, group)
	if err != nil {
		return nil, err
	}
	return s.withLag(ctx, d, s.offsetsTimeout, true), nil
}

// Describe returns a group's state and members, and its offsets with lag.
func (s *Service) Describe(ctx context.Context, group string) (*runnelv1.DescribeGroupResponse, error) {
	d, err := s.describe(ctx, group)
	if err != nil {
		return nil, err
	}
	out := proto.Clone(d.GetGroup()).(*runnelv1.DescribeGroupResponse)
	if out.Group == "" {
		out.Group = group
	}
	out.Offsets = s.withLag(ctx, d, describeOffsetsTimeout, false)
	out.Lag = 0
	for _, o := range out.Offsets {
		out.Lag += max(o.GetLag(), 0)
	}
	return out, nil
}

// withLag lists every partition of the group's topics (those the coordinator names, and those
// with a commit): the committed offset (-1 when none) and owner as the coordinator reports them,
// the log start and high watermark from the partition leaders, and lag = high watermark − offset
// (high watermark − log start with no commit; never negative). A partition whose leader could not
// be asked in time, or of a topic this gateway does not know, shows -1 high watermark, log start
// and lag.
func (s *Service) withLag(ctx context.Context, d *runnelv1.GroupCoordinatorServiceDescribeGroupResponse, timeout time.Duration, waitLeaders bool) []*runnelv1.GroupOffset {
	entries, known := s.groupEntries(d)
	got, _ := logoffsets.List(ctx, s.router, known, logoffsets.Options{Timeout: timeout, WaitLeaders: waitLeaders})
	return fillLag(entries, got)
}

// groupEntries returns the group's partitions (offset -1 where nothing was committed) and those of
// them whose topic this gateway knows.
func (s *Service) groupEntries(d *runnelv1.GroupCoordinatorServiceDescribeGroupResponse) (map[logoffsets.Partition]*runnelv1.GroupOffset, []logoffsets.Partition) {
	entries := map[logoffsets.Partition]*runnelv1.GroupOffset{}
	topics := map[string]bool{}
	for _, o := range d.GetGroup().GetOffsets() {
		entries[logoffsets.Partition{Topic: o.GetTopic(), Partition: o.GetPartition()}] = proto.Clone(o).(*runnelv1.GroupOffset)
		topics[o.GetTopic()] = true
	}
	for _, t := range d.GetTopics() {
		topics[t] = true
	}
	var known []logoffsets.Partition
	for name := range topics {
		t, ok := s.router.Cache().Topic(name)
		if !ok {
			continue
		}
		for p := range t.GetPartitions() {
			k := logoffsets.Partition{Topic: name, Partition: p}
			known = append(known, k)
			if _, ok := entries[k]; !ok {
				entries[k] = &runnelv1.GroupOffset{Topic: name, Partition: p, Offset: -1}
			}
		}
	}
	return entries, known
}

// fillLag sets the offsets and lag of the entries from the leaders' answers and sorts them by
// topic and partition.
func fillLag(entries map[logoffsets.Partition]*runnelv1.GroupOffset, got map[logoffsets.Partition]*runnelv1.PartitionOffsets) []*runnelv1.GroupOffset {
	out := make([]*runnelv1.GroupOffset, 0, len(entries))
	for k, e := range entries {
		e.HighWatermark, e.LogStartOffset, e.Lag = -1, -1, -1
		if po, ok := got[k]; ok {
			e.HighWatermark, e.LogStartOffset = po.GetHighWatermark(), po.GetLogStartOffset()
			e.Lag = lag(e.GetOffset(), e.HighWatermark, e.LogStartOffset)
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *runnelv1.GroupOffset) int {
		return cmp.Or(cmp.Compare(a.GetTopic(), b.GetTopic()), cmp.Compare(a.GetPartition(), b.GetPartition()))
	})
	return out
}

// lag is how many records the group has still to read in a partition.
func lag(offset, hw, logStart int64) int64 {
	if offset < 0 {
		return max(hw-logStart, 0)
	}
	return max(hw-offset, 0)
}
