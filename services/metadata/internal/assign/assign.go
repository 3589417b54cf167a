package assign

import (
	"cmp"
	"fmt"
	"slices"
)

// Assignor names.
const (
	Sticky     = "sticky"
	Range      = "range"
	RoundRobin = "roundrobin"
	// Default is the assignor of a join that names none.
	Default = Sticky
)

// Partition is one partition of a topic.
type Partition struct {
	Topic     string
	Partition int32
}

// String renders "topic-partition".
func (p Partition) String() string { return fmt.Sprintf("%s-%d", p.Topic, p.Partition) }

// Compare orders partitions by topic, then partition number.
func Compare(a, b Partition) int {
	if c := cmp.Compare(a.Topic, b.Topic); c != 0 {
		return c
	}
	return cmp.Compare(a.Partition, b.Partition)
}

// Member is a group member as an assignor sees it.
type Member struct {
	ID     string
	Topics []string // subscribed topics, any order
}

// Input is what an assignor works from.
type Input struct {
	// Members of the group, any order; ids are unique.
	Members []Member
	// Partitions gives each topic's partition count.
	Partitions map[string]int32
	// Current is the previous target assignment (member id → partitions); only sticky reads it.
	Current map[string][]Partition
}

// Assignment maps member ids to their partitions, sorted.
type Assignment map[string][]Partition

// Func computes a target assignment.
type Func func(Input) Assignment

var byName = map[string]Func{Sticky: StickyAssign, Range: RangeAssign, RoundRobin: RoundRobinAssign}

// Lookup returns the assignor of a name ("sticky", "range" or "roundrobin").
func Lookup(name string) (Func, bool) {
	f, ok := byName[name]
	return f, ok
}

// member is a member prepared for assigning: its subscriptions as a set and a key naming them.
type member struct {
	id    string
	subs  map[string]bool
	class string // the sorted subscribed topics, joined
}

// prepare sorts the members by id and collects the subscribed topics that have partitions,
// sorted.
func prepare(in Input) ([]member, []string) {
	ms := make([]member, len(in.Members))
	seen := map[string]bool{}
	var topics []string
	for i, m := range in.Members {
		subs := make(map[string]bool, len(m.Topics))
		for _, t := range m.Topics {
			subs[t] = true
			if !seen[t] && in.Partitions[t] > 0 {
				seen[t] = true
				topics = append(topics, t)
			}
		}
		names := make([]string, 0, len(subs))
		for t := range subs {
			names = append(names, t)
		}
		slices.Sort(names)
		ms[i] = member{id: m.ID, subs: subs, class: fmt.Sprint(names)}
	}
	slices.SortFunc(ms, func(a, b member) int { return cmp.Compare(a.id, b.id) })
	slices.Sort(topics)
	return ms, topics
}

// output returns an assignment with an empty entry for every member.
func output(ms []member) Assignment {
	out := make(Assignment, len(ms))
	for _, m := range ms {
		out[m.id] = []Partition{}
	}
	return out
}

func sortAll(a Assignment) Assignment {
	for _, ps := range a {
		slices.SortFunc(ps, Compare)
	}
	return a
}

// RangeAssign is the range assignor (see the package doc).
func RangeAssign(in Input) Assignment {
	ms, topics := prepare(in)
	out := output(ms)
	for _, t := range topics {
		var subs []string
		for _, m := range ms {
			if m.subs[t] {
				subs = append(subs, m.id)
			}
		}
		n, k := in.Partitions[t], int32(len(subs))
		per, extra := n/k, n%k
		next := int32(0)
		for i, id := range subs {
			c := per
			if int32(i) < extra {
				c++
			}
			for p := next; p < next+c; p++ {
				out[id] = append(out[id], Partition{t, p})
			}
			next += c
		}
	}
	return sortAll(out)
}

// RoundRobinAssign is the round-robin assignor (see the package doc).
func RoundRobinAssign(in Input) Assignment {
	ms, topics := prepare(in)
	out := output(ms)
	next := 0
	for _, t := range topics {
		for p := range in.Partitions[t] {
			for j := range ms {
				i := (next + j) % len(ms)
				if ms[i].subs[t] {
					out[ms[i].id] = append(out[ms[i].id], Partition{t, p})
					next = i + 1
					break
				}
			}
		}
	}
	return sortAll(out)
}
