package replication_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/commitlog"
	"github.com/runnel/runnel/pkg/rpcerr"
)

var (
	acksAll    = runnelv1.Acks_ACKS_ALL
	acksLeader = runnelv1.Acks_ACKS_LEADER
)

// wantCode fails unless err carries catalogue code c.
func wantCode(t *testing.T, err error, c *rpcerr.Code) {
	t.Helper()
	if got := rpcerr.CodeOf(rpcerr.FromStatus(err)); got != c {
		t.Fatalf("err = %v, want %s", err, c.Name)
	}
}

// TestFollowerCatchesUp: a replica outside the ISR starts late, copies the whole log (more than
// one answer's worth), rejoins the ISR, and every replica's log is byte for byte the leader's.
func TestFollowerCatchesUp(t *testing.T) {
	for _, fsync := range []commitlog.FsyncMode{commitlog.FsyncNever, commitlog.FsyncAlways} {
		t.Run(commitlog.FsyncPolicy{Mode: fsync}.String(), func(t *testing.T) { followerCatchesUp(t, fsync) })
	}
}

func followerCatchesUp(t *testing.T, fsync commitlog.FsyncMode) {
	c := newClusterWith(t, commitlog.FsyncPolicy{Mode: fsync}, 1, 2)
	c.topic("r", []int32{1, 2, 3}, []int32{1, 2}, 1, map[string]string{"min.insync.replicas": "2"})
	c.waitLeading(1, "r")
	for i := range 60 { // 60 batches of 20 records of ~110 bytes: about 1.3 MiB
		resp := c.mustAppend(1, "r", acksAll, fmt.Sprint("b", i), 20)
		if resp.GetHighWatermark() <= resp.GetLastOffset() {
			t.Fatalf("acks=all answered with high watermark %d, batch ends at %d", resp.GetHighWatermark(), resp.GetLastOffset())
		}
	}
	c.start(3)
	c.waitISR("r", 1, 2, 3)
	o := c.waitReplicated(1, "r")
	if o.GetLogEndOffset() != 1200 {
		t.Fatalf("leader log ends at %d, want 1200", o.GetLogEndOffset())
	}
	for _, id := range []int32{1, 2, 3} {
		c.stop(id)
	}
	leader := c.logBytes(1, "r", o.GetHighWatermark())
	for _, id := range []int32{2, 3} {
		if got := c.logBytes(id, "r", o.GetHighWatermark()); !bytes.Equal(got, leader) {
			t.Fatalf("node %d's log differs from the leader's below the high watermark", id)
		}
	}
}

// TestAcksAllAndISR: acks=all waits for the ISR; followers that stop leave the ISR after
// replica.lag.time.max.ms; waiting writes fail NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR
// falls below min.insync.replicas, later ones NOT_ENOUGH_REPLICAS with nothing written, while
// acks=1 goes on; restarted followers catch up and rejoin, and acks=all works again.
func TestAcksAllAndISR(t *testing.T) {
	c := newCluster(t, 1, 2, 3)
	c.topic("a", []int32{1, 2, 3}, []int32{1, 2, 3}, 1, map[string]string{
		"min.insync.replicas": "2", "replica.lag.time.max.ms": "1000",
	})
	c.waitLeading(1, "a")
	c.mustAppend(1, "a", acksAll, "first", 5)

	// One follower stops: it leaves the ISR once it lags, and acks=all goes on with two.
	c.stop(3)
	c.mustAppend(1, "a", acksAll, "with-two", 5)
	c.waitISR("a", 1, 2)
	c.mustAppend(1, "a", acksAll, "after-shrink", 5)

	// The other one stops too: an acks=all write waits, then fails when the ISR shrinks to the
	// leader alone.
	c.stop(2)
	before := c.offsets(1, "a").GetLogEndOffset()
	waiting := make(chan error, 1)
	go func() {
		_, err := c.append(1, "a", acksAll, 10*time.Second, "waits", 5)
		waiting <- err
	}()
	eventually(t, "the waiting write in the log", func() bool { return c.offsets(1, "a").GetLogEndOffset() > before })
	// Before the ISR shrinks, a short acks=all write times out: the follower does not have it.
	_, err := c.append(1, "a", acksAll, 50*time.Millisecond, "times-out", 5)
	wantCode(t, err, rpcerr.RequestTimedOut)
	select {
	case err := <-waiting:
		wantCode(t, err, rpcerr.NotEnoughReplicasAfterAppend)
	case <-time.After(15 * time.Second):
		t.Fatal("the waiting write did not end")
	}
	c.waitISR("a", 1)
	end := c.offsets(1, "a").GetLogEndOffset()
	_, err = c.append(1, "a", acksAll, time.Second, "refused", 5)
	wantCode(t, err, rpcerr.NotEnoughReplicas)
	if got := c.offsets(1, "a").GetLogEndOffset(); got != end {
		t.Fatalf("a refused write moved the log end from %d to %d", end, got)
	}
	c.mustAppend(1, "a", acksLeader, "acks-1", 5)
	if m := c.scrape(1); !strings.Contains(m, "runnel_storage_under_replicated_partitions 1") {
		t.Errorf("/metrics does not count the partition as under-replicated:\n%s", grepMetrics(m))
	}

	// Both come back: they catch up, rejoin, and acks=all works again.
	c.start(2)
	c.start(3)
	c.waitISR("a", 1, 2, 3)
	c.mustAppend(1, "a", acksAll, "back", 5)
	o := c.waitReplicated(1, "a")
	m := c.scrape(1)
	for _, want := range []string{
		"runnel_storage_under_replicated_partitions 0",
		`runnel_storage_isr_shrinks_total{topic="a"} 2`,
		`runnel_storage_isr_expands_total{topic="a"}`,
		"runnel_storage_replication_lag 0",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, grepMetrics(m))
		}
	}
	for _, id := range []int32{1, 2, 3} {
		c.stop(id)
	}
	leader := c.logBytes(1, "a", o.GetHighWatermark())
	for _, id := range []int32{2, 3} {
		if !bytes.Equal(c.logBytes(id, "a", o.GetHighWatermark()), leader) {
			t.Fatalf("node %d's log differs from the leader's", id)
		}
	}
	if got := values(t, leader); len(got) != 35 || !slices.Contains(got, "waits-0") || !slices.Contains(got, "acks-1-4") {
		t.Fatalf("log holds %d records: %v", len(got), got)
	}
}

func grepMetrics(m string) string {
	var out []string
	for _, l := range strings.Split(m, "\n") {
		if strings.Contains(l, "isr") || strings.Contains(l, "replicat") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestDivergentLogsConverge: leader A takes acks=1 writes its follower never got and stops; B is
// elected at the next epoch and takes other writes; A comes back as B's follower, cuts its
// unreplicated suffix, copies B's writes and rejoins the ISR: both logs end byte for byte equal.
func TestDivergentLogsConverge(t *testing.T) {
	c := newCluster(t, 1, 2)
	c.topic("d", []int32{1, 2}, []int32{1, 2}, 1, nil)
	c.waitLeading(1, "d")
	for i := range 3 {
		c.mustAppend(1, "d", acksAll, fmt.Sprint("both", i), 2)
	}
	c.waitReplicated(1, "d")

	c.stop(2)
	for i := range 2 {
		c.mustAppend(1, "d", acksLeader, fmt.Sprint("lost", i), 3)
	}
	c.stop(1)

	c.elect("d", 2, []int32{2})
	c.start(2)
	c.waitLeading(2, "d")
	for i := range 4 {
		c.mustAppend(2, "d", acksAll, fmt.Sprint("new", i), 1)
	}

	c.start(1)
	c.waitISR("d", 1, 2)
	o := c.waitReplicated(2, "d")
	if o.GetLogEndOffset() != 10 {
		t.Fatalf("the new leader's log ends at %d, want 10", o.GetLogEndOffset())
	}
	c.stop(1)
	c.stop(2)
	a, b := c.logBytes(1, "d", 10), c.logBytes(2, "d", 10)
	if !bytes.Equal(a, b) {
		t.Fatalf("logs differ:\nnode 1: %v\nnode 2: %v", values(t, a), values(t, b))
	}
	want := []string{"both0-0", "both0-1", "both1-0", "both1-1", "both2-0", "both2-1", "new0-0", "new1-0", "new2-0", "new3-0"}
	if got := values(t, a); !slices.Equal(got, want) {
		t.Fatalf("log holds %v, want %v", got, want)
	}
}

// TestLeaderStepsDown: a leader whose writes wait for a follower learns a new epoch in which
// another node leads (as a leader paused past its session would): the waiting writes fail with
// NOT_LEADER_OR_FOLLOWER, and it follows the new leader.
func TestLeaderStepsDown(t *testing.T) {
	c := newCluster(t, 1, 2)
	c.topic("s", []int32{1, 2}, []int32{1, 2}, 1, nil)
	c.waitLeading(1, "s")
	c.mustAppend(1, "s", acksAll, "before", 1)
	c.stop(2)
	waiting := make(chan error, 1)
	go func() {
		_, err := c.append(1, "s", acksAll, 10*time.Second, "in-flight", 1)
		waiting <- err
	}()
	eventually(t, "the write in the log", func() bool { return c.offsets(1, "s").GetLogEndOffset() == 2 })
	c.elect("s", 2, []int32{2})
	select {
	case err := <-waiting:
		wantCode(t, err, rpcerr.NotLeaderOrFollower)
	case <-time.After(15 * time.Second):
		t.Fatal("the waiting write did not end")
	}
	c.start(2)
	c.waitLeading(2, "s")
	c.mustAppend(2, "s", acksAll, "after", 1)
	c.waitISR("s", 1, 2)
	c.waitReplicated(2, "s")
	_, err := c.nodes[1].client.Append(context.Background(), &runnelv1.AppendRequest{Topic: "s", LeaderEpoch: -1, Batch: []byte{0}})
	wantCode(t, err, rpcerr.NotLeaderOrFollower)
}

// TestRefusedProposalWaitsForNewerMetadata: a proposal refused as stale is dropped; the leader
// proposes again on the newer state the metadata service then delivers, and only the accepted
// result counts.
func TestRefusedProposalWaitsForNewerMetadata(t *testing.T) {
	c := newCluster(t, 1, 2)
	var refused atomic.Bool
	c.meta.SetAlterHook(func(*runnelv1.AlterPartitionRequest) error {
		if refused.CompareAndSwap(false, true) {
			return rpcerr.New(rpcerr.InvalidUpdateVersion, "the partition changed meanwhile")
		}
		return nil
	})
	c.topic("p", []int32{1, 2}, []int32{1, 2}, 1, map[string]string{"replica.lag.time.max.ms": "300"})
	c.waitLeading(1, "p")
	c.stop(2)
	c.mustAppend(1, "p", acksLeader, "behind", 1)
	eventually(t, "a proposal", func() bool { return len(c.meta.Alters()) == 1 })
	if got := c.isr("p"); !slices.Equal(got, []int32{1, 2}) {
		t.Fatalf("ISR %v changed by a refused proposal", got)
	}
	ps := c.meta.Partition("p", 0)
	ps.PartitionEpoch++
	c.meta.SetPartition(ps) // newer metadata, same ISR
	c.waitISR("p", 1)
	alters := c.meta.Alters()
	if len(alters) != 2 || alters[1].GetPartitionEpoch() != alters[0].GetPartitionEpoch()+1 {
		t.Fatalf("proposals %v: want the second one on the newer partition epoch", alters)
	}
}
