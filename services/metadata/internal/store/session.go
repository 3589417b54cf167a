package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// ErrSessionExpired reports a lease that no longer exists (it expired or was revoked).
var ErrSessionExpired = errors.New("store: session lease expired")

// GrantSession grants a lease of at least ttl. etcd counts lease TTLs in whole seconds and raises
// a TTL below its minimum (1.5 election timeouts) to that minimum; the TTL granted is returned.
func (s *Store) GrantSession(ctx context.Context, ttl time.Duration) (clientv3.LeaseID, time.Duration, error) {
	secs := int64((ttl + time.Second - 1) / time.Second)
	resp, err := s.c.Grant(ctx, secs)
	if err != nil {
		return 0, 0, fmt.Errorf("store: grant lease: %w", err)
	}
	return resp.ID, time.Duration(resp.TTL) * time.Second, nil
}

// PutNode registers a node under its lease (replacing an earlier registration of the same id).
func (s *Store) PutNode(ctx context.Context, n *runnelv1.Node, lease clientv3.LeaseID) error {
	key := NodeKey(n.GetId())
	v, err := encode(key, n)
	if err != nil {
		return err
	}
	if _, err := s.c.Put(ctx, key, v, clientv3.WithLease(lease)); err != nil {
		if errors.Is(err, rpctypes.ErrLeaseNotFound) {
			return ErrSessionExpired
		}
		return fmt.Errorf("store: put node %d: %w", n.GetId(), err)
	}
	return nil
}

// ResumeSession registers a node again under its existing lease, if that lease is alive and the
// node's key is attached to it (the node reconnected, possibly to another metadata node, before
// its session timed out). The key is overwritten in place, never deleted, so the node stays
// registered throughout; the lease is renewed. It returns the lease's granted TTL, or ok=false
// (and changes nothing) when the session cannot be resumed.
func (s *Store) ResumeSession(ctx context.Context, n *runnelv1.Node, lease clientv3.LeaseID) (ttl time.Duration, ok bool, err error) {
	ttlResp, err := s.c.TimeToLive(ctx, lease)
	// TTL is the remaining time in whole seconds, rounded down (0 for under a second); -1 means
	// the lease is gone.
	if errors.Is(err, rpctypes.ErrLeaseNotFound) || err == nil && ttlResp.TTL < 0 {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("store: read lease %x: %w", int64(lease), err)
	}
	key := NodeKey(n.GetId())
	v, err := encode(key, n)
	if err != nil {
		return 0, false, err
	}
	resp, err := s.c.Txn(ctx).
		If(clientv3.Compare(clientv3.LeaseValue(key), "=", lease)).
		Then(clientv3.OpPut(key, v, clientv3.WithLease(lease))).
		Commit()
	if err != nil {
		if errors.Is(err, rpctypes.ErrLeaseNotFound) {
			return 0, false, nil
		}
		return 0, false, fmt.Errorf("store: put node %d: %w", n.GetId(), err)
	}
	if !resp.Succeeded {
		return 0, false, nil
	}
	if err := s.KeepAlive(ctx, lease); err != nil {
		if errors.Is(err, ErrSessionExpired) {
			return 0, false, nil
		}
		return 0, false, err
	}
	return time.Duration(ttlResp.GrantedTTL) * time.Second, true, nil
}

// KeepAlive renews a lease once (ErrSessionExpired when it is gone).
func (s *Store) KeepAlive(ctx context.Context, lease clientv3.LeaseID) error {
	resp, err := s.c.KeepAliveOnce(ctx, lease)
	if errors.Is(err, rpctypes.ErrLeaseNotFound) || err == nil && resp.TTL <= 0 {
		return ErrSessionExpired
	}
	if err != nil {
		return fmt.Errorf("store: keep lease %x alive: %w", int64(lease), err)
	}
	return nil
}

// Revoke ends a lease at once, deleting the keys attached to it. A lease already gone is not an
// error.
func (s *Store) Revoke(ctx context.Context, lease clientv3.LeaseID) error {
	if _, err := s.c.Revoke(ctx, lease); err != nil && !errors.Is(err, rpctypes.ErrLeaseNotFound) {
		return fmt.Errorf("store: revoke lease %x: %w", int64(lease), err)
	}
	return nil
}
