package group

import (
	"maps"
	"slices"
	"time"

	"github.com/runnel/runnel/services/metadata/internal/assign"
)

// Update is the outcome of an operation: the records to write and the group after. The caller
// writes them (one etcd transaction), then calls Apply; until Apply the group is unchanged, so
// an operation that fails, or whose write fails, leaves no trace.
type Update struct {
	next *Group

	// Meta: write the group's meta record.
	Meta bool
	// Put are members to write, Del member ids to delete (sorted).
	Put []*Member
	Del []string
	// Offsets to write, in (topic, partition) order.
	Offsets []OffsetWrite
	// DropOffsets are offsets to delete; DropTopics topics whose offsets are all deleted.
	DropOffsets []Partition
	DropTopics  []string
	// Delete: the whole group is deleted (every record).
	Delete bool

	// Reply is the member's answer (Join, Heartbeat), nil otherwise.
	Reply *Reply
	// Rebalanced: the group generation grew.
	Rebalanced bool
	// Joined and Left are the member ids that came and went (left, expired, replaced).
	Joined, Left []string
}

// OffsetWrite is one offset to store.
type OffsetWrite struct {
	Partition Partition
	Offset    Offset
}

// Reply is what a member is told: its generation and assigned partitions and when to heartbeat.
type Reply struct {
	MemberID          string
	Generation        int32
	Assigned          []Partition
	HeartbeatInterval time.Duration
	SessionTimeoutMs  int32
	AutoOffsetReset   string
}

// Group is the group the update leaves (nil when it deletes it). It shares the offsets map with
// the group it was computed from until Apply.
func (u *Update) Group() *Group { return u.next }

// Empty reports whether there is nothing to write.
func (u *Update) Empty() bool {
	return !u.Meta && !u.Delete && len(u.Put)+len(u.Del)+len(u.Offsets)+len(u.DropOffsets)+len(u.DropTopics) == 0
}

// Apply makes the update take effect and returns the group after it (nil when deleted). Call it
// once the writes are durable; the group the update was computed from must not be used after.
func (u *Update) Apply() *Group {
	if u.Delete {
		return nil
	}
	g := u.next
	if len(u.Offsets)+len(u.DropOffsets)+len(u.DropTopics) > 0 {
		g.Offsets = maps.Clone(g.Offsets)
		for _, t := range u.DropTopics {
			maps.DeleteFunc(g.Offsets, func(p Partition, _ Offset) bool { return p.Topic == t })
		}
		for _, p := range u.DropOffsets {
			delete(g.Offsets, p)
		}
		for _, w := range u.Offsets {
			g.Offsets[w.Partition] = w.Offset
		}
	}
	return g
}

// op is one operation in progress on a working copy of a group.
type op struct {
	old, g  *Group
	u       *Update
	touched map[string]bool // members cloned into the working copy
}

func (g *Group) begin() *op {
	n := *g
	n.Members = maps.Clone(g.Members)
	return &op{old: g, g: &n, u: &Update{}, touched: map[string]bool{}}
}

// member returns member id of the working copy, cloned on first use so that it can be changed.
func (o *op) member(id string) *Member {
	m := o.g.Members[id]
	if m != nil && !o.touched[id] {
		m = m.clone()
		o.g.Members[id] = m
		o.touched[id] = true
	}
	return m
}

// finish computes the writes from the differences between the group before and after.
func (o *op) finish() *Update {
	u := o.u
	u.next = o.g
	if !o.old.Stored || !metaEqual(o.old, o.g) {
		u.Meta = true
		o.g.Stored = true
	}
	for _, id := range slices.Sorted(maps.Keys(o.touched)) {
		if m, prev := o.g.Members[id], o.old.Members[id]; m != nil && (prev == nil || !m.equal(prev)) {
			u.Put = append(u.Put, m)
		}
	}
	for _, id := range o.old.memberIDs() {
		if o.g.Members[id] == nil {
			u.Del = append(u.Del, id)
		}
	}
	return u
}

func metaEqual(a, b *Group) bool {
	return a.Assignor == b.Assignor && a.Generation == b.Generation && slices.Equal(a.Fenced, b.Fenced) &&
		maps.Equal(a.Topics, b.Topics) && maps.EqualFunc(a.Target, b.Target, slices.Equal)
}

// reply sets the update's reply for member id.
func (o *op) reply(id string) {
	m := o.g.Members[id]
	o.u.Reply = &Reply{
		MemberID: id, Generation: m.Generation, Assigned: slices.Clone(m.Assigned),
		HeartbeatInterval: o.g.interval(m), SessionTimeoutMs: m.SessionTimeoutMs,
		AutoOffsetReset: m.AutoOffsetReset,
	}
}

// interval is the heartbeat interval to give member m: the configured one while it is
// reconciled, FastHeartbeat while its assignment is still changing, never above a third of its
// session timeout.
func (g *Group) interval(m *Member) time.Duration {
	iv := g.cfg.HeartbeatInterval
	if len(m.Revoking) > 0 || !slices.Equal(m.Assigned, g.Target[m.ID]) {
		iv = min(iv, FastHeartbeat)
	}
	return min(iv, time.Duration(m.SessionTimeoutMs)*time.Millisecond/3)
}

// owners maps every partition in a member's assigned or revoking set to that member.
func (g *Group) owners() map[Partition]string {
	own := map[Partition]string{}
	for id, m := range g.Members {
		for _, p := range m.Assigned {
			own[p] = id
		}
		for _, p := range m.Revoking {
			own[p] = id
		}
	}
	return own
}

// reconcile moves member id toward its target: it keeps the assigned partitions still in the
// target, takes the target's free partitions (in no other member's assigned or revoking set)
// and moves the partitions no longer in the target to revoking. When its assigned set changes
// and bump is set, its generation grows by one (and revoked partitions wait for an
// acknowledgement of that generation).
func (o *op) reconcile(id string, bump bool) {
	m := o.g.Members[id]
	target := o.g.Target[id]
	if slices.Equal(m.Assigned, target) {
		return
	}
	inTarget := partitionSet(target)
	assigned := partitionSet(m.Assigned)
	var keep, revoke, add []Partition
	for _, p := range m.Assigned {
		if inTarget[p] {
			keep = append(keep, p)
		} else {
			revoke = append(revoke, p)
		}
	}
	var own map[Partition]string
	for _, p := range target {
		if assigned[p] {
			continue
		}
		if own == nil {
			own = o.g.owners()
		}
		if owner, taken := own[p]; !taken || owner == id {
			add = append(add, p)
		}
	}
	if len(revoke) == 0 && len(add) == 0 {
		return
	}
	mm := o.member(id)
	added := partitionSet(add)
	mm.Assigned = sortPartitions(append(keep, add...))
	mm.Revoking = sortPartitions(append(without(mm.Revoking, func(p Partition) bool { return added[p] }), revoke...))
	if bump {
		mm.Generation++
	}
	if len(revoke) > 0 {
		mm.RevokingGeneration = mm.Generation
	}
	if len(mm.Revoking) == 0 {
		mm.RevokingGeneration = 0
	}
}

// rebalance bumps the group generation and computes the target for the current members and
// topics.
func (o *op) rebalance(topics Topics) {
	g := o.g
	g.Generation++
	o.u.Rebalanced = true
	g.Topics = Topics{}
	parts := map[string]int32{}
	ms := make([]assign.Member, 0, len(g.Members))
	for _, id := range g.memberIDs() {
		m := g.Members[id]
		ms = append(ms, assign.Member{ID: id, Topics: m.Topics})
		for _, t := range m.Topics {
			if info, ok := topics[t]; ok {
				g.Topics[t] = info
				parts[t] = info.Partitions
			}
		}
	}
	f, ok := assign.Lookup(g.Assignor)
	if !ok || len(ms) == 0 {
		g.Target = map[string][]Partition{}
		return
	}
	g.Target = f(assign.Input{Members: ms, Partitions: parts, Current: g.Target})
}
