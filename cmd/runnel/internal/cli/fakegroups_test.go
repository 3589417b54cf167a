package cli

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
)

// The fake gateway's consumer groups: one coordinator in memory with the contract's fencing
// (generations, revoking partitions released by an acknowledging heartbeat, commits only of
// assigned or revoking partitions with the member's generation) but no assignor: a member's
// target is every partition of its topic unless the test sets one (setTarget). Every call that
// changes state is recorded in events, so tests can check the order of commits and
// acknowledgements.

type fakeGroup struct {
	topic   string
	members map[string]*fakeMember
	offsets map[topicPartition]int64
}

type fakeMember struct {
	id, instance string
	generation   int32
	assigned     map[int32]bool
	target       map[int32]bool // nil: every partition of the topic
	revoking     map[int32]bool
	revokedAt    int32           // R: the generation that revoked the revoking set
	positions    map[int32]int64 // FetchGroupRecords positions
	fenced       bool            // calls answer FENCED_INSTANCE_ID
	heartbeats   int
}

// fakeEvent is one recorded group call.
type fakeEvent struct {
	kind       string // join, heartbeat, commit, leave
	member     string
	generation int32
	offsets    map[int32]int64 // commit
}

func (e fakeEvent) String() string {
	return fmt.Sprintf("%s %s g%d %v", e.kind, e.member, e.generation, e.offsets)
}

func (f *fakeGateway) groupLocked(name string) (*fakeGroup, error) {
	g, ok := f.groups[name]
	if !ok {
		return nil, rpcerr.New(rpcerr.GroupIDNotFound, "group %q does not exist", name)
	}
	return g, nil
}

func (f *fakeGateway) memberLocked(group, id string) (*fakeGroup, *fakeMember, error) {
	g, err := f.groupLocked(group)
	if err != nil {
		return nil, nil, err
	}
	m, ok := g.members[id]
	if !ok {
		return nil, nil, rpcerr.New(rpcerr.UnknownMemberID, "member %q is not in group %q", id, group)
	}
	if m.fenced {
		return nil, nil, rpcerr.New(rpcerr.FencedInstanceID, "instance %q was taken over", m.instance)
	}
	return g, m, nil
}

func (f *fakeGateway) record(e fakeEvent) { f.events = append(f.events, e) }

// reconcileLocked is the coordinator's heartbeat step for m.
func (f *fakeGateway) reconcileLocked(g *fakeGroup, m *fakeMember) {
	target := m.target
	if target == nil {
		target = map[int32]bool{}
		for p := range f.topics[g.topic].logs {
			target[int32(p)] = true
		}
	}
	changed := false
	for p := range m.assigned {
		if !target[p] {
			delete(m.assigned, p)
			m.revoking[p] = true
			changed = true
		}
	}
	for p := range target {
		if !m.assigned[p] && !m.revoking[p] {
			m.assigned[p] = true
			changed = true
		}
	}
	if changed {
		m.generation++
		if len(m.revoking) > 0 {
			m.revokedAt = m.generation
		}
	}
}

func assignmentOf(topic string, set map[int32]bool) []*runnelv1.TopicPartitions {
	if len(set) == 0 {
		return nil
	}
	return []*runnelv1.TopicPartitions{{Topic: topic, Partitions: slices.Sorted(maps.Keys(set))}}
}

func (f *fakeGateway) JoinGroup(_ context.Context, r *runnelv1.JoinGroupRequest) (*runnelv1.JoinGroupResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(r.GetTopics()) != 1 {
		return nil, rpcerr.New(rpcerr.InvalidRequest, "the fake takes one topic")
	}
	if _, err := f.topic(r.GetTopics()[0]); err != nil {
		return nil, err
	}
	g, ok := f.groups[r.GetGroup()]
	if !ok {
		g = &fakeGroup{topic: r.GetTopics()[0], members: map[string]*fakeMember{}, offsets: map[topicPartition]int64{}}
		f.groups[r.GetGroup()] = g
	}
	f.nextMember++
	m := &fakeMember{id: fmt.Sprintf("m%d", f.nextMember), instance: r.GetInstanceId(), generation: 1,
		assigned: map[int32]bool{}, revoking: map[int32]bool{}, positions: map[int32]int64{}}
	g.members[m.id] = m
	f.reconcileLocked(g, m)
	m.generation = 1
	f.record(fakeEvent{kind: "join", member: m.id, generation: 1})
	return &runnelv1.JoinGroupResponse{MemberId: m.id, Generation: 1, Assignment: assignmentOf(g.topic, m.assigned),
		HeartbeatIntervalMs: 50, SessionTimeoutMs: max(r.GetSessionTimeoutMs(), 10000)}, nil
}

func (f *fakeGateway) Heartbeat(_ context.Context, r *runnelv1.HeartbeatRequest) (*runnelv1.HeartbeatResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	g, m, err := f.memberLocked(r.GetGroup(), r.GetMemberId())
	if err != nil {
		return nil, err
	}
	if r.GetGeneration() > m.generation {
		return nil, rpcerr.New(rpcerr.IllegalGeneration, "generation %d is ahead of %d", r.GetGeneration(), m.generation)
	}
	if r.GetGeneration() == 0 || r.GetGeneration() >= m.revokedAt {
		clear(m.revoking)
	}
	f.reconcileLocked(g, m)
	m.heartbeats++
	f.record(fakeEvent{kind: "heartbeat", member: m.id, generation: r.GetGeneration()})
	return &runnelv1.HeartbeatResponse{MemberId: m.id, Generation: m.generation, Assignment: assignmentOf(g.topic, m.assigned),
		HeartbeatIntervalMs: 50, SessionTimeoutMs: 10000}, nil
}

func (f *fakeGateway) LeaveGroup(_ context.Context, r *runnelv1.LeaveGroupRequest) (*runnelv1.LeaveGroupResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	g, m, err := f.memberLocked(r.GetGroup(), r.GetMemberId())
	if err != nil {
		return nil, err
	}
	delete(g.members, m.id)
	f.record(fakeEvent{kind: "leave", member: m.id, generation: m.generation})
	return &runnelv1.LeaveGroupResponse{}, nil
}

func (f *fakeGateway) FetchGroupRecords(ctx context.Context, r *runnelv1.FetchGroupRecordsRequest) (*runnelv1.FetchGroupRecordsResponse, error) {
	deadline := time.NewTimer(time.Duration(r.GetMaxWaitMs()) * time.Millisecond)
	defer deadline.Stop()
	for {
		f.mu.Lock()
		g, m, err := f.memberLocked(r.GetGroup(), r.GetMemberId())
		if err != nil {
			f.mu.Unlock()
			return nil, err
		}
		resp := &runnelv1.FetchGroupRecordsResponse{Generation: m.generation, Assignment: assignmentOf(g.topic, m.assigned)}
		logs := f.topics[g.topic].logs
		for _, p := range slices.Sorted(maps.Keys(m.assigned)) {
			pos, ok := m.positions[p]
			if !ok {
				pos = g.offsets[topicPartition{g.topic, p}]
			}
			for pos < int64(len(logs[p])) && len(resp.Records) < int(max(r.GetMaxRecords(), 1)) {
				resp.Records = append(resp.Records, logs[p][pos])
				pos++
			}
			m.positions[p] = pos
		}
		changed := f.changed
		f.mu.Unlock()
		if len(resp.Records) > 0 || r.GetMaxWaitMs() == 0 {
			return resp, nil
		}
		select {
		case <-changed:
		case <-deadline.C:
			r.MaxWaitMs = 0
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (f *fakeGateway) CommitOffsets(_ context.Context, r *runnelv1.CommitOffsetsRequest) (*runnelv1.CommitOffsetsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	g, m, err := f.memberLocked(r.GetGroup(), r.GetMemberId())
	if err != nil {
		return nil, err
	}
	if f.revokeOnCommit != nil { // the coordinator moved partitions between the member's fetch and its commit
		m.target, f.revokeOnCommit = f.revokeOnCommit, nil
		f.reconcileLocked(g, m)
	}
	if r.GetGeneration() != m.generation {
		return nil, rpcerr.New(rpcerr.IllegalGeneration, "generation %d, the member has %d", r.GetGeneration(), m.generation)
	}
	ev := fakeEvent{kind: "commit", member: m.id, generation: r.GetGeneration(), offsets: map[int32]int64{}}
	for _, o := range r.GetOffsets() {
		if !m.assigned[o.GetPartition()] && !m.revoking[o.GetPartition()] {
			return nil, rpcerr.New(rpcerr.PartitionNotAssigned, "partition %d is not the member's", o.GetPartition())
		}
		ev.offsets[o.GetPartition()] = o.GetOffset()
	}
	for p, o := range ev.offsets {
		g.offsets[topicPartition{g.topic, p}] = o
	}
	f.record(ev)
	return &runnelv1.CommitOffsetsResponse{}, nil
}

func (f *fakeGateway) ListGroups(context.Context, *runnelv1.ListGroupsRequest) (*runnelv1.ListGroupsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	resp := &runnelv1.ListGroupsResponse{}
	for name, g := range f.groups {
		state := "Stable"
		if len(g.members) == 0 {
			state = "Empty"
		}
		resp.Groups = append(resp.Groups, &runnelv1.GroupSummary{Group: name, State: state, MemberCount: int32(len(g.members)),
			Generation: 1, Assignor: "sticky"})
	}
	return resp, nil
}

func (f *fakeGateway) DescribeGroup(_ context.Context, r *runnelv1.DescribeGroupRequest) (*runnelv1.DescribeGroupResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	g, err := f.groupLocked(r.GetGroup())
	if err != nil {
		return nil, err
	}
	resp := &runnelv1.DescribeGroupResponse{Group: r.GetGroup(), State: "Empty", Generation: 1, Assignor: "sticky"}
	owner := map[int32]string{}
	for _, m := range g.members {
		resp.State = "Stable"
		resp.Members = append(resp.Members, &runnelv1.GroupMember{MemberId: m.id, InstanceId: m.instance, ClientId: cliClientID,
			Topics: []string{g.topic}, Generation: m.generation, Assignment: assignmentOf(g.topic, m.assigned),
			Revoking: assignmentOf(g.topic, m.revoking)})
		for p := range m.assigned {
			owner[p] = m.id
		}
	}
	for p, log := range f.topics[g.topic].logs {
		o, ok := g.offsets[topicPartition{g.topic, int32(p)}]
		lag := int64(len(log)) - o
		if !ok {
			o = -1
		}
		resp.Offsets = append(resp.Offsets, &runnelv1.GroupOffset{Topic: g.topic, Partition: int32(p), Offset: o,
			HighWatermark: int64(len(log)), Lag: lag, MemberId: owner[int32(p)]})
		resp.Lag += lag
	}
	return resp, nil
}

func (f *fakeGateway) ResetGroupOffsets(_ context.Context, r *runnelv1.ResetGroupOffsetsRequest) (*runnelv1.ResetGroupOffsetsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	g, err := f.groupLocked(r.GetGroup())
	if err != nil {
		return nil, err
	}
	if len(g.members) > 0 {
		return nil, rpcerr.New(rpcerr.NonEmptyGroup, "group %q has %d members", r.GetGroup(), len(g.members))
	}
	f.resets = append(f.resets, r)
	resp := &runnelv1.ResetGroupOffsetsResponse{}
	for p, log := range f.topics[g.topic].logs {
		o := int64(0)
		switch {
		case r.GetTo() == "latest":
			o = int64(len(log))
		case r.Offset != nil:
			o = min(r.GetOffset(), int64(len(log)))
		}
		if !r.GetDryRun() {
			g.offsets[topicPartition{g.topic, int32(p)}] = o
		}
		resp.Offsets = append(resp.Offsets, &runnelv1.GroupOffset{Topic: g.topic, Partition: int32(p), Offset: o,
			HighWatermark: int64(len(log)), Lag: int64(len(log)) - o})
	}
	return resp, nil
}

func (f *fakeGateway) DeleteGroup(_ context.Context, r *runnelv1.DeleteGroupRequest) (*runnelv1.DeleteGroupResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	g, err := f.groupLocked(r.GetGroup())
	if err != nil {
		return nil, err
	}
	if len(g.members) > 0 {
		return nil, rpcerr.New(rpcerr.NonEmptyGroup, "group %q has %d members", r.GetGroup(), len(g.members))
	}
	delete(f.groups, r.GetGroup())
	return &runnelv1.DeleteGroupResponse{}, nil
}

// Test hooks.

// setTarget makes the member's next heartbeat move its assignment toward partitions.
func (f *fakeGateway) setTarget(group, member string, partitions ...int32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.groups[group].members[member]
	m.target = map[int32]bool{}
	for _, p := range partitions {
		m.target[p] = true
	}
}

// revokeWithNextCommit makes the next commit of any member first move that member's assignment
// toward partitions (as a heartbeat would), so the commit meets a new generation.
func (f *fakeGateway) revokeWithNextCommit(partitions ...int32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.revokeOnCommit = map[int32]bool{}
	for _, p := range partitions {
		f.revokeOnCommit[p] = true
	}
}

// expire removes a member as a session expiry does.
func (f *fakeGateway) expire(group, member string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.groups[group].members, member)
}

// fence makes a member's calls answer FENCED_INSTANCE_ID.
func (f *fakeGateway) fence(group, member string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.groups[group].members[member].fenced = true
}

// memberIDs lists the group's members.
func (f *fakeGateway) memberIDs(group string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	g, ok := f.groups[group]
	if !ok {
		return nil
	}
	return slices.Sorted(maps.Keys(g.members))
}

// memberState returns a member's generation, assigned and revoking partitions.
func (f *fakeGateway) memberState(group, member string) (gen int32, assigned, revoking []int32, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	g, ok := f.groups[group]
	if !ok {
		return 0, nil, nil, false
	}
	m, ok := g.members[member]
	if !ok {
		return 0, nil, nil, false
	}
	return m.generation, slices.Sorted(maps.Keys(m.assigned)), slices.Sorted(maps.Keys(m.revoking)), true
}

// committed returns the group's committed offsets by partition.
func (f *fakeGateway) committed(group string) map[int32]int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[int32]int64{}
	g, ok := f.groups[group]
	if !ok {
		return out
	}
	for tp, o := range g.offsets {
		out[tp.partition] = o
	}
	return out
}

func (f *fakeGateway) eventLog() []fakeEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.events)
}

func eventsString(evs []fakeEvent) string {
	var b strings.Builder
	for _, e := range evs {
		b.WriteString(e.String())
		b.WriteByte('\n')
	}
	return b.String()
}
