package group

import "slices"

// SyncTopics brings the group in line with the cluster's topics: partitions of a deleted topic
// (or one deleted and created again, a new topic id) leave every member's assigned and revoking
// sets at once, as do partitions beyond a topic's partition count; offsets of such topics are
// dropped; when a subscribed topic appeared, vanished or changed its partition count the group
// rebalances. It returns nil when nothing changes.
func (g *Group) SyncTopics(topics Topics) *Update {
	if !g.Stored || !g.topicsChanged(topics) && !g.staleOffsets(topics) {
		return nil
	}
	o := g.begin()
	if o.fixTopics(topics) {
		o.rebalance(topics)
	}
	u := o.finish()
	if u.Empty() {
		return nil
	}
	return u
}

// topicsChanged reports whether a subscribed topic differs from what the target was computed
// with.
func (g *Group) topicsChanged(topics Topics) bool {
	for _, m := range g.Members {
		for _, t := range m.Topics {
			cur, ok := topics[t]
			rec, had := g.Topics[t]
			if ok != had || cur != rec {
				return true
			}
		}
	}
	for t := range g.Topics { // subscribed by no member any more (the next rebalance forgets it)
		if _, ok := topics[t]; !ok {
			return true
		}
	}
	return false
}

func (g *Group) staleOffsets(topics Topics) bool {
	for p, off := range g.Offsets {
		if cur, ok := topics[p.Topic]; !ok || cur.ID != off.TopicID || p.Partition >= cur.Partitions {
			return true
		}
	}
	return false
}

// fixTopics drops partitions and offsets that no longer exist from the working copy and reports
// whether a subscribed topic changed (the caller rebalances).
func (o *op) fixTopics(topics Topics) bool {
	g := o.g
	if !g.topicsChanged(topics) {
		o.dropStaleOffsets(topics)
		return false
	}
	gone := func(p Partition) bool {
		cur, ok := topics[p.Topic]
		if !ok || p.Partition >= cur.Partitions {
			return true
		}
		rec, had := g.Topics[p.Topic]
		return had && rec.ID != cur.ID
	}
	for _, id := range g.memberIDs() {
		m := g.Members[id]
		if !anyOf(m.Assigned, gone) && !anyOf(m.Revoking, gone) {
			continue
		}
		mm := o.member(id)
		mm.Assigned = without(mm.Assigned, gone)
		mm.Revoking = without(mm.Revoking, gone)
		if len(mm.Revoking) == 0 {
			mm.RevokingGeneration = 0
		}
		mm.Generation++ // the member's assignment changed: its next response says so
	}
	o.dropStaleOffsets(topics)
	return true
}

func anyOf(ps []Partition, f func(Partition) bool) bool {
	for _, p := range ps {
		if f(p) {
			return true
		}
	}
	return false
}

// dropStaleOffsets deletes offsets whose topic is gone, has another id, or lacks the partition:
// whole topics when every offset of the topic is stale, else one by one.
func (o *op) dropStaleOffsets(topics Topics) {
	stale := map[string][]Partition{}
	count := map[string]int{}
	for p, off := range o.g.Offsets {
		count[p.Topic]++
		if cur, ok := topics[p.Topic]; !ok || cur.ID != off.TopicID || p.Partition >= cur.Partitions {
			stale[p.Topic] = append(stale[p.Topic], p)
		}
	}
	for t, ps := range stale {
		if len(ps) == count[t] {
			o.u.DropTopics = append(o.u.DropTopics, t)
		} else {
			o.u.DropOffsets = append(o.u.DropOffsets, ps...)
		}
	}
	slices.Sort(o.u.DropTopics)
	sortPartitions(o.u.DropOffsets)
}
