package e2e

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/runnel/runnel/e2e/harness"
)

// testGroupRebalance: rebalances on join, on a clean leave and on a crash.
func testGroupRebalance(t *testing.T, c *harness.Cluster) {
	const topic, partitions = "g-rebalance", 6
	createTopic(t, c.Client(), topic, partitions, 1, nil)
	t.Run("JoinAndLeave", func(t *testing.T) { testGroupJoinLeave(t, c, topic, partitions) })
	t.Run("Crash", func(t *testing.T) { testGroupCrash(t, c, topic, partitions) })
}

// testGroupJoinLeave: a second member's join takes half of the first member's partitions (which
// the first gives up before the second gets them); when a member exits cleanly it leaves the group
// and its partitions move at once, long before its 10 s session would time out.
func testGroupJoinLeave(t *testing.T, c *harness.Cluster, topic string, partitions int) {
	const group = "g-leave"
	rest := c.Client()
	mon := monitorHolders(t, rest, group, 50*time.Millisecond)
	a := groupConsumer(t, c, "a", topic, group, "--session-timeout", "10s")
	aID := memberOf(t, a)
	waitBalanced(t, rest, group, 1, partitions, 20*time.Second)
	b := groupConsumer(t, c, "b", topic, group, "--session-timeout", "10s")
	bID := memberOf(t, b)
	d := waitBalanced(t, rest, group, 2, partitions, 20*time.Second)
	for _, id := range []string{aID, bID} {
		if m, ok := d.Member(id); !ok || len(harness.Flatten(m.Assignment)) != partitions/2 {
			t.Fatalf("after the join member %s holds %+v, want %d partitions", id, m.Assignment, partitions/2)
		}
	}
	before := produceValues(t, rest, topic, valuesN("leave-before", 4*partitions))
	waitConsumed(t, before, 20*time.Second, a, b)

	stopped := time.Now()
	if code := a.Stop(t); code != 0 {
		t.Fatalf("a exited %d after SIGTERM, want 0; stderr:\n%s", code, a.Stderr())
	}
	d = waitBalanced(t, rest, group, 1, partitions, 3*time.Second) // the session (10 s) plays no part
	t.Logf("a's partitions moved to b %s after a was stopped", time.Since(stopped).Round(time.Millisecond))
	if _, ok := d.Member(bID); !ok {
		t.Fatalf("the remaining member is %+v, want b (%s)", d.Members, bID)
	}
	after := produceValues(t, rest, topic, valuesN("leave-after", 4*partitions))
	waitConsumed(t, after, 20*time.Second, b)
	mon.check(t, 20)
	if code := b.Stop(t); code != 0 {
		t.Errorf("b exited %d, want 0", code)
	}
}

// testGroupCrash: three members with a 2 s session; one is killed with SIGKILL (no leave). While
// the coordinator still counts it a member nobody else gets its partitions; they move only once
// its session has timed out, then to the two survivors, which go on reading them.
func testGroupCrash(t *testing.T, c *harness.Cluster, topic string, partitions int) {
	const group, session = "g-crash", 2 * time.Second
	rest := c.Client()
	mon := monitorHolders(t, rest, group, 50*time.Millisecond)
	var procs []*harness.CLIProcess
	var ids []string
	for _, name := range []string{"x", "y", "z"} {
		p := groupConsumer(t, c, name, topic, group, "--session-timeout", session.String())
		procs = append(procs, p)
		ids = append(ids, memberOf(t, p))
	}
	d := waitBalanced(t, rest, group, 3, partitions, 20*time.Second)
	before := produceValues(t, rest, topic, valuesN("crash-before", 4*partitions))
	waitConsumed(t, before, 20*time.Second, procs...)

	victim, victimID := procs[0], ids[0]
	m, _ := d.Member(victimID)
	lost := harness.Flatten(m.Assignment)
	if len(lost) == 0 {
		t.Fatalf("the victim %s holds nothing: %+v", victimID, d.Members)
	}
	killed := time.Now()
	victim.Kill(t)
	var moved time.Duration
	harness.EventuallyEvery(t, session+10*time.Second, 25*time.Millisecond, func() error {
		d, err := rest.DescribeGroup(testCtx(t, 10*time.Second), group)
		if err != nil {
			return err
		}
		holders := d.Holders()
		if _, ok := d.Member(victimID); ok {
			for _, tp := range lost {
				if h := holders[tp]; len(h) > 0 && !slices.Equal(h, []string{victimID}) {
					t.Errorf("%s/%d is held by %v while the crashed %s is still a member", tp.Topic, tp.Partition, h, victimID)
				}
			}
			return fmt.Errorf("the crashed member %s is still in the group", victimID)
		}
		for _, tp := range lost {
			if h := holders[tp]; len(h) != 1 || (h[0] != ids[1] && h[0] != ids[2]) {
				return fmt.Errorf("%s/%d is held by %v, want one survivor", tp.Topic, tp.Partition, h)
			}
		}
		moved = time.Since(killed)
		return nil
	})
	t.Logf("the crashed member's partitions %v moved %s after the kill (session %s)", lost, moved.Round(time.Millisecond), session)
	// The member's last sign of life (a heartbeat or a fetch, each at most ~0.7 s apart) came
	// shortly before the kill; its partitions must not move before its session could have ended.
	if moved < session-800*time.Millisecond {
		t.Errorf("the crashed member's partitions moved %s after the kill, before its %s session timed out", moved, session)
	}
	d = waitBalanced(t, rest, group, 2, partitions, 10*time.Second)
	for _, m := range d.Members {
		if m.MemberID != ids[1] && m.MemberID != ids[2] {
			t.Errorf("member %s is not a survivor", m.MemberID)
		}
	}
	after := produceValues(t, rest, topic, valuesN("crash-after", 4*partitions))
	waitConsumed(t, after, 20*time.Second, procs[1], procs[2])
	mon.check(t, 20)
	for _, p := range procs[1:] {
		if code := p.Stop(t); code != 0 {
			t.Errorf("%s exited %d, want 0", p.Name, code)
		}
	}
}
