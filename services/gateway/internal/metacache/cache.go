package metacache

import (
	"context"
	"slices"
	"strings"
	"sync"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// Cache is the gateway's copy of the cluster state. It is safe for concurrent use.
type Cache struct {
	mu         sync.RWMutex
	revision   int64
	topics     map[string]*topicEntry
	nodes      map[int32]*runnelv1.Node
	changed    chan struct{}
	ready      chan struct{}
	readyClose sync.Once
}

type topicEntry struct {
	topic      *runnelv1.Topic
	partitions map[int32]*runnelv1.PartitionState
}

// New returns an empty cache that is not ready.
func New() *Cache {
	return &Cache{
		topics:  map[string]*topicEntry{},
		nodes:   map[int32]*runnelv1.Node{},
		changed: make(chan struct{}),
		ready:   make(chan struct{}),
	}
}

// Apply folds one watch message into the cache and wakes everyone waiting for a change.
func (c *Cache) Apply(m *runnelv1.WatchResponse) {
	c.mu.Lock()
	if m.GetReset_() {
		clear(c.topics)
		clear(c.nodes)
		c.revision = m.GetRevision()
	} else if m.GetRevision() > c.revision {
		c.revision = m.GetRevision()
	}
	for _, name := range m.GetDeletedTopics() {
		delete(c.topics, name)
	}
	for _, id := range m.GetDeletedNodes() {
		delete(c.nodes, id)
	}
	for _, t := range m.GetTopics() {
		e, ok := c.topics[t.GetName()]
		if !ok || e.topic.GetTopicId() != t.GetTopicId() {
			old := e
			e = &topicEntry{partitions: map[int32]*runnelv1.PartitionState{}}
			if old != nil && old.topic.GetTopicId() == "" {
				e.partitions = old.partitions
			}
			c.topics[t.GetName()] = e
		}
		e.topic = t
	}
	for _, p := range m.GetPartitions() {
		e, ok := c.topics[p.GetTopic()]
		if !ok {
			// A partition of a topic not (yet) known: keep it under a placeholder so the topic
			// message that follows finds it.
			e = &topicEntry{topic: &runnelv1.Topic{Name: p.GetTopic(), TopicId: p.GetTopicId()},
				partitions: map[int32]*runnelv1.PartitionState{}}
			c.topics[p.GetTopic()] = e
		}
		if p.GetTopicId() != "" && e.topic.GetTopicId() != "" && p.GetTopicId() != e.topic.GetTopicId() {
			continue // a late change of a deleted incarnation of the topic
		}
		e.partitions[p.GetPartition()] = p
	}
	for _, n := range m.GetNodes() {
		c.nodes[n.GetId()] = n
	}
	old := c.changed
	c.changed = make(chan struct{})
	c.mu.Unlock()
	close(old)
	if m.GetReset_() {
		c.readyClose.Do(func() { close(c.ready) })
	}
}

// Ready is closed once the first snapshot has been applied.
func (c *Cache) Ready() <-chan struct{} { return c.ready }

// Revision is the metadata revision of the last applied message.
func (c *Cache) Revision() int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.revision
}

// Changed returns a channel closed by the next applied change. Take it before the lookup whose
// result may be stale, then wait on it.
func (c *Cache) Changed() <-chan struct{} {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.changed
}

// WaitChange waits until ch (from Changed) is closed or ctx ends.
func WaitChange(ctx context.Context, ch <-chan struct{}) error {
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Topic returns a topic, or false when the cache does not hold it. A topic is known once its
// Topic message arrived (a placeholder made for early partition states is not).
func (c *Cache) Topic(name string) (*runnelv1.Topic, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.topics[name]
	if !ok || e.topic.GetPartitions() <= 0 {
		return nil, false
	}
	return e.topic, true
}

// Topics returns every known topic sorted by name.
func (c *Cache) Topics() []*runnelv1.Topic {
	c.mu.RLock()
	out := make([]*runnelv1.Topic, 0, len(c.topics))
	for _, e := range c.topics {
		if e.topic.GetPartitions() > 0 {
			out = append(out, e.topic)
		}
	}
	c.mu.RUnlock()
	slices.SortFunc(out, func(a, b *runnelv1.Topic) int { return strings.Compare(a.GetName(), b.GetName()) })
	return out
}

// Partition returns the state of one partition, or false when it is unknown.
func (c *Cache) Partition(topic string, partition int32) (*runnelv1.PartitionState, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.topics[topic]
	if !ok {
		return nil, false
	}
	p, ok := e.partitions[partition]
	return p, ok
}

// Partitions returns the known partition states of a topic ordered by partition; a partition
// whose state has not arrived yet is missing from the result.
func (c *Cache) Partitions(topic string) []*runnelv1.PartitionState {
	c.mu.RLock()
	e, ok := c.topics[topic]
	var out []*runnelv1.PartitionState
	if ok {
		out = make([]*runnelv1.PartitionState, 0, len(e.partitions))
		for _, p := range e.partitions {
			out = append(out, p)
		}
	}
	c.mu.RUnlock()
	slices.SortFunc(out, func(a, b *runnelv1.PartitionState) int { return int(a.GetPartition() - b.GetPartition()) })
	return out
}

// Node returns a live storage node, or false when it is not registered.
func (c *Cache) Node(id int32) (*runnelv1.Node, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n, ok := c.nodes[id]
	return n, ok
}

// Complete reports whether the cache holds the topic with every partition state, optionally of a
// given topic id ("" matches any).
func (c *Cache) Complete(topic, topicID string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.topics[topic]
	if !ok || e.topic.GetPartitions() <= 0 || (topicID != "" && e.topic.GetTopicId() != topicID) {
		return false
	}
	for p := int32(0); p < e.topic.GetPartitions(); p++ {
		if _, ok := e.partitions[p]; !ok {
			return false
		}
	}
	return true
}

// WaitFor waits until cond holds over the cache or ctx ends; it re-checks after every change.
func (c *Cache) WaitFor(ctx context.Context, cond func() bool) error {
	for {
		ch := c.Changed()
		if cond() {
			return nil
		}
		if err := WaitChange(ctx, ch); err != nil {
			return err
		}
	}
}
