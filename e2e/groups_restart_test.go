package e2e

import (
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/runnel/runnel/e2e/harness"
)

// testGroupMetadataRestart: committed offsets live in etcd and survive a kill -9 and restart of
// the metadata node (with one metadata node, all of the metadata restarts). Three groups: one
// with a REST member that committed, one committed from outside any group (generation -1), and
// one whose `runnel consume --group` keeps running through the restart: its member is still
// known afterwards (sessions start afresh on the new coordinator), and it goes on consuming and
// committing.
func testGroupMetadataRestart(t *testing.T, c *harness.Cluster) {
	const topic = "g-restart"
	rest := c.Client()
	createTopic(t, rest, topic, 3, 1, nil)
	first := produceValues(t, rest, topic, valuesN("restart", 30))
	tp := func(p int32) harness.TopicPartition { return harness.TopicPartition{Topic: topic, Partition: p} }
	ends := func(recs []producedRecord) map[harness.TopicPartition]int64 {
		out := map[harness.TopicPartition]int64{tp(0): 0, tp(1): 0, tp(2): 0}
		for _, r := range recs {
			out[r.tp] = max(out[r.tp], r.offset+1)
		}
		return out
	}
	offsetsOf := func(group string) (map[harness.TopicPartition]int64, error) {
		return rest.CommittedOffsets(testCtx(t, 10*time.Second), group)
	}

	// A REST member owns the three partitions and commits.
	m, err := rest.JoinGroup(testCtx(t, 30*time.Second), "g-restart-rest", harness.JoinGroupRequest{Topics: []string{topic}, SessionTimeoutMs: 60000})
	if err != nil {
		t.Fatalf("join: %v", err)
	}
	harness.EventuallyEvery(t, 10*time.Second, 50*time.Millisecond, func() error {
		if m, err = rest.Heartbeat(testCtx(t, 10*time.Second), "g-restart-rest", m.MemberID, m.Generation); err != nil {
			return err
		}
		if n := len(harness.Flatten(m.Assignment)); n != 3 {
			return fmt.Errorf("the member holds %d partitions, want 3", n)
		}
		return nil
	})
	if err := rest.CommitOffsets(testCtx(t, 30*time.Second), "g-restart-rest", harness.CommitOffsetsRequest{MemberID: m.MemberID, Generation: m.Generation,
		Offsets: []harness.OffsetCommit{{Topic: topic, Partition: 0, Offset: 4}, {Topic: topic, Partition: 1, Offset: 7, Metadata: "m"}, {Topic: topic, Partition: 2, Offset: 10}}}); err != nil {
		t.Fatalf("commit: %v", err)
	}
	// A commit from outside any group creates the group.
	if err := rest.CommitOffsets(testCtx(t, 30*time.Second), "g-restart-outside", harness.CommitOffsetsRequest{Generation: -1,
		Offsets: []harness.OffsetCommit{{Topic: topic, Partition: 1, Offset: 2}}}); err != nil {
		t.Fatalf("commit from outside a group: %v", err)
	}
	// A CLI consumer reads and commits everything.
	cli := groupConsumer(t, c, "consumer", topic, "g-restart-cli", "--session-timeout", "10s")
	cliID := memberOf(t, cli)
	waitConsumed(t, first, 20*time.Second, cli)
	harness.EventuallyEvery(t, 10*time.Second, 50*time.Millisecond, func() error {
		got, err := offsetsOf("g-restart-cli")
		if want := ends(first); err != nil || !maps.Equal(got, want) {
			return fmt.Errorf("the consumer's commits: %v %v, want %v", got, err, want)
		}
		return nil
	})

	want := map[string]map[harness.TopicPartition]int64{
		"g-restart-rest":    {tp(0): 4, tp(1): 7, tp(2): 10},
		"g-restart-outside": {tp(0): -1, tp(1): 2, tp(2): -1},
		"g-restart-cli":     ends(first),
	}
	for g, w := range want {
		if got, err := offsetsOf(g); err != nil || !maps.Equal(got, w) {
			t.Fatalf("before the restart group %s has offsets %v (%v), want %v", g, got, err, w)
		}
	}

	meta := c.Endpoints().Metadata[0].ID
	down := time.Now()
	c.KillMetadata(t, meta)
	c.RestartMetadata(t, meta)
	harness.EventuallyEvery(t, 30*time.Second, 100*time.Millisecond, func() error {
		for g, w := range want {
			got, err := offsetsOf(g)
			if err != nil {
				return fmt.Errorf("group %s: %w", g, err)
			}
			if !maps.Equal(got, w) {
				t.Fatalf("after the restart group %s has offsets %v, want %v", g, got, w)
			}
		}
		return nil
	})
	t.Logf("groups answer again %s after the metadata node was killed", time.Since(down).Round(time.Millisecond))

	// The REST member is still a member with its partitions; its commit metadata survived too.
	hb, err := rest.Heartbeat(testCtx(t, 30*time.Second), "g-restart-rest", m.MemberID, m.Generation)
	if err != nil {
		t.Fatalf("heartbeat of the REST member after the restart: %v", err)
	}
	if len(harness.Flatten(hb.Assignment)) != 3 {
		t.Errorf("after the restart the REST member holds %v, want the 3 partitions it had", hb.Assignment)
	}
	offs, err := rest.GroupOffsets(testCtx(t, 30*time.Second), "g-restart-rest")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range offs {
		if o.Partition == 1 && o.Metadata != "m" {
			t.Errorf("partition 1's commit metadata is %q after the restart, want %q", o.Metadata, "m")
		}
	}

	// The CLI consumer goes on: same member, new records printed and committed.
	more := produceValues(t, rest, topic, valuesN("restart-more", 9))
	waitConsumed(t, more, 30*time.Second, cli)
	harness.EventuallyEvery(t, 15*time.Second, 100*time.Millisecond, func() error {
		got, err := offsetsOf("g-restart-cli")
		if w := ends(append(first, more...)); err != nil || !maps.Equal(got, w) {
			return fmt.Errorf("the consumer's commits after the restart: %v %v, want %v", got, err, w)
		}
		return nil
	})
	if d := describeGroup(t, rest, "g-restart-cli"); len(d.Members) != 1 || d.Members[0].MemberID != cliID {
		t.Errorf("after the restart the CLI group has members %+v, want the same member %s", d.Members, cliID)
	}
	if code := cli.Stop(t); code != 0 {
		t.Errorf("the consumer exited %d, want 0; stderr:\n%s", code, cli.Stderr())
	}
	if err := rest.LeaveGroup(testCtx(t, 30*time.Second), "g-restart-rest", m.MemberID); err != nil {
		t.Errorf("leave: %v", err)
	}
}
