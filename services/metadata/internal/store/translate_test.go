package store

import (
	"slices"
	"testing"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/proto"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

func put(t *testing.T, rev int64, key string, m proto.Message) *clientv3.Event {
	t.Helper()
	v, err := encode(key, m)
	if err != nil {
		t.Fatal(err)
	}
	return &clientv3.Event{Type: mvccpb.PUT, Kv: &mvccpb.KeyValue{Key: []byte(key), Value: []byte(v), ModRevision: rev}}
}

func del(rev int64, key string) *clientv3.Event {
	return &clientv3.Event{Type: mvccpb.DELETE, Kv: &mvccpb.KeyValue{Key: []byte(key), ModRevision: rev}}
}

// summary is a compact view of a message for comparisons.
type summary struct {
	rev                         int64
	topics, deleted, partitions []string
	nodes, deletedNodes         []int32
}

func summarize(m *runnelv1.WatchResponse) summary {
	s := summary{rev: m.GetRevision(), deleted: m.GetDeletedTopics(), deletedNodes: m.GetDeletedNodes()}
	for _, t := range m.GetTopics() {
		s.topics = append(s.topics, t.GetName()+"#"+t.GetTopicId())
	}
	for _, p := range m.GetPartitions() {
		s.partitions = append(s.partitions, PartitionKey(p.GetTopic(), p.GetPartition())[len(PartitionPrefix):])
	}
	for _, n := range m.GetNodes() {
		s.nodes = append(s.nodes, n.GetId())
	}
	return s
}

func TestTranslate(t *testing.T) {
	topic := func(name, id string) *runnelv1.Topic { return &runnelv1.Topic{Name: name, TopicId: id, Partitions: 1} }
	part := func(name string, p int32) *runnelv1.PartitionState {
		return &runnelv1.PartitionState{Topic: name, Partition: p}
	}
	node := func(id int32) *runnelv1.Node { return &runnelv1.Node{Id: id, GrpcAddr: "x"} }
	tests := []struct {
		name   string
		events []*clientv3.Event
		want   []summary
	}{
		{"nothing relevant", []*clientv3.Event{
			{Type: mvccpb.PUT, Kv: &mvccpb.KeyValue{Key: []byte("/runnel/offsets/x"), ModRevision: 3}},
		}, nil},
		{"create topic", []*clientv3.Event{
			put(t, 5, TopicKey("a"), topic("a", "1")), put(t, 5, PartitionKey("a", 0), part("a", 0)), put(t, 5, PartitionKey("a", 1), part("a", 1)),
		}, []summary{{rev: 5, topics: []string{"a#1"}, partitions: []string{"a/00000", "a/00001"}}}},
		{"delete topic drops partition deletes", []*clientv3.Event{
			del(6, TopicKey("a")), del(6, PartitionKey("a", 0)), del(6, PartitionKey("a", 1)),
		}, []summary{{rev: 6, deleted: []string{"a"}}}},
		{"delete then re-create splits", []*clientv3.Event{
			del(6, TopicKey("a")), del(6, PartitionKey("a", 0)),
			put(t, 7, TopicKey("a"), topic("a", "2")), put(t, 7, PartitionKey("a", 0), part("a", 0)),
		}, []summary{
			{rev: 6, deleted: []string{"a"}},
			{rev: 7, topics: []string{"a#2"}, partitions: []string{"a/00000"}},
		}},
		{"create then delete splits", []*clientv3.Event{
			put(t, 5, TopicKey("a"), topic("a", "1")), put(t, 5, PartitionKey("a", 0), part("a", 0)),
			del(6, TopicKey("a")), del(6, PartitionKey("a", 0)),
		}, []summary{
			{rev: 5, topics: []string{"a#1"}, partitions: []string{"a/00000"}},
			{rev: 6, deleted: []string{"a"}},
		}},
		{"updates keep the latest", []*clientv3.Event{
			put(t, 5, TopicKey("a"), topic("a", "1")), put(t, 8, TopicKey("a"), topic("a", "9")),
			put(t, 8, PartitionKey("a", 0), &runnelv1.PartitionState{Topic: "a", LeaderEpoch: 1}),
			put(t, 9, PartitionKey("a", 0), &runnelv1.PartitionState{Topic: "a", LeaderEpoch: 2}),
		}, []summary{{rev: 9, topics: []string{"a#9"}, partitions: []string{"a/00000"}}}},
		{"nodes come and go", []*clientv3.Event{
			put(t, 10, NodeKey(1), node(1)), del(11, NodeKey(2)), put(t, 12, NodeKey(2), node(2)), del(13, NodeKey(1)),
		}, []summary{
			{rev: 11, nodes: []int32{1}, deletedNodes: []int32{2}},
			{rev: 13, nodes: []int32{2}, deletedNodes: []int32{1}},
		}},
		{"bad keys skipped", []*clientv3.Event{
			del(4, "/runnel/nodes/zero"), put(t, 4, NodeKey(3), node(3)),
		}, []summary{{rev: 4, nodes: []int32{3}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs, err := Translate(tt.events)
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) != len(tt.want) {
				t.Fatalf("got %d messages %v, want %d", len(msgs), msgs, len(tt.want))
			}
			for i, m := range msgs {
				if got := summarize(m); !equalSummary(got, tt.want[i]) {
					t.Errorf("message %d = %+v, want %+v", i, got, tt.want[i])
				}
				if m.GetReset_() {
					t.Errorf("message %d is a reset", i)
				}
			}
		})
	}
}

func TestTranslateCorrupt(t *testing.T) {
	ev := &clientv3.Event{Type: mvccpb.PUT, Kv: &mvccpb.KeyValue{Key: []byte(TopicKey("a")), Value: []byte{0xff, 0xff}}}
	if _, err := Translate([]*clientv3.Event{ev}); err == nil {
		t.Fatal("a value that does not decode was accepted")
	}
}

func equalSummary(a, b summary) bool {
	return a.rev == b.rev && slices.Equal(a.topics, b.topics) && slices.Equal(a.deleted, b.deleted) &&
		slices.Equal(a.partitions, b.partitions) && slices.Equal(a.nodes, b.nodes) && slices.Equal(a.deletedNodes, b.deletedNodes)
}
