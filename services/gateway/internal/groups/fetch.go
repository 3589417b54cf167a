package groups

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/backoff"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/gateway/internal/consume"
	"github.com/runnel/runnel/services/gateway/internal/logoffsets"
)

// Bounds of one FetchGroupRecords call.
const (
	// readConcurrency bounds the partitions read at once in the first pass.
	readConcurrency = 16
	// maxLongPollPartitions bounds the partitions a long poll waits on at once (the first ones of
	// the call's rotated order).
	maxLongPollPartitions = 64
	// positionTimeout bounds the offset lookups that place a partition seen for the first time.
	positionTimeout = 2 * time.Second
)

// Fetch reads records of the member's assigned partitions, continuing where its last call on this
// gateway ended.
func (s *Service) Fetch(ctx context.Context, req *runnelv1.FetchGroupRecordsRequest) (*runnelv1.FetchGroupRecordsResponse, error) {
	lim, err := consume.ParseLimits(req.GetMaxRecords(), req.GetMaxWaitMs(), req.GetMaxBytes())
	if err != nil {
		return nil, err
	}
	var asg *runnelv1.GetAssignmentResponse
	err = s.coord.call(ctx, func(ctx context.Context, c runnelv1.GroupCoordinatorServiceClient) error {
		var err error
		asg, err = c.GetAssignment(ctx, &runnelv1.GetAssignmentRequest{Group: req.GetGroup(), MemberId: req.GetMemberId()})
		return err
	})
	if err != nil {
		if errors.Is(err, rpcerr.UnknownMemberID) || errors.Is(err, rpcerr.FencedInstanceID) {
			s.members.forget(req.GetGroup(), req.GetMemberId())
		}
		return nil, err
	}
	m := s.members.acquire(req.GetGroup(), req.GetMemberId())
	defer s.members.release(m)
	m.mu.Lock()
	defer m.mu.Unlock()

	assigned := flatten(asg.GetAssignment())
	placeErr, err := s.place(ctx, m, req.GetGroup(), assigned, asg)
	if err != nil {
		return nil, err
	}
	recs, err := s.read(ctx, m, assigned, lim)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 && len(assigned) > 0 && len(m.pos) == 0 && placeErr != nil {
		return nil, placeErr // no assigned partition could be placed: say why
	}
	return &runnelv1.FetchGroupRecordsResponse{Records: recs, Generation: asg.GetGeneration(), Assignment: asg.GetAssignment()}, nil
}

// flatten lists the partitions of an assignment sorted by topic and partition.
func flatten(asg []*runnelv1.TopicPartitions) []logoffsets.Partition {
	var out []logoffsets.Partition
	for _, tp := range asg {
		for _, p := range tp.GetPartitions() {
			out = append(out, logoffsets.Partition{Topic: tp.GetTopic(), Partition: p})
		}
	}
	slices.SortFunc(out, func(a, b logoffsets.Partition) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	return slices.Compact(out)
}

// place brings the member's positions in line with its assignment: positions of partitions no
// longer assigned go; a partition seen for the first time starts at its committed offset when
// that lies in [log start, high watermark], else per the member's auto_offset_reset (earliest:
// log start, latest: high watermark, none: OFFSET_OUT_OF_RANGE naming the partition). When the
// member's generation changed since the last call, a kept position behind the committed offset
// moves up to it (the partition may have been away and read by another member meanwhile). A
// partition whose leader could not be asked stays unplaced until a later call; the first such
// error is returned as placeErr.
func (s *Service) place(ctx context.Context, m *member, group string, assigned []logoffsets.Partition, asg *runnelv1.GetAssignmentResponse) (placeErr, err error) {
	want := make(map[logoffsets.Partition]bool, len(assigned))
	for _, p := range assigned {
		want[p] = true
	}
	for p := range m.pos {
		if !want[p] {
			delete(m.pos, p)
		}
	}
	var need []logoffsets.Partition
	recheck := m.generation != asg.GetGeneration()
	for _, p := range assigned {
		if _, kept := m.pos[p]; !kept || recheck {
			need = append(need, p)
		}
	}
	if len(need) == 0 {
		m.generation = asg.GetGeneration()
		return nil, nil
	}
	committed, err := s.committed(ctx, group, need)
	if err != nil {
		return nil, err
	}
	bounds, errs := logoffsets.List(ctx, s.router, need, logoffsets.Options{Timeout: positionTimeout})
	for _, p := range need {
		po, ok := bounds[p]
		if !ok {
			if placeErr == nil {
				placeErr = errs[p]
			}
			continue
		}
		c, has := committed[p]
		if pos, kept := m.pos[p]; kept {
			if has && c > pos && c <= po.GetHighWatermark() {
				m.pos[p] = c
			}
			continue
		}
		if has && c >= po.GetLogStartOffset() && c <= po.GetHighWatermark() {
			m.pos[p] = c
			continue
		}
		off, err := resetPosition(asg.GetAutoOffsetReset(), p, po, c, has)
		if err != nil {
			return nil, err
		}
		if has {
			s.log.InfoContext(ctx, "committed offset out of range; resetting", "group", group, "topic", p.Topic,
				"partition", p.Partition, "offset", c, "reset", asg.GetAutoOffsetReset(), "to", off)
		}
		m.pos[p] = off
	}
	m.generation = asg.GetGeneration()
	return placeErr, nil
}

// resetPosition applies auto_offset_reset to a partition with no usable committed offset.
func resetPosition(reset string, p logoffsets.Partition, po *runnelv1.PartitionOffsets, committed int64, has bool) (int64, error) {
	switch reset {
	case "latest":
		return po.GetHighWatermark(), nil
	case "none":
		if has {
			return 0, rpcerr.New(rpcerr.OffsetOutOfRange,
				"the committed offset %d of partition %d of topic %q is outside [%d, %d] (log start, high watermark) and the member's auto_offset_reset is none; reset the group's offsets",
				committed, p.Partition, p.Topic, po.GetLogStartOffset(), po.GetHighWatermark())
		}
		return 0, rpcerr.New(rpcerr.OffsetOutOfRange,
			"partition %d of topic %q has no committed offset and the member's auto_offset_reset is none; commit or reset the group's offsets first, or join with earliest or latest",
			p.Partition, p.Topic)
	}
	return po.GetLogStartOffset(), nil
}

// committed asks the coordinator for the group's committed offsets of some partitions' topics.
func (s *Service) committed(ctx context.Context, group string, parts []logoffsets.Partition) (map[logoffsets.Partition]int64, error) {
	var topics []string
	for _, p := range parts {
		topics = append(topics, p.Topic)
	}
	topics = slices.Compact(slices.Sorted(slices.Values(topics)))
	var resp *runnelv1.FetchOffsetsResponse
	err := s.coord.call(ctx, func(ctx context.Context, c runnelv1.GroupCoordinatorServiceClient) error {
		var err error
		resp, err = c.FetchOffsets(ctx, &runnelv1.FetchOffsetsRequest{Group: group, Topics: topics})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make(map[logoffsets.Partition]int64, len(resp.GetOffsets()))
	for _, o := range resp.GetOffsets() {
		if o.GetOffset() >= 0 {
			out[logoffsets.Partition{Topic: o.GetTopic(), Partition: o.GetPartition()}] = o.GetOffset()
		}
	}
	return out, nil
}

// waitEmpty waits like an empty long poll: the member has nothing to read yet.
func waitEmpty(ctx context.Context, d time.Duration) {
	if d > 0 {
		backoff.Sleep(ctx, d)
	}
}
