package cluster

import (
	"testing"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

func topic(name, id string) *runnelv1.Topic {
	return &runnelv1.Topic{Name: name, TopicId: id, Partitions: 1, ReplicationFactor: 1}
}

func part(t, id string, p int32, replicas ...int32) *runnelv1.PartitionState {
	return &runnelv1.PartitionState{Topic: t, TopicId: id, Partition: p, Replicas: replicas, Leader: replicas[0], Isr: replicas}
}

func TestViewApply(t *testing.T) {
	tests := []struct {
		name       string
		msgs       []*runnelv1.WatchResponse
		topics     map[string]string // name → id
		partitions []TopicPartition
		nodes      []int32
		synced     bool
		revision   int64
	}{
		{
			name:   "empty",
			msgs:   nil,
			topics: map[string]string{},
		},
		{
			name: "snapshot then changes",
			msgs: []*runnelv1.WatchResponse{
				{Revision: 5, Reset_: true, Topics: []*runnelv1.Topic{topic("a", "1")},
					Partitions: []*runnelv1.PartitionState{part("a", "1", 0, 1)}, Nodes: []*runnelv1.Node{{Id: 1}}},
				{Revision: 6, Topics: []*runnelv1.Topic{topic("b", "2")},
					Partitions: []*runnelv1.PartitionState{part("b", "2", 0, 1), part("b", "2", 1, 2)}, Nodes: []*runnelv1.Node{{Id: 2}}},
			},
			topics:     map[string]string{"a": "1", "b": "2"},
			partitions: []TopicPartition{{"a", 0}, {"b", 0}, {"b", 1}},
			nodes:      []int32{1, 2},
			synced:     true,
			revision:   6,
		},
		{
			name: "delete topic drops its partitions and a node",
			msgs: []*runnelv1.WatchResponse{
				{Revision: 1, Reset_: true, Topics: []*runnelv1.Topic{topic("a", "1"), topic("b", "2")},
					Partitions: []*runnelv1.PartitionState{part("a", "1", 0, 1), part("b", "2", 0, 1)}, Nodes: []*runnelv1.Node{{Id: 1}, {Id: 2}}},
				{Revision: 2, DeletedTopics: []string{"a"}, DeletedNodes: []int32{2}},
			},
			topics:     map[string]string{"b": "2"},
			partitions: []TopicPartition{{"b", 0}},
			nodes:      []int32{1},
			synced:     true,
			revision:   2,
		},
		{
			name: "reset replaces everything",
			msgs: []*runnelv1.WatchResponse{
				{Revision: 9, Reset_: true, Topics: []*runnelv1.Topic{topic("a", "1")},
					Partitions: []*runnelv1.PartitionState{part("a", "1", 0, 1)}, Nodes: []*runnelv1.Node{{Id: 1}}},
				{Revision: 3, Reset_: true, Topics: []*runnelv1.Topic{topic("c", "3")},
					Partitions: []*runnelv1.PartitionState{part("c", "3", 0, 1)}},
			},
			topics:     map[string]string{"c": "3"},
			partitions: []TopicPartition{{"c", 0}},
			synced:     true,
			revision:   3,
		},
		{
			name: "recreated topic drops partitions of the old id",
			msgs: []*runnelv1.WatchResponse{
				{Revision: 1, Reset_: true, Topics: []*runnelv1.Topic{topic("a", "1")},
					Partitions: []*runnelv1.PartitionState{part("a", "1", 0, 1), part("a", "1", 1, 1)}},
				{Revision: 2, Topics: []*runnelv1.Topic{topic("a", "2")},
					Partitions: []*runnelv1.PartitionState{part("a", "2", 0, 1)}},
			},
			topics:     map[string]string{"a": "2"},
			partitions: []TopicPartition{{"a", 0}},
			synced:     true,
			revision:   2,
		},
		{
			name: "delete then recreate in one message",
			msgs: []*runnelv1.WatchResponse{
				{Revision: 1, Reset_: true, Topics: []*runnelv1.Topic{topic("a", "1")},
					Partitions: []*runnelv1.PartitionState{part("a", "1", 0, 1)}},
				{Revision: 2, DeletedTopics: []string{"a"}, Topics: []*runnelv1.Topic{topic("a", "2")},
					Partitions: []*runnelv1.PartitionState{part("a", "2", 0, 1)}},
			},
			topics:     map[string]string{"a": "2"},
			partitions: []TopicPartition{{"a", 0}},
			synced:     true,
			revision:   2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := NewView()
			for _, m := range tt.msgs {
				v.Apply(m)
			}
			if v.Synced != tt.synced || v.Revision != tt.revision {
				t.Fatalf("synced %v revision %d, want %v %d", v.Synced, v.Revision, tt.synced, tt.revision)
			}
			if len(v.Topics) != len(tt.topics) {
				t.Fatalf("topics %v, want %v", v.Topics, tt.topics)
			}
			for name, id := range tt.topics {
				if got := v.Topics[name].GetTopicId(); got != id {
					t.Errorf("topic %s id %q, want %q", name, got, id)
				}
			}
			if len(v.Partitions) != len(tt.partitions) {
				t.Fatalf("partitions %v, want %v", v.Partitions, tt.partitions)
			}
			for _, tp := range tt.partitions {
				if v.Partitions[tp] == nil {
					t.Errorf("partition %v missing", tp)
				}
			}
			if len(v.Nodes) != len(tt.nodes) {
				t.Fatalf("nodes %v, want %v", v.Nodes, tt.nodes)
			}
			for _, id := range tt.nodes {
				if v.Nodes[id] == nil {
					t.Errorf("node %d missing", id)
				}
			}
		})
	}
}

func TestHosts(t *testing.T) {
	p := part("a", "1", 0, 1, 3)
	for _, tt := range []struct {
		node int32
		want bool
	}{{1, true}, {3, true}, {2, false}} {
		if got := Hosts(p, tt.node); got != tt.want {
			t.Errorf("Hosts(%d) = %v, want %v", tt.node, got, tt.want)
		}
	}
}
