package assign

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

var assignors = []string{Sticky, Range, RoundRobin}

func members(n int, topics ...string) []Member {
	ms := make([]Member, n)
	for i := range ms {
		ms[i] = Member{ID: fmt.Sprintf("m%02d", i), Topics: topics}
	}
	return ms
}

// checkComplete asserts that every partition of a subscribed topic is assigned exactly once, to
// a member subscribed to its topic, and that every member is a key.
func checkComplete(t *testing.T, in Input, out Assignment) {
	t.Helper()
	subs := map[string]map[string]bool{}
	subscribed := map[string]bool{}
	for _, m := range in.Members {
		subs[m.ID] = map[string]bool{}
		for _, tp := range m.Topics {
			subs[m.ID][tp] = true
			subscribed[tp] = true
		}
		if _, ok := out[m.ID]; !ok {
			t.Fatalf("member %s missing from the output %v", m.ID, out)
		}
	}
	if len(out) != len(in.Members) {
		t.Fatalf("output has %d members, input %d", len(out), len(in.Members))
	}
	owner := map[Partition]string{}
	for id, ps := range out {
		if !slices.IsSortedFunc(ps, Compare) {
			t.Fatalf("%s's partitions are not sorted: %v", id, ps)
		}
		for _, p := range ps {
			if prev, dup := owner[p]; dup {
				t.Fatalf("partition %s assigned to %s and %s", p, prev, id)
			}
			if !subs[id][p.Topic] {
				t.Fatalf("partition %s assigned to %s, not subscribed to its topic", p, id)
			}
			if p.Partition < 0 || p.Partition >= in.Partitions[p.Topic] {
				t.Fatalf("partition %s does not exist", p)
			}
			owner[p] = id
		}
	}
	for tp := range subscribed {
		for p := range in.Partitions[tp] {
			if _, ok := owner[Partition{tp, p}]; !ok {
				t.Fatalf("partition %s-%d is not assigned", tp, p)
			}
		}
	}
}

// spread is max - min of the counts of the given members (of one topic when topic != "").
func spread(out Assignment, ids []string, topic string) int {
	lo, hi := -1, -1
	for _, id := range ids {
		n := 0
		for _, p := range out[id] {
			if topic == "" || p.Topic == topic {
				n++
			}
		}
		if lo < 0 || n < lo {
			lo = n
		}
		if n > hi {
			hi = n
		}
	}
	return hi - lo
}

func ids(ms []Member) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

func TestBalanceSameSubscriptions(t *testing.T) {
	cases := []struct {
		name       string
		members    int
		partitions map[string]int32
	}{
		{"one partition, three members", 3, map[string]int32{"t": 1}},
		{"100 partitions, 10 members", 10, map[string]int32{"t": 100}},
		{"100 partitions, 11 members", 11, map[string]int32{"t": 100}},
		{"100 partitions, 7 members", 7, map[string]int32{"t": 100}},
		{"more members than partitions", 5, map[string]int32{"t": 3}},
		{"two topics", 4, map[string]int32{"a": 7, "b": 5}},
		{"one member", 1, map[string]int32{"a": 7, "b": 1}},
	}
	for _, name := range assignors {
		f, _ := Lookup(name)
		for _, c := range cases {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				var topics []string
				for tp := range c.partitions {
					topics = append(topics, tp)
				}
				slices.Sort(topics)
				in := Input{Members: members(c.members, topics...), Partitions: c.partitions}
				out := f(in)
				checkComplete(t, in, out)
				if name == Range { // range balances each topic on its own
					for _, tp := range topics {
						if s := spread(out, ids(in.Members), tp); s > 1 {
							t.Fatalf("topic %s: counts differ by %d: %v", tp, s, out)
						}
					}
					return
				}
				if s := spread(out, ids(in.Members), ""); s > 1 {
					t.Fatalf("counts differ by %d: %v", s, out)
				}
			})
		}
	}
}

func TestRangeAndRoundRobinLayout(t *testing.T) {
	in := Input{Members: members(3, "t"), Partitions: map[string]int32{"t": 7}}
	want := Assignment{
		"m00": {{"t", 0}, {"t", 1}, {"t", 2}}, "m01": {{"t", 3}, {"t", 4}}, "m02": {{"t", 5}, {"t", 6}},
	}
	if got := RangeAssign(in); !reflect.DeepEqual(got, want) {
		t.Fatalf("range: %v, want %v", got, want)
	}
	want = Assignment{
		"m00": {{"t", 0}, {"t", 3}, {"t", 6}}, "m01": {{"t", 1}, {"t", 4}}, "m02": {{"t", 2}, {"t", 5}},
	}
	if got := RoundRobinAssign(in); !reflect.DeepEqual(got, want) {
		t.Fatalf("roundrobin: %v, want %v", got, want)
	}
}

func TestDifferentSubscriptions(t *testing.T) {
	in := Input{
		Members: []Member{
			{ID: "a", Topics: []string{"t"}}, {ID: "b", Topics: []string{"t", "u"}},
			{ID: "c", Topics: []string{"u"}}, {ID: "d", Topics: []string{"t", "u"}},
			{ID: "e", Topics: []string{"gone"}}, // a topic that does not exist gives nothing
		},
		Partitions: map[string]int32{"t": 10, "u": 100},
	}
	for _, name := range assignors {
		t.Run(name, func(t *testing.T) {
			f, _ := Lookup(name)
			out := f(in)
			checkComplete(t, in, out)
			if len(out["e"]) != 0 {
				t.Fatalf("member of a missing topic got %v", out["e"])
			}
			if name != Range {
				if s := spread(out, []string{"b", "d"}, ""); s > 1 {
					t.Fatalf("b and d (same subscriptions) differ by %d: %v", s, out)
				}
			}
		})
	}
}

func TestDeterminism(t *testing.T) {
	in := Input{
		Members:    append(members(9, "t", "u"), Member{ID: "x", Topics: []string{"u"}}),
		Partitions: map[string]int32{"t": 100, "u": 13},
		Current:    map[string][]Partition{"m03": {{"t", 5}, {"u", 1}}, "gone": {{"t", 6}}},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, name := range assignors {
		t.Run(name, func(t *testing.T) {
			f, _ := Lookup(name)
			first := f(in)
			checkComplete(t, in, first)
			for range 20 {
				shuffled := in
				shuffled.Members = slices.Clone(in.Members)
				rng.Shuffle(len(shuffled.Members), func(i, j int) {
					shuffled.Members[i], shuffled.Members[j] = shuffled.Members[j], shuffled.Members[i]
				})
				if got := f(shuffled); !reflect.DeepEqual(got, first) {
					t.Fatalf("shuffled members gave %v, want %v", got, first)
				}
			}
		})
	}
}

func TestLookup(t *testing.T) {
	for _, name := range assignors {
		if _, ok := Lookup(name); !ok {
			t.Errorf("Lookup(%q) failed", name)
		}
	}
	for _, name := range []string{"", "Sticky", "cooperative-sticky"} {
		if _, ok := Lookup(name); ok {
			t.Errorf("Lookup(%q) succeeded", name)
		}
	}
}
