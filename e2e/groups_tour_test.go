package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/runnel/runnel/e2e/harness"
)

// testGroupTour is the README's consumer-group step, command by command:
//
//	runnel topic create clicks-g -p 4
//	runnel consume clicks-g --group readers      # terminal 1
//	runnel consume clicks-g --group readers      # terminal 2
//	seq 1 8 | sed 's/^/click-/' | runnel produce clicks-g
//	runnel group describe readers
//
// Each consumer gets two of the four partitions; every line is printed by exactly one of them;
// describe shows both members and, once they committed, no lag. Ctrl-C ends each consumer (it
// leaves the group, exit code 0) and the group is then Empty.
func testGroupTour(t *testing.T, c *harness.Cluster) {
	const topic, group = "clicks-g", "readers"
	rest := c.Client()
	c.MustRunCLI(t, "", "topic", "create", topic, "-p", "4")
	one := c.StartCLI(t, "terminal 1", "consume", topic, "--group", group)
	two := c.StartCLI(t, "terminal 2", "consume", topic, "--group", group)
	memberOf(t, one)
	memberOf(t, two)
	waitBalanced(t, rest, group, 2, 4, 20*time.Second)

	var in strings.Builder
	var want []string
	for i := 1; i <= 8; i++ {
		fmt.Fprintf(&in, "click-%d\n", i)
		want = append(want, fmt.Sprintf("click-%d", i))
	}
	c.MustRunCLI(t, in.String(), "produce", topic)
	harness.EventuallyEvery(t, 20*time.Second, 50*time.Millisecond, func() error {
		if n := one.LineCount() + two.LineCount(); n < len(want) {
			return fmt.Errorf("the consumers printed %d of %d lines", n, len(want))
		}
		return nil
	})
	got := append(one.Lines(), two.Lines()...)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("the two consumers printed %q together, want each of %q exactly once", got, want)
	}
	if len(one.Lines()) == 0 || len(two.Lines()) == 0 {
		t.Errorf("terminal 1 printed %q and terminal 2 %q: want both to share the work", one.Lines(), two.Lines())
	}

	var out string
	harness.EventuallyEvery(t, 10*time.Second, 100*time.Millisecond, func() error {
		out = c.MustRunCLI(t, "", "group", "describe", group)
		if !strings.Contains(out, "Total lag: 0\n") {
			return fmt.Errorf("runnel group describe %s:\n%s\nwant no lag once both committed", group, out)
		}
		return nil
	})
	for _, w := range []string{"Group: readers  State: Stable", "Members: 2", "TOPIC     PARTITION  CURRENT-OFFSET  LOG-END(HW)  LAG  OWNER"} {
		if !strings.Contains(out, w) {
			t.Errorf("runnel group describe %s lacks %q:\n%s", group, w, out)
		}
	}

	for _, p := range []*harness.CLIProcess{one, two} {
		if code := p.Stop(t); code != 0 {
			t.Errorf("%s exited %d after Ctrl-C, want 0; stderr:\n%s", p.Name, code, p.Stderr())
		}
	}
	if d := describeGroup(t, rest, group); d.State != "Empty" || len(d.Members) != 0 {
		t.Errorf("after both consumers stopped the group is %s with %d members, want Empty (they leave on exit)", d.State, len(d.Members))
	}
}
