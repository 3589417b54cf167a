package cluster

import (
	"slices"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// TopicPartition names one partition.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// View is the state of the cluster as far as the watch stream has told.
type View struct {
	// Revision is the metadata revision of the last applied message.
	Revision int64
	// Synced is true once a reset (snapshot) message has been applied.
	Synced     bool
	Topics     map[string]*runnelv1.Topic
	Partitions map[TopicPartition]*runnelv1.PartitionState
	Nodes      map[int32]*runnelv1.Node
}

// NewView returns an empty, unsynced view.
func NewView() *View {
	return &View{
		Topics:     map[string]*runnelv1.Topic{},
		Partitions: map[TopicPartition]*runnelv1.PartitionState{},
		Nodes:      map[int32]*runnelv1.Node{},
	}
}

// Apply folds one watch message into the view.
func (v *View) Apply(m *runnelv1.WatchResponse) {
	if m.GetReset_() {
		clear(v.Topics)
		clear(v.Partitions)
		clear(v.Nodes)
		v.Synced = true
	}
	if r := m.GetRevision(); r > v.Revision || m.GetReset_() {
		v.Revision = r
	}
	for _, name := range m.GetDeletedTopics() {
		delete(v.Topics, name)
		for tp := range v.Partitions {
			if tp.Topic == name {
				delete(v.Partitions, tp)
			}
		}
	}
	for _, id := range m.GetDeletedNodes() {
		delete(v.Nodes, id)
	}
	for _, t := range m.GetTopics() {
		if old, ok := v.Topics[t.GetName()]; ok && old.GetTopicId() != t.GetTopicId() {
			// Recreated under the same name: the old partition states belong to the old topic.
			for tp, ps := range v.Partitions {
				if tp.Topic == t.GetName() && ps.GetTopicId() != "" && ps.GetTopicId() != t.GetTopicId() {
					delete(v.Partitions, tp)
				}
			}
		}
		v.Topics[t.GetName()] = t
	}
	for _, p := range m.GetPartitions() {
		v.Partitions[TopicPartition{Topic: p.GetTopic(), Partition: p.GetPartition()}] = p
	}
	for _, n := range m.GetNodes() {
		v.Nodes[n.GetId()] = n
	}
}

// Hosts reports whether node is among the replicas of p.
func Hosts(p *runnelv1.PartitionState, node int32) bool {
	return slices.Contains(p.GetReplicas(), node)
}
