package gatewaytest

import (
	"context"
	"fmt"
	"maps"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
)

// Coordinator is a fake GroupCoordinatorService with the coordinator's error semantics but a
// trivial assignment: a group's first member gets every partition of its topics, later members
// get none until the test calls Assign. Topics are those of the fake Metadata it was started with.
type Coordinator struct {
	runnelv1.UnimplementedGroupCoordinatorServiceServer
	Addr string
	// Calls counts the calls that reached the service (answered NOT_COORDINATOR or not).
	Calls atomic.Int64

	meta     *Metadata
	inactive atomic.Bool
	mu       sync.Mutex
	groups   map[string]*fakeGroup
	seq      int
}

type fakeGroup struct {
	generation int32
	assignor   string
	members    map[string]*fakeMember
	offsets    map[string]map[int32]*runnelv1.OffsetCommit
}

type fakeMember struct {
	req        *runnelv1.JoinGroupRequest
	generation int32
	assigned   []*runnelv1.TopicPartitions
}

// StartCoordinator starts a fake coordinator on its own port; it knows meta's topics.
func StartCoordinator(t testing.TB, meta *Metadata) *Coordinator {
	t.Helper()
	c := &Coordinator{meta: meta, groups: map[string]*fakeGroup{}}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.Addr = lis.Addr().String()
	srv := grpc.NewServer(grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		c.Calls.Add(1)
		if c.inactive.Load() {
			return nil, rpcerr.ToStatus(rpcerr.New(rpcerr.NotCoordinator, "fake coordinator %s is not active", c.Addr))
		}
		resp, err := h(ctx, req)
		return resp, rpcerr.ToStatus(err)
	}))
	runnelv1.RegisterGroupCoordinatorServiceServer(srv, c)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return c
}

// SetActive makes the coordinator answer (true, the default) or answer NOT_COORDINATOR (false).
func (c *Coordinator) SetActive(active bool) { c.inactive.Store(!active) }

// Assign gives a member an assignment (a new member generation).
func (c *Coordinator) Assign(group, member string, asg []*runnelv1.TopicPartitions) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.groups[group].members[member]
	m.assigned = asg
	m.generation++
}

// Offset returns a committed offset.
func (c *Coordinator) Offset(group, topic string, partition int32) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g, ok := c.groups[group]
	if !ok {
		return 0, false
	}
	o, ok := g.offsets[topic][partition]
	return o.GetOffset(), ok
}

func (c *Coordinator) partitions(topic string) (int32, bool) {
	c.meta.mu.Lock()
	defer c.meta.mu.Unlock()
	t, ok := c.meta.topics[topic]
	return t.GetPartitions(), ok
}

func (c *Coordinator) memberLocked(group, id string) (*fakeGroup, *fakeMember, error) {
	g, ok := c.groups[group]
	if !ok {
		return nil, nil, rpcerr.New(rpcerr.GroupIDNotFound, "group %q does not exist", group)
	}
	m, ok := g.members[id]
	if !ok {
		return g, nil, rpcerr.New(rpcerr.UnknownMemberID, "member %q is not in group %q", id, group)
	}
	return g, m, nil
}

// JoinGroup adds a member.
func (c *Coordinator) JoinGroup(_ context.Context, w *runnelv1.GroupCoordinatorServiceJoinGroupRequest) (*runnelv1.GroupCoordinatorServiceJoinGroupResponse, error) {
	req := w.GetRequest()
	switch {
	case req.GetGroup() == "":
		return nil, rpcerr.New(rpcerr.InvalidGroupID, "the group id is empty")
	case len(req.GetTopics()) == 0:
		return nil, rpcerr.New(rpcerr.InvalidRequest, "name at least one topic")
	case req.GetSessionTimeoutMs() != 0 && (req.GetSessionTimeoutMs() < 1000 || req.GetSessionTimeoutMs() > 300000):
		return nil, rpcerr.New(rpcerr.InvalidSessionTimeout, "session timeout %d outside [1000, 300000]", req.GetSessionTimeoutMs())
	}
	var asg []*runnelv1.TopicPartitions
	for _, t := range req.GetTopics() {
		n, ok := c.partitions(t)
		if !ok {
			return nil, rpcerr.New(rpcerr.UnknownTopicOrPartition, "topic %q does not exist", t)
		}
		tp := &runnelv1.TopicPartitions{Topic: t}
		for p := range n {
			tp.Partitions = append(tp.Partitions, p)
		}
		asg = append(asg, tp)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	g, ok := c.groups[req.GetGroup()]
	if !ok {
		g = &fakeGroup{assignor: "sticky", members: map[string]*fakeMember{}, offsets: map[string]map[int32]*runnelv1.OffsetCommit{}}
		c.groups[req.GetGroup()] = g
	}
	if len(g.members) > 0 {
		asg = nil
	}
	c.seq++
	id := fmt.Sprintf("member-%d", c.seq)
	g.members[id] = &fakeMember{req: req, generation: 1, assigned: asg}
	g.generation++
	session := req.GetSessionTimeoutMs()
	if session == 0 {
		session = 10000
	}
	return &runnelv1.GroupCoordinatorServiceJoinGroupResponse{Response: &runnelv1.JoinGroupResponse{
		MemberId: id, Generation: 1, Assignment: asg, HeartbeatIntervalMs: 1000, SessionTimeoutMs: session}}, nil
}

// Heartbeat answers the member's assignment.
func (c *Coordinator) Heartbeat(_ context.Context, w *runnelv1.GroupCoordinatorServiceHeartbeatRequest) (*runnelv1.GroupCoordinatorServiceHeartbeatResponse, error) {
	req := w.GetRequest()
	c.mu.Lock()
	defer c.mu.Unlock()
	_, m, err := c.memberLocked(req.GetGroup(), req.GetMemberId())
	if err != nil {
		return nil, err
	}
	if req.GetGeneration() > m.generation {
		return nil, rpcerr.New(rpcerr.IllegalGeneration, "generation %d is ahead of the member's %d", req.GetGeneration(), m.generation)
	}
	return &runnelv1.GroupCoordinatorServiceHeartbeatResponse{Response: &runnelv1.HeartbeatResponse{
		MemberId: req.GetMemberId(), Generation: m.generation, Assignment: m.assigned,
		HeartbeatIntervalMs: 1000, SessionTimeoutMs: max(m.req.GetSessionTimeoutMs(), 1000)}}, nil
}

// LeaveGroup removes a member.
func (c *Coordinator) LeaveGroup(_ context.Context, w *runnelv1.GroupCoordinatorServiceLeaveGroupRequest) (*runnelv1.GroupCoordinatorServiceLeaveGroupResponse, error) {
	req := w.GetRequest()
	c.mu.Lock()
	defer c.mu.Unlock()
	g, _, err := c.memberLocked(req.GetGroup(), req.GetMemberId())
	if err != nil {
		return nil, err
	}
	delete(g.members, req.GetMemberId())
	g.generation++
	return &runnelv1.GroupCoordinatorServiceLeaveGroupResponse{}, nil
}

// GetAssignment answers the member's assignment.
func (c *Coordinator) GetAssignment(_ context.Context, req *runnelv1.GetAssignmentRequest) (*runnelv1.GetAssignmentResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, m, err := c.memberLocked(req.GetGroup(), req.GetMemberId())
	if err != nil {
		return nil, err
	}
	reset := m.req.GetAutoOffsetReset()
	if reset == "" {
		reset = "earliest"
	}
	return &runnelv1.GetAssignmentResponse{Generation: m.generation, Assignment: m.assigned, AutoOffsetReset: reset}, nil
}

// CommitOffsets stores offsets fenced by member and generation, all or none.
func (c *Coordinator) CommitOffsets(_ context.Context, w *runnelv1.GroupCoordinatorServiceCommitOffsetsRequest) (*runnelv1.GroupCoordinatorServiceCommitOffsetsResponse, error) {
	req := w.GetRequest()
	if len(req.GetOffsets()) == 0 {
		return nil, rpcerr.New(rpcerr.InvalidRequest, "no offsets to commit")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	g, ok := c.groups[req.GetGroup()]
	if req.GetMemberId() == "" && req.GetGeneration() == -1 {
		if ok && len(g.members) > 0 {
			return nil, rpcerr.New(rpcerr.UnknownMemberID, "group %q has members; commit as one of them", req.GetGroup())
		}
	} else {
		_, m, err := c.memberLocked(req.GetGroup(), req.GetMemberId())
		if err != nil {
			return nil, err
		}
		if req.GetGeneration() != m.generation {
			return nil, rpcerr.New(rpcerr.IllegalGeneration, "generation %d, the member is at %d", req.GetGeneration(), m.generation)
		}
		for _, o := range req.GetOffsets() {
			if !owns(m.assigned, o.GetTopic(), o.GetPartition()) {
				return nil, rpcerr.New(rpcerr.PartitionNotAssigned, "partition %d of topic %q is not the member's", o.GetPartition(), o.GetTopic())
			}
		}
	}
	for _, o := range req.GetOffsets() {
		if o.GetOffset() < 0 {
			return nil, rpcerr.New(rpcerr.OffsetOutOfRange, "offset %d is negative", o.GetOffset())
		}
	}
	c.storeLocked(req.GetGroup(), req.GetOffsets())
	return &runnelv1.GroupCoordinatorServiceCommitOffsetsResponse{}, nil
}

func owns(asg []*runnelv1.TopicPartitions, topic string, p int32) bool {
	for _, tp := range asg {
		if tp.GetTopic() == topic && slices.Contains(tp.GetPartitions(), p) {
			return true
		}
	}
	return false
}

func (c *Coordinator) storeLocked(group string, offs []*runnelv1.OffsetCommit) {
	g, ok := c.groups[group]
	if !ok {
		g = &fakeGroup{assignor: "sticky", members: map[string]*fakeMember{}, offsets: map[string]map[int32]*runnelv1.OffsetCommit{}}
		c.groups[group] = g
	}
	for _, o := range offs {
		if g.offsets[o.GetTopic()] == nil {
			g.offsets[o.GetTopic()] = map[int32]*runnelv1.OffsetCommit{}
		}
		g.offsets[o.GetTopic()][o.GetPartition()] = o
	}
}

// FetchOffsets returns committed offsets.
func (c *Coordinator) FetchOffsets(_ context.Context, req *runnelv1.FetchOffsetsRequest) (*runnelv1.FetchOffsetsResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := &runnelv1.FetchOffsetsResponse{}
	g, ok := c.groups[req.GetGroup()]
	if !ok {
		return out, nil
	}
	for topic, ps := range g.offsets {
		if len(req.GetTopics()) > 0 && !slices.Contains(req.GetTopics(), topic) {
			continue
		}
		for _, o := range ps {
			out.Offsets = append(out.Offsets, o)
		}
	}
	return out, nil
}

// AlterOffsets overwrites offsets of a group with no members.
func (c *Coordinator) AlterOffsets(_ context.Context, req *runnelv1.AlterOffsetsRequest) (*runnelv1.AlterOffsetsResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if g, ok := c.groups[req.GetGroup()]; ok && len(g.members) > 0 {
		return nil, rpcerr.New(rpcerr.NonEmptyGroup, "group %q has members", req.GetGroup())
	}
	c.storeLocked(req.GetGroup(), req.GetOffsets())
	return &runnelv1.AlterOffsetsResponse{}, nil
}

// ListGroups lists every group.
func (c *Coordinator) ListGroups(context.Context, *runnelv1.GroupCoordinatorServiceListGroupsRequest) (*runnelv1.GroupCoordinatorServiceListGroupsResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := &runnelv1.GroupCoordinatorServiceListGroupsResponse{}
	for _, name := range slices.Sorted(maps.Keys(c.groups)) {
		g := c.groups[name]
		out.Groups = append(out.Groups, &runnelv1.GroupSummary{Group: name, State: g.state(),
			MemberCount: int32(len(g.members)), Generation: g.generation, Assignor: g.assignor})
	}
	return out, nil
}

func (g *fakeGroup) state() string {
	if len(g.members) == 0 {
		return "Empty"
	}
	return "Stable"
}

// DescribeGroup returns a group's members, committed offsets and topics.
func (c *Coordinator) DescribeGroup(_ context.Context, req *runnelv1.GroupCoordinatorServiceDescribeGroupRequest) (*runnelv1.GroupCoordinatorServiceDescribeGroupResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g, ok := c.groups[req.GetGroup()]
	if !ok {
		return nil, rpcerr.New(rpcerr.GroupIDNotFound, "group %q does not exist", req.GetGroup())
	}
	d := &runnelv1.DescribeGroupResponse{Group: req.GetGroup(), State: g.state(), Generation: g.generation, Assignor: g.assignor}
	topics := map[string]bool{}
	for _, id := range slices.Sorted(maps.Keys(g.members)) {
		m := g.members[id]
		d.Members = append(d.Members, &runnelv1.GroupMember{MemberId: id, Topics: m.req.GetTopics(),
			Generation: m.generation, Assignment: m.assigned, SessionTimeoutMs: m.req.GetSessionTimeoutMs()})
		for _, t := range m.req.GetTopics() {
			topics[t] = true
		}
	}
	for topic, ps := range g.offsets {
		topics[topic] = true
		for p, o := range ps {
			owner := ""
			for id, m := range g.members {
				if owns(m.assigned, topic, p) {
					owner = id
				}
			}
			d.Offsets = append(d.Offsets, &runnelv1.GroupOffset{Topic: topic, Partition: p, Offset: o.GetOffset(),
				Metadata: o.GetMetadata(), MemberId: owner})
		}
	}
	return &runnelv1.GroupCoordinatorServiceDescribeGroupResponse{Group: d, Topics: slices.Sorted(maps.Keys(topics))}, nil
}

// DeleteGroup deletes a group with no members.
func (c *Coordinator) DeleteGroup(_ context.Context, req *runnelv1.GroupCoordinatorServiceDeleteGroupRequest) (*runnelv1.GroupCoordinatorServiceDeleteGroupResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g, ok := c.groups[req.GetGroup()]
	switch {
	case !ok:
		return nil, rpcerr.New(rpcerr.GroupIDNotFound, "group %q does not exist", req.GetGroup())
	case len(g.members) > 0:
		return nil, rpcerr.New(rpcerr.NonEmptyGroup, "group %q has members", req.GetGroup())
	}
	delete(c.groups, req.GetGroup())
	return &runnelv1.GroupCoordinatorServiceDeleteGroupResponse{}, nil
}
