package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/runnel/runnel/e2e/checker"
	"github.com/runnel/runnel/e2e/harness"
)

// TestTwoQuickFailovers kills the leader A of a partition, and as soon as describe shows the new
// leader B, kills B too (before the last follower can have learned B's high watermark). The last
// replica must take over; with A and B started again every partition heals, writes go on, and
// the checker finds every acknowledged record at its offset and the replicas identical.
func TestTwoQuickFailovers(t *testing.T) {
	r := startReplicated(t, replicaSetup{})
	w := r.produce(t, checker.Config{})
	const p = 0
	r.waitAcks(t, p, time.Time{}, 20, 30*time.Second)

	before := r.partition(t, p)
	a := before.Leader
	killedA := time.Now()
	r.KillStorage(t, a)
	second := r.waitPartition(t, p, 30*time.Second, func(pt harness.Partition) error {
		if pt.Leader < 0 || pt.Leader == a {
			return fmt.Errorf("no new leader after node %d yet", a)
		}
		return nil
	})
	b := second.Leader
	killedB := time.Now()
	r.KillStorage(t, b)
	t.Logf("leader %d killed; %d led from %s after that and was killed in turn", a, b, killedB.Sub(killedA).Round(time.Millisecond))
	third := r.waitPartition(t, p, 30*time.Second, func(pt harness.Partition) error {
		if pt.Leader < 0 || pt.Leader == a || pt.Leader == b {
			return fmt.Errorf("no leader other than %d and %d yet", a, b)
		}
		if pt.LeaderEpoch <= second.LeaderEpoch {
			return fmt.Errorf("leader epoch %d not above %d", pt.LeaderEpoch, second.LeaderEpoch)
		}
		return nil
	})
	t.Logf("second failover: %s after the second kill: %s", since(killedB), third)

	restarted := time.Now()
	r.RestartStorage(t, a)
	r.RestartStorage(t, b)
	r.waitHealthy(t, 60*time.Second)
	first := r.waitFirstAck(t, p, restarted, 30*time.Second)
	t.Logf("with %d and %d back: healthy; first write on partition %d acknowledged %s after the restarts began",
		a, b, p, first.Sub(restarted).Round(time.Millisecond))
	r.waitAcks(t, p, restarted, 20, 30*time.Second)

	r.healAndCheck(t, w)
}
