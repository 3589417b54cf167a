package controller

import (
	"context"
	"errors"
	"fmt"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/runnel/runnel/services/metadata/internal/store"
)

// errWatchClosed reports a watch that ended without an error while waiting for a key to go.
var errWatchClosed = errors.New("controller: election watch closed")

// candidacy is this node's key in the controller election.
type candidacy struct {
	key string
	rev int64 // the key's create revision
}

// guard is the condition every write of the controller carries: its candidate key still exists
// as created, so it still holds the role.
func (c candidacy) guard() clientv3.Cmp {
	return clientv3.Compare(clientv3.CreateRevision(c.key), "=", c.rev)
}

// elect runs the election the way etcd's concurrency.Election does, with the same key layout
// (store.ControllerElection + "/" + the lease id in hex, valued with the node id): it puts this
// node's candidate key under lease and returns once no candidate key created before it remains,
// that is once this node is the controller. It does not delete the key when ctx ends (unlike
// concurrency.Election.Campaign, whose clean-up can block without an etcd quorum): the caller
// revokes the lease, which deletes it.
func (c *Controller) elect(ctx context.Context, lease clientv3.LeaseID) (candidacy, error) {
	key := fmt.Sprintf("%s/%x", store.ControllerElection, int64(lease))
	resp, err := c.client.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, c.cfg.ID, clientv3.WithLease(lease))).
		Else(clientv3.OpGet(key)).
		Commit()
	if err != nil {
		return candidacy{}, fmt.Errorf("put the candidate key: %w", err)
	}
	cand := candidacy{key: key, rev: resp.Header.Revision}
	if !resp.Succeeded {
		kvs := resp.Responses[0].GetResponseRange().Kvs
		if len(kvs) == 0 {
			return candidacy{}, errors.New("candidate key vanished")
		}
		cand.rev = kvs[0].CreateRevision
	}
	// Wait for the youngest older candidate to go, until there is none.
	for {
		older, err := c.client.Get(ctx, store.ControllerElection+"/",
			append(clientv3.WithLastCreate(), clientv3.WithMaxCreateRev(cand.rev-1))...)
		if err != nil {
			return candidacy{}, fmt.Errorf("read older candidates: %w", err)
		}
		if len(older.Kvs) == 0 {
			return cand, nil
		}
		if err := waitDelete(ctx, c.client, string(older.Kvs[0].Key), older.Header.Revision+1); err != nil {
			return candidacy{}, err
		}
	}
}

// waitDelete returns once key is deleted at or after revision rev, or ctx ends.
func waitDelete(ctx context.Context, client *clientv3.Client, key string, rev int64) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for wr := range client.Watch(wctx, key, clientv3.WithRev(rev)) {
		if err := wr.Err(); err != nil {
			return fmt.Errorf("watch candidate %s: %w", key, err)
		}
		for _, ev := range wr.Events {
			if ev.Type == mvccpb.DELETE {
				return nil
			}
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return errWatchClosed
}
