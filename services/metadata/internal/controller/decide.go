package controller

import (
	"slices"

	"google.golang.org/protobuf/proto"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// NoLeader is the leader of an offline partition.
const NoLeader int32 = -1

// Reason says why a decision changes a partition (the main change when there are several).
type Reason string

// Reasons, also the "reason" attribute of the controller's metrics.
const (
	ReasonNone      Reason = ""
	ReasonISRShrink Reason = "isr_shrink"     // dead or restarted members left the ISR
	ReasonElection  Reason = "election"       // a clean election from the ISR
	ReasonUnclean   Reason = "unclean"        // an unclean election (data loss possible)
	ReasonOffline   Reason = "offline"        // no eligible replica: leader -1
	ReasonPreferred Reason = "preferred"      // leadership moved back to the preferred replica
	ReasonRestart   Reason = "leader_restart" // the leader restarted and was elected again
)

// Input is everything a partition's decision depends on.
type Input struct {
	State *runnelv1.PartitionState
	// Live holds the nodes with a live session.
	Live map[int32]bool
	// Restarted holds live nodes that registered again with a new session since this partition
	// was last decided: they may have lost what they had not written to disk, so they count as
	// dead for the ISR and for leadership, except where nothing better is left.
	Restarted map[int32]bool
	// Unclean is the topic's unclean.leader.election.enable.
	Unclean bool
	// Preferred allows moving leadership to the preferred replica now (automatic leader
	// rebalance is on and the preferred replica has been eligible long enough).
	Preferred bool
}

// Decision is the outcome for one partition.
type Decision struct {
	// State is the new state, nil when nothing changes.
	State  *runnelv1.PartitionState
	Reason Reason
	// LeaderChanged is set when the new state has a new leader (or the same leader with a new
	// leader epoch).
	LeaderChanged bool
}

// Decide applies the rules of the package doc to one partition. It does not modify in.State.
func Decide(in Input) Decision {
	st := in.State
	live := func(n int32) bool { return in.Live[n] }
	sound := func(n int32) bool { return in.Live[n] && !in.Restarted[n] }

	// Rule 1: the ISR keeps its sound members; never empty.
	isr := filter(st.GetIsr(), sound)
	if len(isr) == 0 {
		isr = filter(st.GetIsr(), live)
	}
	if len(isr) == 0 {
		isr = slices.Clone(st.GetIsr())
	}

	old := st.GetLeader()
	leader, reason := old, ReasonNone
	forced := false // the leader's epoch must move even if the same node leads
	switch {
	case old < 0 || !sound(old) || !slices.Contains(isr, old):
		// Rule 2: elect the first replica that is live and in the ISR.
		leader, reason = NoLeader, ReasonOffline
		for _, r := range st.GetReplicas() {
			if live(r) && slices.Contains(isr, r) {
				leader, reason = r, ReasonElection
				break
			}
		}
		// Rule 3: unclean election when the topic allows it.
		if leader == NoLeader && in.Unclean {
			for _, r := range st.GetReplicas() {
				if live(r) {
					leader, reason, isr = r, ReasonUnclean, []int32{r}
					break
				}
			}
		}
		if leader >= 0 && leader == old {
			forced, reason = true, ReasonRestart
		}
	case in.Preferred && len(st.GetReplicas()) > 0:
		// Rule 4: move leadership back to the preferred replica.
		if p := st.GetReplicas()[0]; p != old && sound(p) && slices.Contains(isr, p) {
			leader, reason = p, ReasonPreferred
		}
	}

	leaderChanged := leader != old || forced
	isrChanged := !slices.Equal(isr, st.GetIsr())
	if !leaderChanged && !isrChanged {
		return Decision{}
	}
	next := proto.CloneOf(st)
	next.Isr = isr
	next.PartitionEpoch++
	if leaderChanged {
		next.Leader = leader
		next.LeaderEpoch++
	} else {
		reason = ReasonISRShrink
	}
	return Decision{State: next, Reason: reason, LeaderChanged: leaderChanged}
}

// PreferredEligible reports whether a partition's preferred replica is live, in the ISR and not
// the leader: automatic rebalance would move leadership to it.
func PreferredEligible(st *runnelv1.PartitionState, live map[int32]bool) bool {
	r := st.GetReplicas()
	return len(r) > 0 && r[0] != st.GetLeader() && live[r[0]] && slices.Contains(st.GetIsr(), r[0])
}

func filter(s []int32, keep func(int32) bool) []int32 {
	out := make([]int32, 0, len(s))
	for _, n := range s {
		if keep(n) {
			out = append(out, n)
		}
	}
	return out
}
