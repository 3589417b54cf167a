package e2e

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/runnel/runnel/e2e/checker"
	"github.com/runnel/runnel/e2e/harness"
	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/record"
	"github.com/runnel/runnel/pkg/rpcerr"
)

// TestPausedNodes pauses nodes with SIGSTOP. A follower paused past replica.lag.time.max.ms (but
// not past its session timeout) leaves the ISR while acks=all writes go on, and rejoins once
// continued. A leader paused past the session timeout is replaced; an acks=all append sent to it
// while it was paused is refused (not acknowledged) once it is continued, and it rejoins as a
// follower. The checker then runs as in every scenario.
func TestPausedNodes(t *testing.T) {
	// The lag time is well below the session timeout, so that the follower leaves the ISR because
	// it lags, not because its session ended.
	// One partition, so that pausing its follower stalls no other partition's writes.
	r := startReplicated(t, replicaSetup{sessionTimeout: 6 * time.Second, lagMs: 2000, partitions: 1})
	w := r.produce(t, checker.Config{})
	const p = 0
	r.waitAcks(t, p, time.Time{}, 20, 30*time.Second)

	// A paused follower leaves the ISR; writes go on; continued, it rejoins.
	st := r.partition(t, p)
	f := others(st, st.Leader)[0]
	session := nodeSession(t, r, f)
	if session == 0 {
		t.Fatalf("follower %d is not among the live nodes of the cluster state", f)
	}
	paused := time.Now()
	r.PauseStorage(t, f)
	shrunk := r.waitPartition(t, p, 30*time.Second, func(pt harness.Partition) error {
		if pt.InISR(f) {
			return fmt.Errorf("paused follower %d still in the ISR", f)
		}
		return nil
	})
	t.Logf("paused follower %d left the ISR %s after the pause (replica.lag.time.max.ms=2000): %s", f, since(paused), shrunk)
	if got := nodeSession(t, r, f); got != session {
		t.Errorf("follower %d's session changed (%d → %d) before it left the ISR: it was declared dead instead of lagging", f, session, got)
	}
	shrinkAt := time.Now()
	r.waitAcks(t, p, shrinkAt, 20, 30*time.Second)
	r.ResumeStorage(t, f)
	resumed := time.Now()
	r.waitPartition(t, p, 60*time.Second, func(pt harness.Partition) error {
		if !pt.InISR(f) {
			return fmt.Errorf("follower %d not back in the ISR", f)
		}
		return nil
	})
	t.Logf("follower %d rejoined the ISR %s after SIGCONT", f, since(resumed))

	// A leader paused past the session timeout is replaced and refuses what was sent to it.
	st = r.waitPartition(t, p, 30*time.Second, func(pt harness.Partition) error {
		if !pt.FullISR() || pt.Leader < 0 {
			return errors.New("not fully in sync")
		}
		return nil
	})
	l := st.Leader
	storage := r.DialStorage(t, l)
	warm, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	_, err := storage.ListPartitionOffsets(warm, &runnelv1.ListPartitionOffsetsRequest{
		Partitions: []*runnelv1.TopicPartition{{Topic: r.topic, Partition: p}},
	})
	cancel()
	if err != nil {
		t.Fatalf("connect to leader %d: %v", l, err)
	}
	batch, err := record.Encode(nil, []record.Record{{Timestamp: time.Now().UnixMilli(), Value: []byte("in-flight")}}, record.EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r.PauseStorage(t, l)
	paused = time.Now()
	type result struct {
		resp *runnelv1.AppendResponse
		err  error
	}
	inflight := make(chan result, 1)
	actx, acancel := context.WithTimeout(context.Background(), 90*time.Second)
	done := make(chan struct{})
	t.Cleanup(func() { acancel(); <-done })
	go func() { // ends with actx: when answered, at the latest 90 s from now, or at the cleanup
		defer close(done)
		resp, err := storage.Append(actx, &runnelv1.AppendRequest{
			Topic: r.topic, Partition: p, LeaderEpoch: st.LeaderEpoch, Acks: runnelv1.Acks_ACKS_ALL,
			Batch: batch, TimeoutMs: 60000,
		})
		inflight <- result{resp, err}
	}()
	replaced := r.waitPartition(t, p, 30*time.Second, func(pt harness.Partition) error {
		if pt.Leader < 0 || pt.Leader == l || pt.LeaderEpoch <= st.LeaderEpoch {
			return fmt.Errorf("paused leader %d not replaced yet", l)
		}
		return nil
	})
	t.Logf("paused leader %d replaced %s after the pause (session timeout %s): %s", l, since(paused), r.setup.sessionTimeout, replaced)
	r.waitAcks(t, p, time.Now(), 20, 30*time.Second)
	r.ResumeStorage(t, l)
	resumed = time.Now()
	select {
	case res := <-inflight:
		if res.err == nil {
			t.Errorf("the deposed leader %d acknowledged an acks=all append sent while it was paused, at offset %d (epoch %d is stale)",
				l, res.resp.GetBaseOffset(), st.LeaderEpoch)
		} else {
			t.Logf("in-flight acks=all append to the deposed leader refused %s after SIGCONT: %s (%v)", since(resumed), rpcerr.CodeOf(res.err), res.err)
		}
	case <-actx.Done():
		t.Fatalf("the in-flight append to the deposed leader %d was not answered within 90 s", l)
	}
	r.waitPartition(t, p, 60*time.Second, func(pt harness.Partition) error {
		if !pt.InISR(l) {
			return fmt.Errorf("old leader %d not back in the ISR", l)
		}
		return nil
	})
	t.Logf("old leader %d rejoined the ISR %s after SIGCONT", l, since(resumed))

	final := r.healAndCheck(t, w)
	if i := slices.IndexFunc(final[p], func(e checker.Entry) bool { return e.Value == "in-flight" }); i >= 0 {
		t.Errorf("the refused in-flight append is in the log at offset %d", final[p][i].Offset)
	}
}

// nodeSession is storage node id's session id as the metadata service lists it, 0 when it is not
// listed (its session ended).
func nodeSession(t *testing.T, r *replicated, id int32) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	st, err := r.ClusterState(ctx)
	if err != nil {
		t.Fatalf("cluster state: %v", err)
	}
	for _, n := range st.GetNodes() {
		if n.GetId() == id {
			return n.GetSessionId()
		}
	}
	return 0
}
