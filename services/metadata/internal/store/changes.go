package store

import (
	"context"
	"fmt"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// Change is one etcd event on a topic, partition or node key, decoded.
type Change struct {
	Key         ParsedKey
	Deleted     bool
	ModRevision int64
	// Set for a put of the matching kind; nil for a delete.
	Topic     *runnelv1.Topic
	Partition *runnelv1.PartitionState
	Node      *runnelv1.Node
}

// Changes follows the etcd watch from rev over topics, partitions and nodes and calls fn with the
// decoded changes of each etcd watch response, in revision order. It returns when ctx ends
// (ctx's error), fn fails (fn's error), a value does not decode (ErrCorrupt) or the watch
// breaks (ErrResync: read a fresh Snapshot and follow again from its next revision).
func (s *Store) Changes(ctx context.Context, rev int64, fn func([]Change) error) error {
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	start, end := watchRange()
	for resp := range s.c.Watch(wctx, start, clientv3.WithRange(end), clientv3.WithRev(rev)) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if resp.Canceled || resp.CompactRevision != 0 || resp.Err() != nil {
			return fmt.Errorf("%w: %v", ErrResync, resp.Err())
		}
		changes := make([]Change, 0, len(resp.Events))
		for _, ev := range resp.Events {
			key := string(ev.Kv.Key)
			pk, err := ParseKey(key)
			if err != nil || pk.Kind == KindOther {
				continue
			}
			c := Change{Key: pk, Deleted: ev.Type == mvccpb.DELETE, ModRevision: ev.Kv.ModRevision}
			if !c.Deleted {
				switch pk.Kind {
				case KindTopic:
					c.Topic, err = decode[runnelv1.Topic](key, ev.Kv.Value)
				case KindPartition:
					c.Partition, err = decode[runnelv1.PartitionState](key, ev.Kv.Value)
				case KindNode:
					c.Node, err = decode[runnelv1.Node](key, ev.Kv.Value)
				}
				if err != nil {
					return err
				}
			}
			changes = append(changes, c)
		}
		if len(changes) == 0 {
			continue
		}
		if err := fn(changes); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("%w: watch channel closed", ErrResync)
}
