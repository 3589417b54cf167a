package server_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// groupClient dials a node's GroupCoordinatorService.
func groupClient(t testing.TB, n *node) runnelv1.GroupCoordinatorServiceClient {
	t.Helper()
	conn, err := grpc.NewClient(n.srv.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return runnelv1.NewGroupCoordinatorServiceClient(conn)
}

// waitCoordinator waits until node n coordinates groups.
func waitCoordinator(t testing.TB, n *node) {
	t.Helper()
	eventually(t, failoverTimeout, "the node to coordinate groups", n.srv.IsCoordinator)
}

// topicWithNode registers a storage node (kept until the test ends) and creates a topic on it.
func topicWithNode(t testing.TB, n *node, name string, partitions int32) {
	t.Helper()
	openSession(t, n.client, 1)
	if _, err := n.client.CreateTopic(ctxT(t), &runnelv1.MetadataServiceCreateTopicRequest{
		Name: name, Partitions: partitions, ReplicationFactor: 1}); err != nil {
		t.Fatal(err)
	}
}

// member is a simulated group member: what the coordinator last told it.
type member struct {
	id       string
	gen      int32
	assigned []string
	interval time.Duration
}

func flatten(tps []*runnelv1.TopicPartitions) []string {
	var out []string
	for _, tp := range tps {
		for _, p := range tp.GetPartitions() {
			out = append(out, fmt.Sprintf("%s-%d", tp.GetTopic(), p))
		}
	}
	slices.Sort(out)
	return out
}

func join(t testing.TB, c runnelv1.GroupCoordinatorServiceClient, req *runnelv1.JoinGroupRequest) *member {
	t.Helper()
	resp, err := c.JoinGroup(ctxT(t), &runnelv1.GroupCoordinatorServiceJoinGroupRequest{Request: req})
	if err != nil {
		t.Fatalf("JoinGroup: %v", err)
	}
	r := resp.GetResponse()
	return &member{id: r.GetMemberId(), gen: r.GetGeneration(), assigned: flatten(r.GetAssignment()),
		interval: time.Duration(r.GetHeartbeatIntervalMs()) * time.Millisecond}
}

// heartbeat sends the member's generation (acknowledging what it got) and records the answer.
func (m *member) heartbeat(t testing.TB, c runnelv1.GroupCoordinatorServiceClient, group string) error {
	t.Helper()
	resp, err := c.Heartbeat(ctxT(t), &runnelv1.GroupCoordinatorServiceHeartbeatRequest{Request: &runnelv1.HeartbeatRequest{
		Group: group, MemberId: m.id, Generation: m.gen}})
	if err != nil {
		return err
	}
	r := resp.GetResponse()
	m.gen, m.assigned = r.GetGeneration(), flatten(r.GetAssignment())
	m.interval = time.Duration(r.GetHeartbeatIntervalMs()) * time.Millisecond
	return nil
}

// settle heartbeats every member in turn until the group is Stable, checking after every
// heartbeat that no partition is held by two members.
func settle(t testing.TB, c runnelv1.GroupCoordinatorServiceClient, group string, ms ...*member) {
	t.Helper()
	eventually(t, waitTimeout, "the group to settle", func() bool {
		for _, m := range ms {
			if err := m.heartbeat(t, c, group); err != nil {
				t.Fatalf("heartbeat %s: %v", m.id, err)
			}
			checkDisjoint(t, ms)
		}
		return describe(t, c, group).GetGroup().GetState() == "Stable"
	})
}

func checkDisjoint(t testing.TB, ms []*member) {
	t.Helper()
	seen := map[string]string{}
	for _, m := range ms {
		for _, p := range m.assigned {
			if other, ok := seen[p]; ok {
				t.Fatalf("partition %s held by %s and %s", p, other, m.id)
			}
			seen[p] = m.id
		}
	}
}

func describe(t testing.TB, c runnelv1.GroupCoordinatorServiceClient, group string) *runnelv1.GroupCoordinatorServiceDescribeGroupResponse {
	t.Helper()
	d, err := c.DescribeGroup(ctxT(t), &runnelv1.GroupCoordinatorServiceDescribeGroupRequest{Group: group})
	if err != nil {
		t.Fatalf("DescribeGroup: %v", err)
	}
	return d
}

func commit(c runnelv1.GroupCoordinatorServiceClient, t testing.TB, group string, m *member, offsets ...*runnelv1.OffsetCommit) error {
	req := &runnelv1.CommitOffsetsRequest{Group: group, Generation: -1, Offsets: offsets}
	if m != nil {
		req.MemberId, req.Generation = m.id, m.gen
	}
	_, err := c.CommitOffsets(ctxT(t), &runnelv1.GroupCoordinatorServiceCommitOffsetsRequest{Request: req})
	return err
}

func fetch(t testing.TB, c runnelv1.GroupCoordinatorServiceClient, group string) map[string]int64 {
	t.Helper()
	resp, err := c.FetchOffsets(ctxT(t), &runnelv1.FetchOffsetsRequest{Group: group})
	if err != nil {
		t.Fatalf("FetchOffsets: %v", err)
	}
	out := map[string]int64{}
	for _, o := range resp.GetOffsets() {
		out[fmt.Sprintf("%s-%d", o.GetTopic(), o.GetPartition())] = o.GetOffset()
	}
	return out
}
