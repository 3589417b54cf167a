package store

import (
	"context"
	"errors"
	"fmt"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// ControllerElection is the etcd election prefix of the controller (package
// go.etcd.io/etcd/client/v3/concurrency adds "/" and the candidate's lease id). The candidate with
// the oldest key is the controller; the key's value is its metadata node id.
const ControllerElection = Prefix + "controller"

// MaxUpdates is the most partition updates UpdatePartitions takes in one transaction (each is a
// nested transaction; etcd's default limit is 128 operations per transaction level).
const MaxUpdates = 64

// ErrFenced reports a controller write whose guard failed: the writer is no longer the
// controller. Nothing was written.
var ErrFenced = errors.New("store: the controller guard failed (no longer the controller)")

func opGetController() clientv3.Op {
	return clientv3.OpGet(ControllerElection+"/", clientv3.WithFirstCreate()...)
}

func controllerOf(kvs []*mvccpb.KeyValue) string {
	if len(kvs) == 0 {
		return ""
	}
	return string(kvs[0].Value)
}

// ControllerID returns the id of the metadata node that is the controller, "" when none is.
func (s *Store) ControllerID(ctx context.Context) (string, error) {
	resp, err := s.c.Do(ctx, opGetController())
	if err != nil {
		return "", fmt.Errorf("store: read controller: %w", err)
	}
	return controllerOf(resp.Get().Kvs), nil
}

// Update is a new partition state, to be written only if the partition key is still at
// ModRevision (unchanged since the state it was computed from was read).
type Update struct {
	State       *runnelv1.PartitionState
	ModRevision int64
}

// UpdatePartitions writes up to MaxUpdates partition states in one transaction guarded by guard
// (the controller's election key), each in a nested transaction guarded by its own mod revision.
// It returns, per update, whether it was written, and the revision of the write (the new mod
// revision of every written key). When guard fails nothing is written and ErrFenced is returned.
func (s *Store) UpdatePartitions(ctx context.Context, guard clientv3.Cmp, ups []Update) ([]bool, int64, error) {
	if len(ups) > MaxUpdates {
		return nil, 0, fmt.Errorf("store: %d partition updates in one transaction; at most %d", len(ups), MaxUpdates)
	}
	ops := make([]clientv3.Op, len(ups))
	for i, u := range ups {
		key := PartitionKey(u.State.GetTopic(), u.State.GetPartition())
		v, err := encode(key, u.State)
		if err != nil {
			return nil, 0, err
		}
		ops[i] = clientv3.OpTxn(
			[]clientv3.Cmp{clientv3.Compare(clientv3.ModRevision(key), "=", u.ModRevision)},
			[]clientv3.Op{clientv3.OpPut(key, v)}, nil)
	}
	resp, err := s.c.Txn(ctx).If(guard).Then(ops...).Commit()
	if err != nil {
		return nil, 0, fmt.Errorf("store: update partitions: %w", err)
	}
	if !resp.Succeeded {
		return nil, 0, ErrFenced
	}
	applied := make([]bool, len(ups))
	for i, r := range resp.Responses {
		applied[i] = r.GetResponseTxn().GetSucceeded()
	}
	return applied, resp.Header.Revision, nil
}
