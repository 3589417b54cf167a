package server_test

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/pkg/telemetry"
)

// TestGroupRoundTrip joins two members over gRPC, lets them settle, commits and reads back, and
// checks the errors a client relies on arrive with their codes.
func TestGroupRoundTrip(t *testing.T) {
	tel, err := telemetry.Setup(context.Background(), telemetry.Config{ServiceName: "runnel-metadata", NodeID: "m1", LogWriter: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tel.Shutdown(context.Background()) })
	cfg := testConfig(t)
	cfg.Telemetry = tel
	n := startNode(t, cfg)
	waitCoordinator(t, n)
	topicWithNode(t, n, "orders", 4)
	c := groupClient(t, n)

	a := join(t, c, &runnelv1.JoinGroupRequest{Group: "g", Topics: []string{"orders"}, ClientId: "a"})
	if a.gen != 1 || len(a.assigned) != 4 || a.interval != time.Second {
		t.Fatalf("first member: %+v; want generation 1, all 4 partitions, 1s interval", a)
	}
	b := join(t, c, &runnelv1.JoinGroupRequest{Group: "g", Topics: []string{"orders"}, SessionTimeoutMs: 3000})
	if b.gen != 1 || len(b.assigned) != 0 || b.interval != 100*time.Millisecond {
		t.Fatalf("second member: %+v; want nothing yet and a 100ms interval", b)
	}
	settle(t, c, "g", a, b)
	if len(a.assigned) != 2 || len(b.assigned) != 2 {
		t.Fatalf("settled: a %v, b %v; want 2 each", a.assigned, b.assigned)
	}

	// Commits are fenced by member, generation and ownership, all or none.
	mine, theirs := a.assigned[0], b.assigned[0]
	p := func(s string) int32 { var n int32; fmt.Sscanf(s[strings.LastIndex(s, "-")+1:], "%d", &n); return n }
	if err := commit(c, t, "g", a, &runnelv1.OffsetCommit{Topic: "orders", Partition: p(mine), Offset: 42, Metadata: "m"}); err != nil {
		t.Fatal(err)
	}
	err = commit(c, t, "g", a, &runnelv1.OffsetCommit{Topic: "orders", Partition: p(mine), Offset: 50},
		&runnelv1.OffsetCommit{Topic: "orders", Partition: p(theirs), Offset: 7})
	wantCode(t, err, rpcerr.PartitionNotAssigned)
	stale := *a
	stale.gen--
	wantCode(t, commit(c, t, "g", &stale, &runnelv1.OffsetCommit{Topic: "orders", Partition: p(mine), Offset: 1}), rpcerr.IllegalGeneration)
	wantCode(t, commit(c, t, "g", nil, &runnelv1.OffsetCommit{Topic: "orders", Partition: p(mine), Offset: 1}), rpcerr.UnknownMemberID)
	if got := fetch(t, c, "g"); !maps.Equal(got, map[string]int64{mine: 42}) {
		t.Fatalf("offsets %v, want only %s=42", got, mine)
	}

	d := describe(t, c, "g")
	if g := d.GetGroup(); g.GetState() != "Stable" || g.GetGeneration() != 2 || len(g.GetMembers()) != 2 ||
		g.GetAssignor() != "sticky" || len(g.GetOffsets()) != 4 || !slices.Equal(d.GetTopics(), []string{"orders"}) {
		t.Fatalf("describe: %v", d)
	}
	list, err := c.ListGroups(ctxT(t), &runnelv1.GroupCoordinatorServiceListGroupsRequest{})
	if err != nil || len(list.GetGroups()) != 1 || list.GetGroups()[0].GetMemberCount() != 2 {
		t.Fatalf("ListGroups: %v, %v", list, err)
	}

	for _, tc := range []struct {
		name string
		call func() error
		code *rpcerr.Code
	}{
		{"bad group id", func() error {
			_, err := c.JoinGroup(ctxT(t), &runnelv1.GroupCoordinatorServiceJoinGroupRequest{Request: &runnelv1.JoinGroupRequest{Group: "a/b", Topics: []string{"orders"}}})
			return err
		}, rpcerr.InvalidGroupID},
		{"unknown topic", func() error {
			_, err := c.JoinGroup(ctxT(t), &runnelv1.GroupCoordinatorServiceJoinGroupRequest{Request: &runnelv1.JoinGroupRequest{Group: "g", Topics: []string{"nope"}}})
			return err
		}, rpcerr.UnknownTopicOrPartition},
		{"session timeout", func() error {
			_, err := c.JoinGroup(ctxT(t), &runnelv1.GroupCoordinatorServiceJoinGroupRequest{Request: &runnelv1.JoinGroupRequest{Group: "g", Topics: []string{"orders"}, SessionTimeoutMs: 10}})
			return err
		}, rpcerr.InvalidSessionTimeout},
		{"heartbeat ahead", func() error {
			ahead := *a
			ahead.gen += 5
			return ahead.heartbeat(t, c, "g")
		}, rpcerr.IllegalGeneration},
		{"unknown member", func() error { return (&member{id: "nobody"}).heartbeat(t, c, "g") }, rpcerr.UnknownMemberID},
		{"unknown group", func() error { return (&member{id: "x"}).heartbeat(t, c, "nogroup") }, rpcerr.GroupIDNotFound},
		{"delete non-empty", func() error {
			_, err := c.DeleteGroup(ctxT(t), &runnelv1.GroupCoordinatorServiceDeleteGroupRequest{Group: "g"})
			return err
		}, rpcerr.NonEmptyGroup},
	} {
		t.Run(tc.name, func(t *testing.T) { wantCode(t, tc.call(), tc.code) })
	}
	eventually(t, waitTimeout, "the group gauges in /metrics", func() bool {
		body := scrape(t, n.srv.HTTPAddr())
		return strings.Contains(body, "runnel_group_members 2") && strings.Contains(body, "runnel_group_groups 1") &&
			strings.Contains(body, "runnel_group_rebalances_total 2")
	})

	// Leaving frees the partitions at once; an empty group keeps its offsets until deleted.
	for _, m := range []*member{a, b} {
		if _, err := c.LeaveGroup(ctxT(t), &runnelv1.GroupCoordinatorServiceLeaveGroupRequest{Request: &runnelv1.LeaveGroupRequest{Group: "g", MemberId: m.id}}); err != nil {
			t.Fatal(err)
		}
	}
	if d := describe(t, c, "g"); d.GetGroup().GetState() != "Empty" || fetch(t, c, "g")[mine] != 42 {
		t.Fatalf("after leaving: %v", d)
	}
	if _, err := c.AlterOffsets(ctxT(t), &runnelv1.AlterOffsetsRequest{Group: "g", Offsets: []*runnelv1.OffsetCommit{{Topic: "orders", Partition: 3, Offset: 9}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteGroup(ctxT(t), &runnelv1.GroupCoordinatorServiceDeleteGroupRequest{Group: "g"}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeGroup(ctxT(t), &runnelv1.GroupCoordinatorServiceDescribeGroupRequest{Group: "g"})
	wantCode(t, err, rpcerr.GroupIDNotFound)
}

// TestGroupCommitsSurviveRestart restarts the metadata node on its data directory: the group,
// its member (with a fresh session) and its commits are back.
func TestGroupCommitsSurviveRestart(t *testing.T) {
	first := startNode(t, testConfig(t))
	waitCoordinator(t, first)
	topicWithNode(t, first, "t", 3)
	c := groupClient(t, first)
	m := join(t, c, &runnelv1.JoinGroupRequest{Group: "g", Topics: []string{"t"}, SessionTimeoutMs: 60000})
	if err := commit(c, t, "g", m, &runnelv1.OffsetCommit{Topic: "t", Partition: 1, Offset: 17, Metadata: "x"},
		&runnelv1.OffsetCommit{Topic: "t", Partition: 2, Offset: 5}); err != nil {
		t.Fatal(err)
	}
	first.stop()

	s, cfg := newServer(t, first.cfg, false)
	second := runServer(t, s, cfg)
	waitReady(t, s)
	waitCoordinator(t, second)
	c = groupClient(t, second)
	if got := fetch(t, c, "g"); !maps.Equal(got, map[string]int64{"t-1": 17, "t-2": 5}) {
		t.Fatalf("offsets after restart: %v", got)
	}
	gen := m.gen
	if err := m.heartbeat(t, c, "g"); err != nil || m.gen != gen || len(m.assigned) != 3 {
		t.Fatalf("the member after restart: %+v, %v; want it back with its partitions", m, err)
	}
	if err := commit(c, t, "g", m, &runnelv1.OffsetCommit{Topic: "t", Partition: 1, Offset: 18}); err != nil {
		t.Fatal(err)
	}
}

// TestGroupSessionExpiry: a member that stops heartbeating is removed after its 1s session and
// its partitions go to the member that is alive.
func TestGroupSessionExpiry(t *testing.T) {
	n := startNode(t, testConfig(t))
	waitCoordinator(t, n)
	topicWithNode(t, n, "t", 4)
	c := groupClient(t, n)
	dead := join(t, c, &runnelv1.JoinGroupRequest{Group: "g", Topics: []string{"t"}, SessionTimeoutMs: 1000})
	alive := join(t, c, &runnelv1.JoinGroupRequest{Group: "g", Topics: []string{"t"}, SessionTimeoutMs: 1000})
	settle(t, c, "g", dead, alive)
	if len(dead.assigned) != 2 {
		t.Fatalf("the member to expire holds %v", dead.assigned)
	}
	start := time.Now()
	eventually(t, waitTimeout, "the live member to get every partition", func() bool {
		if err := alive.heartbeat(t, c, "g"); err != nil {
			t.Fatal(err)
		}
		return len(alive.assigned) == 4
	})
	if took := time.Since(start); took < 500*time.Millisecond {
		t.Fatalf("partitions moved after %s, before the 1s session could end", took)
	}
	wantCode(t, dead.heartbeat(t, c, "g"), rpcerr.UnknownMemberID)
	if d := describe(t, c, "g").GetGroup(); len(d.GetMembers()) != 1 || d.GetGeneration() != 3 {
		t.Fatalf("after expiry: %v", d)
	}
}

// TestGroupCoordinatorIsTheController: in a 3-node cluster only the controller coordinates; the
// others answer NOT_COORDINATOR. When the controller stops, another node takes over with the
// groups and their commits.
func TestGroupCoordinatorIsTheController(t *testing.T) {
	a := freeAddrs(t, 6)
	var peers []string
	for i := range 3 {
		peers = append(peers, fmt.Sprintf("m%d=http://%s", i+1, a[2*i+1]))
	}
	nodes := make([]*node, 3)
	for i := range 3 {
		cfg := testConfig(t)
		cfg.ID = fmt.Sprintf("m%d", i+1)
		cfg.EtcdClientAddr, cfg.EtcdPeerAddr, cfg.InitialCluster = a[2*i], a[2*i+1], strings.Join(peers, ",")
		cfg.ControllerSessionTTL = time.Second
		s, cfg := newServer(t, cfg, false)
		nodes[i] = runServer(t, s, cfg)
	}
	for _, n := range nodes {
		waitReady(t, n.srv)
	}
	ctrl := func() *node {
		var found *node
		eventually(t, failoverTimeout, "a coordinator", func() bool {
			for _, n := range nodes {
				if n.srv.IsCoordinator() {
					found = n
					return true
				}
			}
			return false
		})
		return found
	}
	lead := ctrl()
	topicWithNode(t, lead, "t", 2)
	c := groupClient(t, lead)
	m := join(t, c, &runnelv1.JoinGroupRequest{Group: "g", Topics: []string{"t"}})
	if err := commit(c, t, "g", m, &runnelv1.OffsetCommit{Topic: "t", Partition: 0, Offset: 3}); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if n == lead || n.srv.IsController() {
			continue
		}
		_, err := groupClient(t, n).JoinGroup(ctxT(t), &runnelv1.GroupCoordinatorServiceJoinGroupRequest{
			Request: &runnelv1.JoinGroupRequest{Group: "g", Topics: []string{"t"}}})
		wantCode(t, err, rpcerr.NotCoordinator)
		if !rpcerr.IsRetriable(rpcerr.FromStatus(err)) {
			t.Fatalf("NOT_COORDINATOR should be retriable: %v", err)
		}
	}

	lead.stop()
	next := ctrl()
	if next == lead {
		t.Fatal("the stopped node still coordinates")
	}
	c = groupClient(t, next)
	if got := fetch(t, c, "g"); got["t-0"] != 3 {
		t.Fatalf("offsets on the new coordinator: %v", got)
	}
	if err := m.heartbeat(t, c, "g"); err != nil {
		t.Fatalf("the member on the new coordinator: %v", err)
	}
	for _, n := range nodes {
		n.stop()
	}
}
