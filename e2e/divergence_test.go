package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/runnel/runnel/e2e/checker"
	"github.com/runnel/runnel/e2e/harness"
)

// TestDivergentLogTruncated makes a leader's log diverge and checks that it is cut: both followers
// of partition 0 are paused (SIGSTOP), the leader takes acks=1 writes that only it has (more bytes
// than a paused follower's receive window can take in), then is killed with kill -9 and the
// followers continued; one of them becomes leader and takes other writes at those offsets. The
// old leader, started again, must truncate its suffix and catch up: the replicas' logs end up
// identical below the high watermark, and no acks=all write is lost.
func TestDivergentLogTruncated(t *testing.T) {
	// The followers must keep their sessions while paused: a session timeout well above the pause.
	r := startReplicated(t, replicaSetup{sessionTimeout: 3 * time.Second})
	w := r.produce(t, checker.Config{})
	const p, divergent = 0, 24
	r.waitAcks(t, p, time.Time{}, 20, 30*time.Second)

	before := r.partition(t, p)
	old := before.Leader
	followers := others(before, old)
	if len(followers) != 2 {
		t.Fatalf("want two followers: %s", before)
	}
	paused := time.Now()
	for _, f := range followers {
		r.PauseStorage(t, f)
	}
	pad := strings.Repeat("x", 16<<10)
	written := map[int64]string{} // offset → value, acknowledged by the old leader alone
	for i := range divergent {
		v := fmt.Sprintf("div-%d-%s", i, pad)
		off, err := r.produceTo(t, r.topic, p, "1", v, 2*time.Second)
		if err != nil {
			t.Fatalf("acks=1 write %d to leader %d with its followers paused: %v", i, old, err)
		}
		written[off] = v
	}
	r.KillStorage(t, old)
	for _, f := range followers {
		r.ResumeStorage(t, f)
	}
	t.Logf("followers %v were paused for %s; leader %d took %d acks=1 writes at offsets %v..%v and was killed",
		followers, since(paused), old, divergent, slices.Min(keys(written)), slices.Max(keys(written)))
	oldLog, err := checker.ReadLog(r.PartitionDir(t, old, r.topic, p))
	if err != nil {
		t.Fatalf("read the killed leader's log: %v", err)
	}

	elected := r.waitPartition(t, p, 30*time.Second, func(pt harness.Partition) error {
		if !slices.Contains(followers, pt.Leader) || pt.LeaderEpoch <= before.LeaderEpoch {
			return fmt.Errorf("no new leader among %v yet", followers)
		}
		return nil
	})
	t.Logf("new leader %s after the kill: %s", since(paused), elected)
	newVals := map[int64]string{}
	for i := range 5 {
		v := fmt.Sprintf("new-%d", i)
		newVals[r.mustProduceTo(t, r.topic, p, "all", v, 30*time.Second)] = v
	}
	// Wait until the new leader's committed log covers every offset the old leader wrote alone,
	// then count those now holding something else: the old leader's log diverged there.
	maxOff := slices.Max(keys(written))
	r.waitPartition(t, p, 30*time.Second, func(pt harness.Partition) error {
		if int64(pt.HighWatermark) <= maxOff {
			return fmt.Errorf("high watermark %d not past offset %d", pt.HighWatermark, maxOff)
		}
		return nil
	})
	diverged := 0
	for off, v := range written {
		got, err := r.Client().Consume(t.Context(), r.topic, p, off, 1)
		if err != nil {
			t.Fatalf("read offset %d from the new leader: %v", off, err)
		}
		i := slices.IndexFunc(got.Records, func(rec harness.ConsumedRecord) bool { return int64(rec.Offset) == off })
		if i < 0 {
			t.Fatalf("read offset %d from the new leader: no record there below the high watermark %d", off, got.HighWatermark)
		}
		if string(got.Records[i].ValueBytes()) != v {
			diverged++
		}
	}
	if diverged == 0 {
		t.Fatalf("the new leader holds all %d acks=1 writes of the old leader: nothing diverged, the scenario tested nothing", divergent)
	}
	t.Logf("%d of %d offsets the old leader wrote alone hold other records on the new leader; the old log has %d batches",
		diverged, divergent, len(oldLog))

	restarted := time.Now()
	r.RestartStorage(t, old)
	r.waitPartition(t, p, 60*time.Second, func(pt harness.Partition) error {
		if !pt.InISR(old) {
			return fmt.Errorf("node %d not back in the ISR", old)
		}
		return nil
	})
	t.Logf("old leader %d truncated, caught up and rejoined the ISR %s after its restart", old, since(restarted))

	final := r.healAndCheck(t, w)
	for off, v := range newVals {
		if got, _ := valueAt(final[p], off); got != v {
			t.Errorf("acks=all write %q acknowledged at offset %d by the new leader; the log holds %q there", v, off, got)
		}
	}
}

// keys returns the keys of m.
func keys[V any](m map[int64]V) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
