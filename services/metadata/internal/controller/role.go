package controller

import (
	"context"
	"sync"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Role is one stretch of this node holding the controller role, for the parts that act only on
// the controller (the group coordinator). Every write they make in the role's name must carry
// Guard in its transaction's comparisons, exactly as the controller's own writes do: once the
// role is lost (the election key is gone) such a write fails, even before this node notices.
type Role struct {
	// Guard compares the controller's election key with the revision it was created at.
	Guard  clientv3.Cmp
	ctx    context.Context
	cancel context.CancelFunc
}

// Context ends when the role is lost (session expired, fenced, or the controller stopped).
func (r *Role) Context() context.Context { return r.ctx }

// Fenced reports that a write carrying Guard failed: the election key is gone, so this node may
// no longer be the controller. The role ends at once and the controller campaigns again.
func (r *Role) Fenced() { r.cancel() }

// roles publishes the current role to watchers.
type roles struct {
	mu      sync.Mutex
	cur     *Role
	changed chan struct{} // closed and replaced on every change
}

func newRoles() *roles { return &roles{changed: make(chan struct{})} }

func (r *roles) set(role *Role) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cur = role
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *roles) get() (*Role, <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cur, r.changed
}

// Role returns the role this node holds now (nil when it is not the controller) and a channel
// that is closed at the next change. A watcher loops: act on the role until its Context ends,
// then wait for the channel.
func (c *Controller) Role() (*Role, <-chan struct{}) { return c.roles.get() }
