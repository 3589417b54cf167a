package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/runnel/runnel/e2e/checker"
	"github.com/runnel/runnel/e2e/harness"
)

// TestLeaderKillFailsOver kills the leader of a partition with kill -9 while acks=all producers
// write: writes to that partition resume under a new leader (the failover time, from the kill to
// the first acknowledged write on the partition, is logged); started again, the old leader
// catches up, rejoins the ISR and, being the preferred replica, leads again. The checker then
// finds every acknowledged record at its offset and the replicas identical.
func TestLeaderKillFailsOver(t *testing.T) {
	r := startReplicated(t, replicaSetup{})
	w := r.produce(t, checker.Config{})
	const p = 0
	r.waitAcks(t, p, time.Time{}, 20, 30*time.Second)

	before := r.partition(t, p)
	old := before.Leader
	if old != before.Preferred() {
		t.Fatalf("a new topic's partition is led by node %d, not by its preferred replica: %s", old, before)
	}
	killed := time.Now()
	r.KillStorage(t, old)
	first := r.waitFirstAck(t, p, killed, 30*time.Second)
	t.Logf("failover: first acks=all write acknowledged on partition %d %s after kill -9 of its leader %d (session timeout %s)",
		p, first.Sub(killed).Round(time.Millisecond), old, r.setup.sessionTimeout)
	after := r.waitPartition(t, p, 30*time.Second, func(pt harness.Partition) error {
		switch {
		case pt.Leader < 0 || pt.Leader == old:
			return fmt.Errorf("no new leader yet")
		case pt.LeaderEpoch <= before.LeaderEpoch:
			return fmt.Errorf("leader epoch %d not above %d", pt.LeaderEpoch, before.LeaderEpoch)
		case pt.InISR(old):
			return fmt.Errorf("dead node %d still in the ISR", old)
		}
		return nil
	})
	t.Logf("after the kill (%s): %s", since(killed), after)
	r.waitAcks(t, p, first, 20, 30*time.Second) // writes go on under the new leader

	restarted := time.Now()
	r.RestartStorage(t, old)
	r.waitPartition(t, p, 60*time.Second, func(pt harness.Partition) error {
		if !pt.InISR(old) {
			return fmt.Errorf("node %d not back in the ISR", old)
		}
		return nil
	})
	t.Logf("node %d rejoined the ISR of partition %d %s after its restart", old, p, since(restarted))
	back := r.waitPartition(t, p, 60*time.Second, func(pt harness.Partition) error {
		switch {
		case pt.Leader != old:
			return fmt.Errorf("leadership has not returned to the preferred replica %d", old)
		case pt.LeaderEpoch <= after.LeaderEpoch:
			return fmt.Errorf("leader epoch %d not above %d", pt.LeaderEpoch, after.LeaderEpoch)
		}
		return nil
	})
	t.Logf("node %d leads partition %d again %s after its restart: %s", old, p, since(restarted), back)
	r.waitAcks(t, p, time.Now(), 20, 30*time.Second) // and takes acks=all writes as leader

	r.healAndCheck(t, w)
}
