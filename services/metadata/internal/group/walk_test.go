package group

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// TestRandomWalk drives groups through random joins, leaves, expiries, static takeovers,
// heartbeats with current or stale generations and topic changes, checking after every step that
// no partition is held by two members. Then every member heartbeats with its generation until
// the group is Stable, which must take a bounded number of rounds, with every partition of the
// subscribed topics assigned.
func TestRandomWalk(t *testing.T) {
	for _, assignor := range []string{"sticky", "range", "roundrobin"} {
		for seed := uint64(1); seed <= 20; seed++ {
			t.Run(fmt.Sprintf("%s/%d", assignor, seed), func(t *testing.T) { walk(t, assignor, seed) })
		}
	}
}

func walk(t *testing.T, assignor string, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	n := 0
	g := New("g", Config{NewMemberID: func() string { n++; return fmt.Sprintf("m%03d", n) }})
	topics := Topics{"t": {ID: "t1", Partitions: 12}, "u": {ID: "u1", Partitions: 3}}
	s := &script{t: t, g: g}
	apply := func(u *Update, err error) {
		t.Helper()
		if err == nil && u != nil {
			g = u.Apply()
		}
		s.g = g
		s.checkInvariant()
	}
	subs := [][]string{{"t"}, {"u"}, {"t", "u"}}
	for range 300 {
		ids := g.memberIDs()
		pick := func() string {
			if len(ids) == 0 {
				return "none"
			}
			return ids[rng.IntN(len(ids))]
		}
		switch r := rng.IntN(20); {
		case r < 3:
			req := &runnelv1.JoinGroupRequest{Group: "g", Topics: subs[rng.IntN(len(subs))], Assignor: assignor}
			if rng.IntN(3) == 0 {
				req.InstanceId = fmt.Sprintf("i%d", rng.IntN(3))
			}
			apply(g.Join(topics, req))
		case r < 4:
			apply(g.Leave(topics, pick()))
		case r < 5:
			apply(g.Expire(topics, pick()))
		case r < 6:
			topics = maps.Clone(topics)
			switch rng.IntN(3) {
			case 0:
				delete(topics, "u")
			case 1:
				topics["u"] = Topic{ID: fmt.Sprintf("u%d", rng.IntN(1000)), Partitions: int32(1 + rng.IntN(5))}
			default:
				topics["t"] = Topic{ID: "t1", Partitions: topics["t"].Partitions + 1}
			}
			apply(g.SyncTopics(topics), nil)
		default:
			id := pick()
			gen := int32(0)
			if m := g.Members[id]; m != nil {
				gen = max(0, m.Generation-int32(rng.IntN(2))) // sometimes one behind
			}
			apply(g.Heartbeat(id, gen))
		}
	}
	// Converge: every member acknowledges what it got, in rounds.
	for round := 0; g.State() == StateReconciling; round++ {
		if round > 10 {
			t.Fatalf("not stable after %d rounds: %s", round, fingerprint(g))
		}
		for _, id := range g.memberIDs() {
			apply(g.Heartbeat(id, g.Members[id].Generation))
		}
	}
	held := map[Partition]bool{}
	for _, m := range g.Members {
		for _, p := range m.Assigned {
			held[p] = true
		}
	}
	for _, m := range g.Members {
		for _, tp := range m.Topics {
			for p := range topics[tp].Partitions {
				if !held[pt(tp, p)] {
					t.Fatalf("partition %s-%d of a subscribed topic is not assigned once stable: %s", tp, p, fingerprint(g))
				}
			}
		}
	}
}
