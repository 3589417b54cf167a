package coordinator

import (
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/runnel/runnel/services/metadata/internal/controller"
	"github.com/runnel/runnel/services/metadata/internal/group"
	"github.com/runnel/runnel/services/metadata/internal/store"
)

// term is one stretch of coordinating: the groups loaded from etcd at its start and kept in step
// with every write since, the cluster's topics, and the member session deadlines.
type term struct {
	role *controller.Role
	cfg  group.Config

	// live is held (read) by every operation; endTerm takes it (write) to wait for them.
	live   sync.RWMutex
	closed bool

	mu       sync.Mutex
	topics   group.Topics  // replaced, never changed in place
	rev      int64         // the etcd revision the topics are at
	progress chan struct{} // closed and replaced when rev grows
	groups   map[string]*entry
	done     chan struct{} // closed when the term ends

	sessions sessions
	wake     chan struct{} // a new earliest deadline (buffered 1)

	broken    chan struct{} // closed when a write's outcome is unknown: the term must reload
	breakOnce sync.Once
}

// entry is one group and its members' session deadlines, guarded by mu. An operation holds mu
// from computing its update to applying it, so the operations on a group are serial and each
// starts from the durable state the previous one left.
type entry struct {
	mu        sync.Mutex
	g         *group.Group
	deadlines map[string]time.Time
	gone      bool // removed from the term's map: look the group up again
}

func newTerm(role *controller.Role, snap *store.GroupState, cfg group.Config, log *slog.Logger) *term {
	t := &term{
		role: role, cfg: cfg, topics: group.Topics{}, groups: map[string]*entry{}, rev: snap.Revision,
		progress: make(chan struct{}), done: make(chan struct{}),
		wake: make(chan struct{}, 1), broken: make(chan struct{}),
	}
	for _, tp := range snap.Topics {
		t.topics[tp.GetName()] = group.Topic{ID: tp.GetTopicId(), Partitions: tp.GetPartitions()}
	}
	now := time.Now()
	for name, g := range decodeGroups(snap.KVs, cfg, log) {
		e := &entry{g: g, deadlines: map[string]time.Time{}}
		for id, m := range g.Members {
			e.deadlines[id] = now.Add(sessionTimeout(m))
			t.sessions.add(deadline{at: e.deadlines[id], group: name, member: id})
		}
		t.groups[name] = e
	}
	return t
}

func sessionTimeout(m *group.Member) time.Duration {
	return time.Duration(m.SessionTimeoutMs) * time.Millisecond
}

// lookup returns a group's entry and the topics. A group that does not exist is created in the
// map when create is set; otherwise it is given a detached empty entry (its operations then
// fail as they must for a group that does not exist).
func (t *term) lookup(name string, create bool) (*entry, group.Topics) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.groups[name]
	if e == nil {
		e = &entry{g: group.New(name, t.cfg), deadlines: map[string]time.Time{}}
		if create {
			t.groups[name] = e
		}
	}
	return e, t.topics
}

// forget removes an entry from the map (it must be marked gone first).
func (t *term) forget(name string, e *entry) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.groups[name] == e {
		delete(t.groups, name)
	}
}

// names returns the group names, sorted.
func (t *term) names() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Sorted(maps.Keys(t.groups))
}

func (t *term) counts() (members, groups int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, e := range t.groups {
		members += int64(len(e.g.Members))
		groups++
	}
	return members, groups
}

// queue adds a member's session deadline and wakes the loop when it is the earliest.
func (t *term) queue(d deadline) {
	if t.sessions.add(d) {
		select {
		case t.wake <- struct{}{}:
		default:
		}
	}
}

func (t *term) breakTerm() { t.breakOnce.Do(func() { close(t.broken) }) }

// applyTopics applies topic changes from the watch and reports whether the topics changed in a
// way groups care about (created, deleted, new id or partition count).
func (t *term) applyTopics(cs []store.Change) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if last := cs[len(cs)-1].ModRevision; last > t.rev {
		t.rev = last
		close(t.progress)
		t.progress = make(chan struct{})
	}
	next := maps.Clone(t.topics)
	for _, c := range cs {
		if c.Key.Kind != store.KindTopic {
			continue
		}
		if c.Deleted {
			delete(next, c.Key.Topic)
			continue
		}
		next[c.Key.Topic] = group.Topic{ID: c.Topic.GetTopicId(), Partitions: c.Topic.GetPartitions()}
	}
	if maps.Equal(next, t.topics) {
		return false
	}
	t.topics = next
	return true
}

// knows reports whether the term knows a topic, and otherwise the revision it is at and a
// channel closed when that grows.
func (t *term) knows(name string) (bool, int64, <-chan struct{}) {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.topics[name]
	return ok, t.rev, t.progress
}
