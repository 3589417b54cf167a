package store

import (
	"context"
	"errors"
	"fmt"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// ErrResync means the etcd watch can no longer be followed (compacted, cancelled, lost its
// leader) and the caller should start over from a fresh snapshot.
var ErrResync = errors.New("store: watch must resync")

// Watch sends the whole state as a reset message, then every change as it happens, until ctx ends
// (it then returns ctx's error) or send fails (it returns that error). After a compaction or a
// broken etcd watch it sends a fresh reset and goes on.
//
// Each etcd watch response becomes one message whose revision is that of its last event. A
// message never holds a delete and an upsert of the same topic (or node): when a batch deletes
// and re-creates a topic, it is split at that point into several messages, so a client may apply
// the lists of one message in any order. Partition deletions are not sent: they only happen with
// their topic's deletion, which deleted_topics carries.
func (s *Store) Watch(ctx context.Context, send func(*runnelv1.WatchResponse) error) error {
	for {
		st, err := s.State(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		if err := send(&runnelv1.WatchResponse{
			Revision: st.Revision, Reset_: true,
			Topics: st.Topics, Partitions: st.Partitions, Nodes: st.Nodes,
		}); err != nil {
			return err
		}
		err = s.follow(ctx, st.Revision+1, send)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !errors.Is(err, ErrResync) {
			return err
		}
	}
}

// follow sends the changes of one etcd watch that starts at rev.
func (s *Store) follow(ctx context.Context, rev int64, send func(*runnelv1.WatchResponse) error) error {
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	start, end := watchRange()
	for resp := range s.c.Watch(wctx, start, clientv3.WithRange(end), clientv3.WithRev(rev)) {
		if resp.Canceled || resp.CompactRevision != 0 || resp.Err() != nil {
			return fmt.Errorf("%w: %v", ErrResync, resp.Err())
		}
		msgs, err := Translate(resp.Events)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if err := send(m); err != nil {
				return err
			}
		}
	}
	return fmt.Errorf("%w: watch channel closed", ErrResync)
}

// Translate turns etcd events (in revision order) into watch messages, as Watch describes. Events
// on keys outside the layout are skipped. It returns no message when nothing relevant changed.
func Translate(events []*clientv3.Event) ([]*runnelv1.WatchResponse, error) {
	var out []*runnelv1.WatchResponse
	b := newBatch()
	for _, ev := range events {
		key := string(ev.Kv.Key)
		pk, err := ParseKey(key)
		if err != nil || pk.Kind == KindOther {
			continue // not ours: a key of a later part, or one that does not follow the layout
		}
		put := ev.Type == mvccpb.PUT
		if b.conflicts(pk, put) {
			out = append(out, b.msg)
			b = newBatch()
		}
		if err := b.add(pk, put, key, ev.Kv.Value); err != nil {
			return nil, err
		}
		b.msg.Revision = ev.Kv.ModRevision
	}
	if !b.empty() {
		out = append(out, b.msg)
	}
	return out, nil
}

// batch builds one message, remembering which topics and nodes it upserts or deletes.
type batch struct {
	msg          *runnelv1.WatchResponse
	topicAt      map[string]int  // topic → index in msg.Topics
	partitionAt  map[string]int  // partition key → index in msg.Partitions
	upserted     map[string]bool // topics with a topic or partition upsert
	deleted      map[string]bool // topics deleted
	nodeAt       map[int32]int   // node → index in msg.Nodes
	nodesDeleted map[int32]bool
}

func newBatch() *batch {
	return &batch{
		msg:     &runnelv1.WatchResponse{},
		topicAt: map[string]int{}, partitionAt: map[string]int{},
		upserted: map[string]bool{}, deleted: map[string]bool{},
		nodeAt: map[int32]int{}, nodesDeleted: map[int32]bool{},
	}
}

func (b *batch) empty() bool {
	m := b.msg
	return len(m.Topics)+len(m.DeletedTopics)+len(m.Partitions)+len(m.Nodes)+len(m.DeletedNodes) == 0
}

// conflicts reports whether adding the event would put a delete and an upsert of the same topic
// or node into one message.
func (b *batch) conflicts(pk ParsedKey, put bool) bool {
	switch pk.Kind {
	case KindTopic:
		if put {
			return b.deleted[pk.Topic]
		}
		return b.upserted[pk.Topic]
	case KindPartition:
		return put && b.deleted[pk.Topic]
	case KindNode:
		if put {
			return b.nodesDeleted[pk.Node]
		}
		_, ok := b.nodeAt[pk.Node]
		return ok
	}
	return false
}

func (b *batch) add(pk ParsedKey, put bool, key string, value []byte) error {
	m := b.msg
	switch pk.Kind {
	case KindTopic:
		if !put {
			if !b.deleted[pk.Topic] {
				b.deleted[pk.Topic] = true
				m.DeletedTopics = append(m.DeletedTopics, pk.Topic)
			}
			return nil
		}
		t, err := decode[runnelv1.Topic](key, value)
		if err != nil {
			return err
		}
		b.upserted[pk.Topic] = true
		if i, ok := b.topicAt[pk.Topic]; ok {
			m.Topics[i] = t
			return nil
		}
		b.topicAt[pk.Topic] = len(m.Topics)
		m.Topics = append(m.Topics, t)
	case KindPartition:
		if !put {
			return nil // goes with its topic's deletion
		}
		p, err := decode[runnelv1.PartitionState](key, value)
		if err != nil {
			return err
		}
		b.upserted[pk.Topic] = true
		if i, ok := b.partitionAt[key]; ok {
			m.Partitions[i] = p
			return nil
		}
		b.partitionAt[key] = len(m.Partitions)
		m.Partitions = append(m.Partitions, p)
	case KindNode:
		if !put {
			if !b.nodesDeleted[pk.Node] {
				b.nodesDeleted[pk.Node] = true
				m.DeletedNodes = append(m.DeletedNodes, pk.Node)
			}
			return nil
		}
		n, err := decode[runnelv1.Node](key, value)
		if err != nil {
			return err
		}
		if i, ok := b.nodeAt[pk.Node]; ok {
			m.Nodes[i] = n
			return nil
		}
		b.nodeAt[pk.Node] = len(m.Nodes)
		m.Nodes = append(m.Nodes, n)
	}
	return nil
}
