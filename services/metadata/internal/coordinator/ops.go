package coordinator

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"

	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/metadata/internal/group"
)

// lookupAttempts bounds how often an operation looks a group up again after finding its entry
// removed (deleted, or dropped after a failed create) between the lookup and the lock.
const lookupAttempts = 4

// withGroup runs fn on a group's entry, locked, within the current term.
func (s *Service) withGroup(name string, create bool, fn func(t *term, e *entry, topics group.Topics) error) error {
	t, release, err := s.acquire()
	if err != nil {
		return err
	}
	defer release()
	for range lookupAttempts {
		e, topics := t.lookup(name, create)
		e.mu.Lock()
		if e.gone {
			e.mu.Unlock()
			continue
		}
		err := fn(t, e, topics)
		drop := create && !e.g.Stored // created for an operation that did not create the group
		if drop {
			e.gone = true
		}
		e.mu.Unlock()
		if drop {
			t.forget(name, e)
		}
		return err
	}
	return rpcerr.New(rpcerr.CoordinatorNotAvailable, "group %q kept changing; retry", name)
}

// update makes an update durable and applies it to the entry (whose lock the caller holds):
// write first, under the controller's guard, then change memory, then answer.
func (s *Service) update(ctx context.Context, t *term, e *entry, u *group.Update) error {
	if !u.Empty() {
		if err := s.write(ctx, t, e.g.Name, u); err != nil {
			return err
		}
	}
	created := !e.g.Stored && !u.Delete
	next := u.Apply()
	now := time.Now()
	for _, id := range u.Left {
		delete(e.deadlines, id)
	}
	if next == nil {
		e.gone = true
		t.forget(e.g.Name, e)
		s.m.groups.Add(-1)
		s.m.members.Add(-int64(len(e.g.Members)))
		s.log.InfoContext(ctx, "group deleted", "group", e.g.Name)
		return nil
	}
	for _, id := range u.Joined {
		at := now.Add(sessionTimeout(next.Members[id]))
		e.deadlines[id] = at
		t.queue(deadline{at: at, group: next.Name, member: id})
	}
	if created {
		s.m.groups.Add(1)
	}
	s.m.members.Add(int64(len(next.Members) - len(e.g.Members)))
	if u.Rebalanced {
		s.m.rebalances.Add(ctx, 1)
		s.log.InfoContext(ctx, "group rebalanced", "group", next.Name, "generation", next.Generation,
			"members", len(next.Members), "joined", u.Joined, "left", u.Left)
	}
	e.g = next
	return nil
}

// write commits an update's records in one etcd transaction guarded by the controller's
// election key. A write whose outcome is unknown breaks the term (the state is reloaded).
func (s *Service) write(ctx context.Context, t *term, name string, u *group.Update) error {
	ops, err := updateOps(name, u)
	if err != nil {
		return rpcerr.Wrap(rpcerr.Unknown, err, "cannot encode group %q: %v", name, err)
	}
	wctx, cancel := context.WithTimeout(clientv3.WithRequireLeader(context.WithoutCancel(ctx)), writeTimeout)
	defer cancel()
	resp, err := s.client.Txn(wctx).If(t.role.Guard).Then(ops...).Commit()
	if refused(err) {
		return rpcerr.Wrap(rpcerr.InvalidRequest, err, "the change to group %q does not fit in one etcd transaction: %v", name, err)
	}
	if err != nil {
		t.breakTerm()
		return rpcerr.Wrap(rpcerr.CoordinatorNotAvailable, err, "the group store did not confirm the write (%v); retry", err)
	}
	if !resp.Succeeded {
		t.role.Fenced()
		return rpcerr.New(rpcerr.NotCoordinator, "this metadata node is no longer the group coordinator; retry on another metadata node")
	}
	return nil
}

// refused reports an etcd error that rejects the request as such (too many operations, too
// large): nothing was written, so the term's state is still etcd's.
func refused(err error) bool {
	var ee rpctypes.EtcdError
	return errors.As(err, &ee) && ee.Code() == codes.InvalidArgument
}

// touch renews a member's session.
func touch(e *entry, id string) {
	if m := e.g.Members[id]; m != nil {
		e.deadlines[id] = time.Now().Add(sessionTimeout(m))
	}
}

// expireDue removes the members whose session ended and queues the others again at their
// current deadline.
func (s *Service) expireDue(ctx context.Context, t *term) {
	now := time.Now()
	due := t.sessions.due(now)
	for i, d := range due {
		err := s.withGroup(d.group, false, func(t *term, e *entry, topics group.Topics) error {
			at, ok := e.deadlines[d.member]
			if !ok || e.g.Members[d.member] == nil {
				return nil // left, expired or replaced meanwhile
			}
			if at.After(now) {
				t.queue(deadline{at: at, group: d.group, member: d.member})
				return nil
			}
			u, err := e.g.Expire(topics, d.member)
			if err != nil {
				return err
			}
			s.log.InfoContext(ctx, "member session expired", "group", d.group, "member", d.member)
			return s.update(ctx, t, e, u)
		})
		if err != nil {
			s.log.WarnContext(ctx, "cannot expire a member", "group", d.group, "member", d.member, "err", err)
			for _, rest := range due[i:] { // try again later (a broken term reloads anyway)
				t.queue(deadline{at: now.Add(100 * time.Millisecond), group: rest.group, member: rest.member})
			}
			return
		}
	}
}

// syncAll brings every group in line with the topics.
func (s *Service) syncAll(ctx context.Context, t *term) {
	for _, name := range t.names() {
		err := s.withGroup(name, false, func(t *term, e *entry, topics group.Topics) error {
			u := e.g.SyncTopics(topics)
			if u == nil {
				return nil
			}
			return s.update(ctx, t, e, u)
		})
		if err != nil {
			s.log.WarnContext(ctx, "cannot follow a topic change", "group", name, "err", fmt.Sprint(err))
			return
		}
	}
}

func notFound(name string) error {
	return rpcerr.New(rpcerr.GroupIDNotFound, "group %q does not exist", name)
}
