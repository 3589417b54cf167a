package e2e

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/runnel/runnel/e2e/harness"
)

// testGroupStatic: a static member (--instance-id) killed with SIGKILL and started again within
// its session takes its partitions back under a new member id; the group does not rebalance (its
// generation and the other member's partitions stay as they were) and the restarted member reads
// its partitions again.
func testGroupStatic(t *testing.T, c *harness.Cluster) {
	const topic, group, partitions, instance = "g-static", "g-static", 4, "static-1"
	rest := c.Client()
	createTopic(t, rest, topic, partitions, 1, nil)
	s1 := groupConsumer(t, c, "static", topic, group, "--session-timeout", "10s", "--instance-id", instance)
	oldID := memberOf(t, s1)
	other := groupConsumer(t, c, "dynamic", topic, group, "--session-timeout", "10s")
	otherID := memberOf(t, other)
	before := waitBalanced(t, rest, group, 2, partitions, 20*time.Second)
	staticParts := assignmentOf(t, before, oldID)
	otherParts := assignmentOf(t, before, otherID)

	s1.Kill(t) // no leave: the member stays until its 10 s session ends
	killed := time.Now()
	s1 = groupConsumer(t, c, "static restarted", topic, group, "--session-timeout", "10s", "--instance-id", instance)
	newID := memberOf(t, s1)
	if newID == oldID {
		t.Fatalf("the restarted static member got the old member id %s; want a new one (the old id is fenced)", oldID)
	}
	var after *harness.GroupDescription
	harness.EventuallyEvery(t, 10*time.Second, 50*time.Millisecond, func() error {
		after = describeGroup(t, rest, group)
		m, ok := after.Member(newID)
		if !ok || m.InstanceID != instance {
			return fmt.Errorf("the restarted member %s (instance %s) is not in %+v", newID, instance, after.Members)
		}
		if _, ok := after.Member(oldID); ok {
			return fmt.Errorf("the replaced member %s is still in the group", oldID)
		}
		if got := harness.Flatten(m.Assignment); !slices.Equal(got, staticParts) {
			return fmt.Errorf("the restarted static member holds %v, want its old partitions %v", got, staticParts)
		}
		return nil
	})
	if took := time.Since(killed); took >= 10*time.Second {
		t.Fatalf("the takeover took %s, not within the 10 s session", took)
	}
	if after.Generation != before.Generation {
		t.Errorf("the group generation went from %d to %d: the restart caused a rebalance", before.Generation, after.Generation)
	}
	if got := assignmentOf(t, after, otherID); !slices.Equal(got, otherParts) {
		t.Errorf("the other member holds %v after the restart, want %v unchanged", got, otherParts)
	}
	recs := produceValues(t, rest, topic, valuesN("static", 4*partitions))
	waitConsumed(t, recs, 20*time.Second, s1, other)
	for _, p := range []*harness.CLIProcess{s1, other} {
		if code := p.Stop(t); code != 0 {
			t.Errorf("%s exited %d, want 0", p.Name, code)
		}
	}
}

// assignmentOf is the sorted partitions member id holds in d.
func assignmentOf(t *testing.T, d *harness.GroupDescription, id string) []harness.TopicPartition {
	t.Helper()
	m, ok := d.Member(id)
	if !ok {
		t.Fatalf("member %s is not in group %s: %+v", id, d.Group, d.Members)
	}
	return harness.Flatten(m.Assignment)
}
