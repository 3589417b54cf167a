package server_test

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
)

func TestCreateTopicValidation(t *testing.T) {
	n := startNode(t, testConfig(t)) // MaxPartitions 100
	openSession(t, n.client, 1)
	openSession(t, n.client, 2)
	if _, err := n.client.CreateTopic(ctxT(t), &runnelv1.MetadataServiceCreateTopicRequest{Name: "taken", Partitions: 1, ReplicationFactor: 1}); err != nil {
		t.Fatal(err)
	}
	req := func(name string, p, rf int32, cfg map[string]string) *runnelv1.MetadataServiceCreateTopicRequest {
		return &runnelv1.MetadataServiceCreateTopicRequest{Name: name, Partitions: p, ReplicationFactor: rf, Configs: cfg}
	}
	tests := []struct {
		name  string
		req   *runnelv1.MetadataServiceCreateTopicRequest
		code  *rpcerr.Code
		inMsg string
	}{
		{"empty name", req("", 1, 1, nil), rpcerr.InvalidTopic, "empty"},
		{"dot", req(".", 1, 1, nil), rpcerr.InvalidTopic, ""},
		{"dot dot", req("..", 1, 1, nil), rpcerr.InvalidTopic, ""},
		{"slash", req("a/b", 1, 1, nil), rpcerr.InvalidTopic, "illegal character"},
		{"space", req("a b", 1, 1, nil), rpcerr.InvalidTopic, ""},
		{"control char", req("a\x01b", 1, 1, nil), rpcerr.InvalidTopic, ""},
		{"too long", req(strings.Repeat("a", 250), 1, 1, nil), rpcerr.InvalidTopic, "249"},
		{"exists", req("taken", 1, 1, nil), rpcerr.TopicAlreadyExists, "taken"},
		{"zero partitions", req("t", 0, 1, nil), rpcerr.InvalidPartitions, "1 to 100"},
		{"negative partitions", req("t", -3, 1, nil), rpcerr.InvalidPartitions, ""},
		{"above max partitions", req("t", 101, 1, nil), rpcerr.InvalidPartitions, "1 to 100"},
		{"zero rf", req("t", 1, 0, nil), rpcerr.InvalidReplicationFactor, "at least 1"},
		{"rf above live nodes", req("t", 1, 3, nil), rpcerr.InvalidReplicationFactor, "2 live storage nodes"},
		{"unknown config", req("t", 1, 1, map[string]string{"retention.hours": "1"}), rpcerr.InvalidConfig, "retention.hours"},
		{"min isr above rf", req("t", 1, 2, map[string]string{"min.insync.replicas": "3"}), rpcerr.InvalidConfig, "min.insync.replicas"},
		{"compaction", req("t", 1, 1, map[string]string{"cleanup.policy": "compact"}), rpcerr.InvalidConfig, "cleanup.policy"},
		{"bad bool", req("t", 1, 1, map[string]string{"unclean.leader.election.enable": "maybe"}), rpcerr.InvalidConfig, "unclean.leader.election.enable"},
		{"small segment", req("t", 1, 1, map[string]string{"segment.bytes": "100"}), rpcerr.InvalidConfig, "segment.bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := clusterState(t, n.client)
			_, err := n.client.CreateTopic(ctxT(t), tt.req)
			wantCode(t, err, tt.code)
			if !strings.HasPrefix(rpcerr.FromStatus(err).Error(), tt.code.Name+": ") || !strings.Contains(err.Error(), tt.inMsg) {
				t.Errorf("message %q: want it to start with %s and mention %q", err, tt.code.Name, tt.inMsg)
			}
			if after := clusterState(t, n.client); !proto.Equal(before, after) {
				t.Errorf("a refused create changed the state:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
}

func TestTopicLifecycle(t *testing.T) {
	n := startNode(t, testConfig(t))
	for id := int32(1); id <= 3; id++ {
		openSession(t, n.client, id)
	}
	resp, err := n.client.CreateTopic(ctxT(t), &runnelv1.MetadataServiceCreateTopicRequest{
		Name: "orders", Partitions: 6, ReplicationFactor: 3, Configs: map[string]string{"min.insync.replicas": "2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	top := resp.GetTopic()
	if top.GetTopicId() == "" || top.GetPartitions() != 6 || top.GetReplicationFactor() != 3 ||
		top.GetConfigs()["min.insync.replicas"] != "2" || top.GetConfigs()["retention.ms"] != "604800000" {
		t.Fatalf("created topic %v: want id, 6 partitions, rf 3, the given and the default configs", top)
	}

	st := clusterState(t, n.client)
	if len(st.GetTopics()) != 1 || !proto.Equal(st.GetTopics()[0], top) {
		t.Fatalf("state topics %v, want exactly %v", st.GetTopics(), top)
	}
	if len(st.GetPartitions()) != 6 {
		t.Fatalf("state has %d partitions, want 6", len(st.GetPartitions()))
	}
	leaders := map[int32]int{}
	for i, p := range st.GetPartitions() {
		if p.GetTopic() != "orders" || p.GetPartition() != int32(i) || p.GetTopicId() != top.GetTopicId() {
			t.Fatalf("partition %d: %v", i, p)
		}
		reps := p.GetReplicas()
		seen := map[int32]bool{}
		for _, r := range reps {
			if seen[r] || r < 1 || r > 3 {
				t.Fatalf("partition %d replicas %v: not 3 distinct live nodes", i, reps)
			}
			seen[r] = true
		}
		if len(reps) != 3 || p.GetLeader() != reps[0] || p.GetLeaderEpoch() != 0 || p.GetPartitionEpoch() != 0 ||
			!equalIDs(p.GetIsr(), reps) {
			t.Fatalf("partition %d: %v; want leader = first replica, ISR = replicas, epochs 0", i, p)
		}
		if !proto.Equal(p, resp.GetPartitions()[i]) {
			t.Fatalf("partition %d: stored %v, response %v", i, p, resp.GetPartitions()[i])
		}
		leaders[p.GetLeader()]++
	}
	for id := int32(1); id <= 3; id++ {
		if leaders[id] != 2 {
			t.Fatalf("leaders %v: want each of the 3 nodes to lead 2 of 6 partitions", leaders)
		}
	}

	_, err = n.client.CreateTopic(ctxT(t), &runnelv1.MetadataServiceCreateTopicRequest{Name: "orders", Partitions: 1, ReplicationFactor: 1})
	wantCode(t, err, rpcerr.TopicAlreadyExists)
	_, err = n.client.CreateTopic(ctxT(t), &runnelv1.MetadataServiceCreateTopicRequest{Name: "wide", Partitions: 1, ReplicationFactor: 4})
	wantCode(t, err, rpcerr.InvalidReplicationFactor)

	if _, err := n.client.DeleteTopic(ctxT(t), &runnelv1.MetadataServiceDeleteTopicRequest{Name: "orders"}); err != nil {
		t.Fatal(err)
	}
	st = clusterState(t, n.client)
	if len(st.GetTopics()) != 0 || len(st.GetPartitions()) != 0 || len(st.GetNodes()) != 3 {
		t.Fatalf("after delete: %v; want no topics or partitions, 3 nodes", st)
	}
	_, err = n.client.DeleteTopic(ctxT(t), &runnelv1.MetadataServiceDeleteTopicRequest{Name: "orders"})
	wantCode(t, err, rpcerr.UnknownTopicOrPartition)
	_, err = n.client.DeleteTopic(ctxT(t), &runnelv1.MetadataServiceDeleteTopicRequest{Name: "../nodes"})
	wantCode(t, err, rpcerr.UnknownTopicOrPartition)

	// A topic created again gets a new id.
	again, err := n.client.CreateTopic(ctxT(t), &runnelv1.MetadataServiceCreateTopicRequest{Name: "orders", Partitions: 1, ReplicationFactor: 1})
	if err != nil {
		t.Fatal(err)
	}
	if again.GetTopic().GetTopicId() == top.GetTopicId() {
		t.Fatal("a re-created topic kept its old topic id")
	}
}

func equalIDs(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
