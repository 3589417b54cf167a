package group

import (
	"slices"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// TopicPartitions groups sorted partitions by topic.
func TopicPartitions(ps []Partition) []*runnelv1.TopicPartitions {
	out := []*runnelv1.TopicPartitions{}
	for _, p := range ps {
		if n := len(out); n == 0 || out[n-1].Topic != p.Topic {
			out = append(out, &runnelv1.TopicPartitions{Topic: p.Topic})
		}
		last := out[len(out)-1]
		last.Partitions = append(last.Partitions, p.Partition)
	}
	return out
}

// Summary is the group's line in a listing.
func (g *Group) Summary() *runnelv1.GroupSummary {
	return &runnelv1.GroupSummary{
		Group: g.Name, State: g.State(), MemberCount: int32(len(g.Members)),
		Generation: g.Generation, Assignor: g.Assignor,
	}
}

// GroupTopics are the topics subscribed by a member or with a committed offset, sorted.
func (g *Group) GroupTopics() []string {
	var out []string
	for _, m := range g.Members {
		out = append(out, m.Topics...)
	}
	for p := range g.Offsets {
		out = append(out, p.Topic)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Describe returns the group's state, members (by id), its topics that exist and, for every
// partition of them, the committed offset (-1 when none) and the member that owns it.
func (g *Group) Describe(topics Topics) *runnelv1.GroupCoordinatorServiceDescribeGroupResponse {
	d := &runnelv1.DescribeGroupResponse{
		Group: g.Name, State: g.State(), Generation: g.Generation, Assignor: g.Assignor,
	}
	owner := map[Partition]string{}
	for _, id := range g.memberIDs() {
		m := g.Members[id]
		for _, p := range m.Assigned {
			owner[p] = id
		}
		d.Members = append(d.Members, &runnelv1.GroupMember{
			MemberId: id, InstanceId: m.InstanceID, ClientId: m.ClientID, Topics: slices.Clone(m.Topics),
			Generation: m.Generation, Assignment: TopicPartitions(m.Assigned), Revoking: TopicPartitions(m.Revoking),
			SessionTimeoutMs: m.SessionTimeoutMs, AutoOffsetReset: m.AutoOffsetReset,
		})
	}
	var names []string
	for _, t := range g.GroupTopics() {
		info, ok := topics[t]
		if !ok {
			continue // subscribed, but deleted: no partitions to show
		}
		names = append(names, t)
		for p := range info.Partitions {
			pt := Partition{Topic: t, Partition: p}
			o := &runnelv1.GroupOffset{Topic: t, Partition: p, Offset: -1, MemberId: owner[pt]}
			if c, ok := g.Offsets[pt]; ok {
				o.Offset, o.Metadata = c.Offset, c.Metadata
			}
			d.Offsets = append(d.Offsets, o)
		}
	}
	return &runnelv1.GroupCoordinatorServiceDescribeGroupResponse{Group: d, Topics: names}
}
