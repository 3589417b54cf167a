package controller

import (
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// ps is a partition state for the table: replicas, leader, ISR, at leader epoch 5 and partition
// epoch 9.
func ps(replicas []int32, leader int32, isr []int32) *runnelv1.PartitionState {
	return &runnelv1.PartitionState{
		Topic: "t", Partition: 0, TopicId: "id", Replicas: replicas, Leader: leader, Isr: isr,
		LeaderEpoch: 5, PartitionEpoch: 9,
	}
}

func set(ids ...int32) map[int32]bool {
	m := map[int32]bool{}
	for _, id := range ids {
		m[id] = true
	}
	return m
}

func ids(s ...int32) []int32 { return s }

func TestDecide(t *testing.T) {
	r123 := ids(1, 2, 3)
	tests := []struct {
		name      string
		in        Input
		unchanged bool
		leader    int32
		isr       []int32
		reason    Reason
	}{
		{name: "all live: nothing to do",
			in: Input{State: ps(r123, 1, r123), Live: set(1, 2, 3)}, unchanged: true},
		{name: "follower dies: leaves the ISR",
			in:     Input{State: ps(r123, 1, r123), Live: set(1, 2)},
			leader: 1, isr: ids(1, 2), reason: ReasonISRShrink},
		{name: "leader dies: next ISR member in replica order",
			in:     Input{State: ps(r123, 1, ids(3, 1, 2)), Live: set(2, 3)},
			leader: 2, isr: ids(3, 2), reason: ReasonElection},
		{name: "leader dies, replica outside the ISR is skipped",
			in:     Input{State: ps(r123, 1, ids(1, 3)), Live: set(2, 3)},
			leader: 3, isr: ids(3), reason: ReasonElection},
		{name: "two die at once",
			in:     Input{State: ps(r123, 1, r123), Live: set(3)},
			leader: 3, isr: ids(3), reason: ReasonElection},
		{name: "last ISR member dies: offline, it stays in the ISR",
			in:     Input{State: ps(r123, 3, ids(3)), Live: set(1, 2)},
			leader: NoLeader, isr: ids(3), reason: ReasonOffline},
		{name: "whole ISR dies at once: offline, the ISR is kept",
			in:     Input{State: ps(r123, 1, ids(1, 2)), Live: set(3)},
			leader: NoLeader, isr: ids(1, 2), reason: ReasonOffline},
		{name: "offline stays offline while the ISR is dead",
			in: Input{State: ps(r123, NoLeader, ids(3)), Live: set(1, 2)}, unchanged: true},
		{name: "last ISR member returns: leader again",
			in:     Input{State: ps(r123, NoLeader, ids(3)), Live: set(1, 2, 3)},
			leader: 3, isr: ids(3), reason: ReasonElection},
		{name: "last ISR member returns restarted: still the only clean choice",
			in:     Input{State: ps(r123, NoLeader, ids(3)), Live: set(1, 2, 3), Restarted: set(3)},
			leader: 3, isr: ids(3), reason: ReasonElection},
		{name: "unclean: first live replica, ISR becomes it",
			in:     Input{State: ps(r123, 3, ids(3)), Live: set(1, 2), Unclean: true},
			leader: 1, isr: ids(1), reason: ReasonUnclean},
		{name: "unclean allowed but not needed: clean election",
			in:     Input{State: ps(r123, 1, ids(1, 2)), Live: set(2, 3), Unclean: true},
			leader: 2, isr: ids(2), reason: ReasonElection},
		{name: "unclean with nothing live: offline",
			in:     Input{State: ps(r123, 1, ids(1)), Live: set(), Unclean: true},
			leader: NoLeader, isr: ids(1), reason: ReasonOffline},
		{name: "offline partition, unclean turned on: elected",
			in:     Input{State: ps(r123, NoLeader, ids(3)), Live: set(2), Unclean: true},
			leader: 2, isr: ids(2), reason: ReasonUnclean},
		{name: "preferred back in the ISR: leadership moves",
			in:     Input{State: ps(r123, 2, ids(2, 3, 1)), Live: set(1, 2, 3), Preferred: true},
			leader: 1, isr: ids(2, 3, 1), reason: ReasonPreferred},
		{name: "preferred in the ISR but rebalance not allowed yet",
			in: Input{State: ps(r123, 2, ids(2, 3, 1)), Live: set(1, 2, 3)}, unchanged: true},
		{name: "preferred live but not in the ISR: no move",
			in: Input{State: ps(r123, 2, ids(2, 3)), Live: set(1, 2, 3), Preferred: true}, unchanged: true},
		{name: "preferred in the ISR but dead: it leaves the ISR, no move",
			in:     Input{State: ps(r123, 2, ids(2, 1)), Live: set(2, 3), Preferred: true},
			leader: 2, isr: ids(2), reason: ReasonISRShrink},
		{name: "preferred already leads",
			in: Input{State: ps(r123, 1, r123), Live: set(1, 2, 3), Preferred: true}, unchanged: true},
		{name: "restarted follower leaves the ISR",
			in:     Input{State: ps(r123, 1, r123), Live: set(1, 2, 3), Restarted: set(2)},
			leader: 1, isr: ids(1, 3), reason: ReasonISRShrink},
		{name: "restarted leader: next ISR member leads",
			in:     Input{State: ps(r123, 1, r123), Live: set(1, 2, 3), Restarted: set(1)},
			leader: 2, isr: ids(2, 3), reason: ReasonElection},
		{name: "restarted only replica: leads again at a new epoch",
			in:     Input{State: ps(ids(4), 4, ids(4)), Live: set(4), Restarted: set(4)},
			leader: 4, isr: ids(4), reason: ReasonRestart},
		{name: "restarted non-member: nothing to do",
			in: Input{State: ps(r123, 1, ids(1, 2)), Live: set(1, 2, 3), Restarted: set(3)}, unchanged: true},
		{name: "restarted preferred in the ISR is not made leader",
			in:     Input{State: ps(r123, 2, ids(2, 1)), Live: set(1, 2, 3), Restarted: set(1), Preferred: true},
			leader: 2, isr: ids(2), reason: ReasonISRShrink},
		{name: "leader outside its ISR is replaced",
			in:     Input{State: ps(r123, 1, ids(2, 3)), Live: set(1, 2, 3)},
			leader: 2, isr: ids(2, 3), reason: ReasonElection},
		{name: "no leader yet, ISR live",
			in:     Input{State: ps(r123, NoLeader, ids(2, 3)), Live: set(1, 2, 3)},
			leader: 2, isr: ids(2, 3), reason: ReasonElection},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := proto.CloneOf(tt.in.State)
			d := Decide(tt.in)
			if !proto.Equal(tt.in.State, before) {
				t.Fatal("Decide modified its input")
			}
			if tt.unchanged {
				if d.State != nil {
					t.Fatalf("got %v (%s), want no change", d.State, d.Reason)
				}
				return
			}
			if d.State == nil {
				t.Fatal("got no change")
			}
			st := d.State
			if st.GetLeader() != tt.leader || !slices.Equal(st.GetIsr(), tt.isr) || d.Reason != tt.reason {
				t.Fatalf("got leader %d isr %v (%s), want leader %d isr %v (%s)",
					st.GetLeader(), st.GetIsr(), d.Reason, tt.leader, tt.isr, tt.reason)
			}
			if st.GetPartitionEpoch() != before.GetPartitionEpoch()+1 {
				t.Errorf("partition epoch %d, want %d", st.GetPartitionEpoch(), before.GetPartitionEpoch()+1)
			}
			wantLeaderEpoch := before.GetLeaderEpoch()
			if d.LeaderChanged {
				wantLeaderEpoch++
			}
			if st.GetLeaderEpoch() != wantLeaderEpoch {
				t.Errorf("leader epoch %d, want %d", st.GetLeaderEpoch(), wantLeaderEpoch)
			}
			if d.LeaderChanged != (tt.leader != before.GetLeader() || tt.reason == ReasonRestart) {
				t.Errorf("LeaderChanged = %v", d.LeaderChanged)
			}
			if !slices.Equal(st.GetReplicas(), before.GetReplicas()) || st.GetTopicId() != before.GetTopicId() {
				t.Errorf("replicas or topic id changed: %v", st)
			}
			// Deciding again on the result, once the restarts were handled, changes nothing.
			again := tt.in
			again.State, again.Restarted = st, nil
			if d2 := Decide(again); d2.State != nil {
				t.Errorf("second decision changed %v to %v (%s); want a fixed point", st, d2.State, d2.Reason)
			}
		})
	}
}

func TestPreferredEligible(t *testing.T) {
	tests := []struct {
		name string
		st   *runnelv1.PartitionState
		live map[int32]bool
		want bool
	}{
		{"in sync, not leader", ps(ids(1, 2), 2, ids(2, 1)), set(1, 2), true},
		{"leads", ps(ids(1, 2), 1, ids(1, 2)), set(1, 2), false},
		{"not in the ISR", ps(ids(1, 2), 2, ids(2)), set(1, 2), false},
		{"dead", ps(ids(1, 2), 2, ids(2, 1)), set(2), false},
		{"no replicas", ps(nil, NoLeader, nil), set(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PreferredEligible(tt.st, tt.live); got != tt.want {
				t.Fatalf("PreferredEligible = %v, want %v", got, tt.want)
			}
		})
	}
}
