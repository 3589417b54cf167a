package assign

import (
	"fmt"
	"testing"
)

// moved counts the partitions whose owner changed from before to after (partitions with no
// owner before do not count).
func moved(before, after Assignment) int {
	owner := map[Partition]string{}
	for id, ps := range before {
		for _, p := range ps {
			owner[p] = id
		}
	}
	n := 0
	for id, ps := range after {
		for _, p := range ps {
			if prev, ok := owner[p]; ok && prev != id {
				n++
			}
		}
	}
	return n
}

func TestStickyMovesTheMinimum(t *testing.T) {
	cases := []struct {
		name       string
		before     []Member
		after      []Member
		partitions int32
		wantMoved  int
	}{
		// 10×10 → 11 members: one keeps 10, the others 9: nine partitions move to the new one.
		{"join a group of 10 on 100 partitions", members(10, "t"), members(11, "t"), 100, 9},
		// A leaver's partitions move, nothing else.
		{"leave a group of 11", members(11, "t"), members(10, "t"), 100, 9},
		{"leave a group of 2", members(2, "t"), members(1, "t"), 100, 50},
		{"join a group of 1", members(1, "t"), members(2, "t"), 100, 50},
		{"join, one partition", members(2, "t"), members(3, "t"), 1, 0},
		{"join a group of 3 on 4 partitions", members(3, "t"), members(4, "t"), 4, 1},
		{"nothing changes", members(5, "t"), members(5, "t"), 100, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			parts := map[string]int32{"t": c.partitions}
			before := StickyAssign(Input{Members: c.before, Partitions: parts})
			in := Input{Members: c.after, Partitions: parts, Current: before}
			after := StickyAssign(in)
			checkComplete(t, in, after)
			if s := spread(after, ids(c.after), ""); s > 1 {
				t.Fatalf("unbalanced after: %v", after)
			}
			if n := moved(before, after); n != c.wantMoved {
				t.Fatalf("%d partitions moved, want %d\nbefore %v\nafter  %v", n, c.wantMoved, before, after)
			}
		})
	}
}

func TestStickyKeepsAcrossMemberOrder(t *testing.T) {
	// The member that left is in the middle of the id order: only its partitions move, and the
	// others keep every partition they had.
	all := members(5, "t")
	parts := map[string]int32{"t": 100}
	before := StickyAssign(Input{Members: all, Partitions: parts})
	rest := append(all[:2:2], all[3:]...)
	after := StickyAssign(Input{Members: rest, Partitions: parts, Current: before})
	for _, m := range rest {
		kept := map[Partition]bool{}
		for _, p := range after[m.ID] {
			kept[p] = true
		}
		for _, p := range before[m.ID] {
			if !kept[p] {
				t.Fatalf("%s lost %s though it stayed", m.ID, p)
			}
		}
	}
	if n := moved(before, after); n != len(before[all[2].ID]) {
		t.Fatalf("%d moved, want the leaver's %d", n, len(before[all[2].ID]))
	}
}

func TestStickyNewPartitionsGoToTheLeastLoaded(t *testing.T) {
	ms := members(3, "t")
	before := Assignment{"m00": {{"t", 0}, {"t", 1}}, "m01": {{"t", 2}}, "m02": {{"t", 3}}}
	in := Input{Members: ms, Partitions: map[string]int32{"t": 6}, Current: before}
	after := StickyAssign(in)
	checkComplete(t, in, after)
	if moved(before, after) != 0 || len(after["m01"]) != 2 || len(after["m02"]) != 2 {
		t.Fatalf("new partitions 4 and 5 should go to m01 and m02, nothing moving: %v", after)
	}
	// A shrunk topic (recreated smaller) drops the partitions that are gone.
	in = Input{Members: ms, Partitions: map[string]int32{"t": 2}, Current: before}
	after = StickyAssign(in)
	checkComplete(t, in, after)
	if fmt.Sprint(after["m00"]) == fmt.Sprint(before["m00"]) {
		t.Fatalf("m00 should give one of its two remaining partitions away: %v", after)
	}
}

func TestStickyUnsubscribedPartitionsMove(t *testing.T) {
	before := Assignment{"a": {{"t", 0}, {"u", 0}}, "b": {{"t", 1}, {"u", 1}}}
	in := Input{
		Members:    []Member{{ID: "a", Topics: []string{"t"}}, {ID: "b", Topics: []string{"t", "u"}}},
		Partitions: map[string]int32{"t": 2, "u": 2},
		Current:    before,
	}
	after := StickyAssign(in)
	checkComplete(t, in, after)
	// u-0 must leave a (unsubscribed) for b, which then holds three: one t partition comes back
	// to a so that both hold two.
	if moved(before, after) != 2 || len(after["a"]) != 2 || len(after["b"]) != 2 {
		t.Fatalf("want u-0 to b and one t partition to a (2 moves, 2 each): %v", after)
	}
}

func TestStickyMixedSubscriptionsShare(t *testing.T) {
	// a holds everything; b joins subscribed to t only: it gets a fair share of t although its
	// subscriptions differ from a's.
	before := Assignment{"a": {{"t", 0}, {"t", 1}, {"t", 2}, {"t", 3}, {"u", 0}, {"u", 1}}}
	in := Input{
		Members:    []Member{{ID: "a", Topics: []string{"t", "u"}}, {ID: "b", Topics: []string{"t"}}},
		Partitions: map[string]int32{"t": 4, "u": 2},
		Current:    before,
	}
	after := StickyAssign(in)
	checkComplete(t, in, after)
	if len(after["a"]) != 3 || len(after["b"]) != 3 || moved(before, after) != 3 {
		t.Fatalf("want three t partitions moved to b: %v", after)
	}
}
