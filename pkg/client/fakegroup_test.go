package client

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/grpc/codes"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// Heartbeat intervals the fake coordinator answers: short, so tests run fast.
const (
	fakeStableIntervalMs      = 200
	fakeReconcilingIntervalMs = 20
)

func (f *fakeGateway) group(name string) *fakeGroup {
	g, ok := f.groups[name]
	if !ok {
		g = &fakeGroup{members: map[string]*fakeMember{}, offsets: map[TopicPartition]int64{}, fenced: map[string]bool{}}
		f.groups[name] = g
	}
	return g
}

// targetLocked deals the group's partitions (sorted) to its members (in join order) in turn.
func (f *fakeGateway) targetLocked(g *fakeGroup) map[string]map[TopicPartition]bool {
	out := map[string]map[TopicPartition]bool{}
	for _, id := range g.order {
		out[id] = map[TopicPartition]bool{}
	}
	if len(g.order) == 0 {
		return out
	}
	i := 0
	for _, tp := range f.groupPartitionsLocked(g) {
		out[g.order[i%len(g.order)]][tp] = true
		i++
	}
	return out
}

func (f *fakeGateway) groupPartitionsLocked(g *fakeGroup) []TopicPartition {
	var out []TopicPartition
	for _, topic := range g.topics {
		for p := range f.topics[topic].parts {
			out = append(out, TopicPartition{Topic: topic, Partition: int32(p)})
		}
	}
	return out
}

// reconcileLocked applies GROUPS.md's step (2) and (3) to m; it returns the heartbeat interval.
func (f *fakeGateway) reconcileLocked(g *fakeGroup, m *fakeMember, bump bool) int32 {
	target := f.targetLocked(g)[m.id]
	taken := map[TopicPartition]bool{}
	for id, o := range g.members {
		if id == m.id {
			continue
		}
		for tp := range o.assigned {
			taken[tp] = true
		}
		for tp := range o.revoking {
			taken[tp] = true
		}
	}
	next := map[TopicPartition]bool{}
	var moved []TopicPartition
	for tp := range m.assigned {
		if target[tp] {
			next[tp] = true
		} else {
			moved = append(moved, tp)
		}
	}
	for tp := range target {
		if !m.assigned[tp] && !taken[tp] {
			next[tp] = true
		}
	}
	changed := len(next) != len(m.assigned)
	for tp := range next {
		changed = changed || !m.assigned[tp]
	}
	if changed && bump {
		m.gen++
	}
	if len(moved) > 0 {
		for _, tp := range moved {
			m.revoking[tp] = true
		}
		m.r = m.gen
	}
	m.assigned = next
	if len(m.revoking) > 0 || len(next) != len(target) {
		return fakeReconcilingIntervalMs
	}
	return fakeStableIntervalMs
}

func assignmentOf(set map[TopicPartition]bool) []*runnelv1.TopicPartitions {
	by := map[string][]int32{}
	for tp := range set {
		by[tp.Topic] = append(by[tp.Topic], tp.Partition)
	}
	var out []*runnelv1.TopicPartitions
	for t, ps := range by {
		slices.Sort(ps)
		out = append(out, &runnelv1.TopicPartitions{Topic: t, Partitions: ps})
	}
	slices.SortFunc(out, func(a, b *runnelv1.TopicPartitions) int { return strings.Compare(a.Topic, b.Topic) })
	return out
}

func (f *fakeGateway) JoinGroup(_ context.Context, req *runnelv1.JoinGroupRequest) (*runnelv1.JoinGroupResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range req.GetTopics() {
		if _, ok := f.topics[t]; !ok {
			return nil, statusErr(codes.NotFound, CodeUnknownTopicOrPartition, fmt.Sprintf("topic %q does not exist", t))
		}
	}
	g := f.group(req.GetGroup())
	f.nextID++
	m := &fakeMember{id: fmt.Sprintf("m%d", f.nextID), instance: req.GetInstanceId(), topics: req.GetTopics(),
		gen: 1, assigned: map[TopicPartition]bool{}, revoking: map[TopicPartition]bool{}}
	for _, t := range req.GetTopics() {
		if !slices.Contains(g.topics, t) {
			g.topics = append(g.topics, t)
		}
	}
	var interval int32 = fakeReconcilingIntervalMs
	replaced := ""
	if m.instance != "" {
		for id, o := range g.members {
			if o.instance == m.instance {
				replaced = id
				m.assigned, m.revoking, m.r, m.gen = o.assigned, o.revoking, o.r, o.gen+1
			}
		}
	}
	if replaced != "" {
		g.fenced[replaced] = true
		delete(g.members, replaced)
		i := slices.Index(g.order, replaced)
		g.order[i] = m.id
		g.members[m.id] = m
	} else {
		g.members[m.id] = m
		g.order = append(g.order, m.id)
		interval = f.reconcileLocked(g, m, false)
	}
	f.events = append(f.events, "join "+m.id)
	return &runnelv1.JoinGroupResponse{MemberId: m.id, Generation: m.gen, Assignment: assignmentOf(m.assigned),
		HeartbeatIntervalMs: interval, SessionTimeoutMs: req.GetSessionTimeoutMs()}, nil
}

func (f *fakeGateway) memberLocked(group, id string) (*fakeGroup, *fakeMember, error) {
	g, ok := f.groups[group]
	if !ok {
		return nil, nil, statusErr(codes.NotFound, CodeGroupIDNotFound, "no such group")
	}
	if g.fenced[id] {
		return nil, nil, statusErr(codes.FailedPrecondition, CodeFencedInstanceID, "fenced")
	}
	m, ok := g.members[id]
	if !ok {
		return nil, nil, statusErr(codes.NotFound, CodeUnknownMemberID, "no such member")
	}
	return g, m, nil
}

func (f *fakeGateway) Heartbeat(_ context.Context, req *runnelv1.HeartbeatRequest) (*runnelv1.HeartbeatResponse, error) {
	f.mu.Lock()
	hook := f.heartbeatHook
	f.mu.Unlock()
	if hook != nil {
		if err := hook(req); err != nil {
			return nil, err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, fmt.Sprintf("heartbeat %s %d", req.GetMemberId(), req.GetGeneration()))
	g, m, err := f.memberLocked(req.GetGroup(), req.GetMemberId())
	if err != nil {
		return nil, err
	}
	gen := req.GetGeneration()
	if gen > m.gen {
		return nil, statusErr(codes.Aborted, CodeIllegalGeneration, "generation from the future")
	}
	if gen == 0 || gen >= m.r {
		clear(m.revoking)
	}
	interval := f.reconcileLocked(g, m, true)
	return &runnelv1.HeartbeatResponse{MemberId: m.id, Generation: m.gen, Assignment: assignmentOf(m.assigned),
		HeartbeatIntervalMs: interval}, nil
}

func (f *fakeGateway) LeaveGroup(_ context.Context, req *runnelv1.LeaveGroupRequest) (*runnelv1.LeaveGroupResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, "leave "+req.GetMemberId())
	g, _, err := f.memberLocked(req.GetGroup(), req.GetMemberId())
	if err != nil {
		return nil, err
	}
	f.removeLocked(g, req.GetMemberId())
	return &runnelv1.LeaveGroupResponse{}, nil
}

// expire removes a member as a session expiry does.
func (f *fakeGateway) expire(group, id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removeLocked(f.groups[group], id)
}

func (f *fakeGateway) removeLocked(g *fakeGroup, id string) {
	delete(g.members, id)
	g.order = slices.DeleteFunc(g.order, func(s string) bool { return s == id })
}

func (f *fakeGateway) CommitOffsets(_ context.Context, req *runnelv1.CommitOffsetsRequest) (*runnelv1.CommitOffsetsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var parts []string
	for _, o := range req.GetOffsets() {
		parts = append(parts, fmt.Sprintf("%s/%d=%d", o.GetTopic(), o.GetPartition(), o.GetOffset()))
	}
	slices.Sort(parts)
	f.events = append(f.events, fmt.Sprintf("commit %s %d %s", req.GetMemberId(), req.GetGeneration(), strings.Join(parts, ",")))
	g := f.group(req.GetGroup())
	if req.GetMemberId() == "" && req.GetGeneration() == -1 {
		if len(g.members) > 0 {
			return nil, statusErr(codes.NotFound, CodeUnknownMemberID, "the group has members")
		}
	} else {
		_, m, err := f.memberLocked(req.GetGroup(), req.GetMemberId())
		if err != nil {
			return nil, err
		}
		if req.GetGeneration() != m.gen {
			return nil, statusErr(codes.Aborted, CodeIllegalGeneration, fmt.Sprintf("generation %d, member at %d", req.GetGeneration(), m.gen))
		}
		for _, o := range req.GetOffsets() {
			tp := TopicPartition{Topic: o.GetTopic(), Partition: o.GetPartition()}
			if !m.assigned[tp] && !m.revoking[tp] {
				return nil, statusErr(codes.FailedPrecondition, CodePartitionNotAssigned, tp.String()+" is not assigned")
			}
		}
	}
	for _, o := range req.GetOffsets() {
		g.offsets[TopicPartition{Topic: o.GetTopic(), Partition: o.GetPartition()}] = o.GetOffset()
	}
	return &runnelv1.CommitOffsetsResponse{}, nil
}

func (f *fakeGateway) GetGroupOffsets(_ context.Context, req *runnelv1.GetGroupOffsetsRequest) (*runnelv1.GetGroupOffsetsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	g, ok := f.groups[req.GetGroup()]
	if !ok {
		return nil, statusErr(codes.NotFound, CodeGroupIDNotFound, "no such group")
	}
	resp := &runnelv1.GetGroupOffsetsResponse{}
	for _, tp := range f.groupPartitionsLocked(g) {
		t := f.topics[tp.Topic]
		start := t.logStart[tp.Partition]
		off, ok := g.offsets[tp]
		if !ok {
			off = -1
		}
		resp.Offsets = append(resp.Offsets, &runnelv1.GroupOffset{Topic: tp.Topic, Partition: tp.Partition, Offset: off,
			LogStartOffset: start, HighWatermark: start + int64(len(t.parts[tp.Partition]))})
	}
	return resp, nil
}

// committedOffset returns a group's committed offset of tp (-1 when none).
func (f *fakeGateway) committedOffset(group string, tp TopicPartition) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	g, ok := f.groups[group]
	if !ok {
		return -1
	}
	if off, ok := g.offsets[tp]; ok {
		return off
	}
	return -1
}
