package controller

import (
	"slices"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/services/metadata/internal/store"
)

// entry is one partition as the controller sees it.
type entry struct {
	key    string
	st     *runnelv1.PartitionState
	modRev int64
	// restarted holds the members (ISR or leader) that registered again with a new session since
	// this partition was last decided; cleared once a decision for it was written or found
	// unnecessary.
	restarted map[int32]bool
	// eligibleSince is when the preferred replica was first seen eligible (zero when it is not).
	eligibleSince time.Time
}

// view is the controller's copy of the state, with the counts the gauges report.
type view struct {
	topics   map[string]*runnelv1.Topic
	parts    map[string]*entry
	sessions map[int32]int64 // live node → session id
	live     map[int32]bool
	waiting  map[string]*entry // entries with a preferred replica waiting for its delay

	offline, underReplicated int
}

func newView(snap *store.Snapshot) *view {
	v := &view{}
	v.load(snap)
	return v
}

func (v *view) load(snap *store.Snapshot) {
	v.topics = make(map[string]*runnelv1.Topic, len(snap.Topics))
	v.parts = make(map[string]*entry, len(snap.Partitions))
	v.sessions = make(map[int32]int64, len(snap.Nodes))
	v.live = make(map[int32]bool, len(snap.Nodes))
	v.waiting = map[string]*entry{}
	v.offline, v.underReplicated = 0, 0
	for _, tp := range snap.Topics {
		v.topics[tp.GetName()] = tp
	}
	for _, p := range snap.Partitions {
		k := store.PartitionKey(p.State.GetTopic(), p.State.GetPartition())
		e := &entry{key: k}
		v.parts[k] = e
		v.set(e, p.State, p.ModRevision)
	}
	for _, n := range snap.Nodes {
		v.sessions[n.GetId()] = n.GetSessionId()
		v.live[n.GetId()] = true
	}
}

// reload replaces the view by a fresh snapshot taken after the watch broke. Nodes whose session
// changed meanwhile count as restarted; pending restarts and preferred-replica clocks carry over.
func (v *view) reload(snap *store.Snapshot) {
	old := *v
	v.load(snap)
	for k, e := range v.parts {
		if o := old.parts[k]; o != nil && o.st.GetTopicId() == e.st.GetTopicId() {
			e.restarted = o.restarted
			if !o.eligibleSince.IsZero() {
				v.setEligible(e, o.eligibleSince)
			}
		}
	}
	for id, s := range v.sessions {
		if prev, ok := old.sessions[id]; !ok || prev != s {
			v.markRestarted(id)
		}
	}
}

// set gives an entry a new state and mod revision and keeps the counts.
func (v *view) set(e *entry, st *runnelv1.PartitionState, modRev int64) {
	if e.st != nil {
		v.count(e.st, -1)
	}
	e.st, e.modRev = st, modRev
	v.count(st, 1)
}

func (v *view) count(st *runnelv1.PartitionState, d int) {
	if st.GetLeader() < 0 {
		v.offline += d
	}
	if len(st.GetIsr()) < len(st.GetReplicas()) {
		v.underReplicated += d
	}
}

func (v *view) remove(k string) {
	if e := v.parts[k]; e != nil {
		v.count(e.st, -1)
		delete(v.parts, k)
		delete(v.waiting, k)
	}
}

// markRestarted records that node id has a new session: every partition it leads or is an ISR
// member of must be decided with it counted as restarted.
func (v *view) markRestarted(id int32) {
	for _, e := range v.parts {
		if e.st.GetLeader() == id || slices.Contains(e.st.GetIsr(), id) {
			if e.restarted == nil {
				e.restarted = map[int32]bool{}
			}
			e.restarted[id] = true
		}
	}
}

// apply applies one watch batch. It returns the partitions to decide again, or all=true when a
// node came, went or restarted (every partition is decided again).
func (v *view) apply(changes []store.Change) (keys []string, all bool) {
	seen := map[string]bool{}
	touch := func(k string) {
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	for _, c := range changes {
		switch c.Key.Kind {
		case store.KindTopic:
			if c.Deleted {
				delete(v.topics, c.Key.Topic)
				continue
			}
			v.topics[c.Key.Topic] = c.Topic
			for k, e := range v.parts { // a config change (unclean election) matters to them all
				if e.st.GetTopic() == c.Key.Topic {
					touch(k)
				}
			}
		case store.KindPartition:
			k := store.PartitionKey(c.Key.Topic, c.Key.Partition)
			if c.Deleted {
				v.remove(k)
				continue
			}
			e := v.parts[k]
			switch {
			case e == nil:
				e = &entry{key: k}
				v.parts[k] = e
			case e.st.GetTopicId() != c.Partition.GetTopicId():
				e.restarted = nil // a new topic of the same name
				v.setEligible(e, time.Time{})
			case c.ModRevision <= e.modRev:
				continue // this controller's own write, already applied
			}
			v.set(e, c.Partition, c.ModRevision)
			touch(k)
		case store.KindNode:
			id := c.Key.Node
			if c.Deleted {
				delete(v.sessions, id)
				delete(v.live, id)
				all = true
				continue
			}
			if prev, ok := v.sessions[id]; !ok || prev != c.Node.GetSessionId() {
				v.markRestarted(id)
				all = true
			}
			v.sessions[id] = c.Node.GetSessionId()
			v.live[id] = true
		}
	}
	return keys, all
}

func (v *view) unclean(t string) bool { return uncleanAllowed(v.topics[t]) }

func (v *view) allKeys() []string {
	keys := make([]string, 0, len(v.parts))
	for k := range v.parts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// setEligible sets when an entry's preferred replica became eligible (zero: it is not).
func (v *view) setEligible(e *entry, since time.Time) {
	e.eligibleSince = since
	if since.IsZero() {
		delete(v.waiting, e.key)
	} else {
		v.waiting[e.key] = e
	}
}

func (v *view) waitingKeys() []string {
	keys := make([]string, 0, len(v.waiting))
	for k := range v.waiting {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// nextDue is when the earliest waiting preferred-leader move is due (zero when none waits).
func (v *view) nextDue(delay time.Duration) time.Time {
	var next time.Time
	for _, e := range v.waiting {
		if d := e.eligibleSince.Add(delay); next.IsZero() || d.Before(next) {
			next = d
		}
	}
	return next
}
