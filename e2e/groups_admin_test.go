package e2e

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/runnel/runnel/e2e/harness"
)

// testGroupAdmin: `runnel group list | describe | reset-offsets | delete` against a real group.
// Two batches of records with create times an hour apart let --to-datetime pick the second.
func testGroupAdmin(t *testing.T, c *harness.Cluster) {
	const topic, group = "g-admin", "g-admin"
	rest := c.Client()
	createTopic(t, rest, topic, 2, 1, nil)
	t0 := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	for i, ts := range []time.Time{t0, t0.Add(time.Hour)} {
		var recs []harness.ProduceRecord
		for p := range int32(2) {
			for j := range 2 {
				recs = append(recs, harness.ProduceRecord{Partition: harness.Ptr(p), Value: harness.Ptr(fmt.Sprintf("batch%d-%d", i, j)),
					TimestampMs: harness.Ptr(ts.UnixMilli())})
			}
		}
		if _, err := rest.Produce(testCtx(t, time.Minute), topic, "all", recs); err != nil {
			t.Fatalf("produce batch %d: %v", i, err)
		}
	}
	c.MustRunCLI(t, "", "consume", topic, "--group", group, "--max", "8")

	tp := func(p int32) harness.TopicPartition { return harness.TopicPartition{Topic: topic, Partition: p} }
	committed := func() map[harness.TopicPartition]int64 {
		t.Helper()
		offs, err := rest.CommittedOffsets(testCtx(t, 30*time.Second), group)
		if err != nil {
			t.Fatalf("offsets of %s: %v", group, err)
		}
		return offs
	}
	expect := func(when string, a, b int64) {
		t.Helper()
		if got, want := committed(), map[harness.TopicPartition]int64{tp(0): a, tp(1): b}; !maps.Equal(got, want) {
			t.Errorf("%s: committed offsets %v, want %v", when, got, want)
		}
	}
	expect("after consuming everything", 4, 4)

	if out := c.MustRunCLI(t, "", "group", "list"); !regexp.MustCompile(`(?m)^g-admin +Empty +0 +\d+ +sticky *$`).MatchString(out) {
		t.Errorf("runnel group list lacks an Empty g-admin with the sticky assignor:\n%s", out)
	}
	out := c.MustRunCLI(t, "", "group", "describe", group)
	for _, w := range []*regexp.Regexp{
		regexp.MustCompile(`Group: g-admin  State: Empty  Generation: \d+  Assignor: sticky  Members: 0`),
		regexp.MustCompile(`(?m)^g-admin +0 +4 +4 +0 +-$`),
		regexp.MustCompile(`(?m)^Total lag: 0$`),
	} {
		if !w.MatchString(out) {
			t.Errorf("runnel group describe %s does not match %s:\n%s", group, w, out)
		}
	}
	var asJSON harness.GroupDescription
	if err := json.Unmarshal([]byte(c.MustRunCLI(t, "", "group", "describe", group, "--format", "json")), &asJSON); err != nil ||
		asJSON.Group != group || len(asJSON.Offsets) != 2 {
		t.Errorf("runnel group describe --format json: %v %+v", err, asJSON)
	}

	for _, tc := range []struct {
		name string
		args []string
		a, b int64 // committed offsets after
		row  int64 // the NEW-OFFSET printed for partition 1
	}{
		{"dry run", []string{"--to-earliest", "--dry-run"}, 4, 4, 0},
		{"datetime", []string{"--to-datetime", t0.Add(30 * time.Minute).Format(time.RFC3339)}, 2, 2, 2},
		{"offset", []string{"--to-offset", "1"}, 1, 1, 1},
		{"latest", []string{"--to-latest"}, 4, 4, 4},
		{"earliest", []string{"--to", "earliest"}, 0, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"group", "reset-offsets", group, "--topic", topic}, tc.args...)
			out := c.MustRunCLI(t, "", args...)
			if !regexp.MustCompile(fmt.Sprintf(`(?m)^g-admin +1 +%d +4 +%d$`, tc.row, 4-tc.row)).MatchString(out) {
				t.Errorf("runnel %s printed:\n%s\nwant partition 1 at %d", strings.Join(args, " "), out, tc.row)
			}
			expect("after "+tc.name, tc.a, tc.b)
		})
	}
	if out := c.MustRunCLI(t, "", "group", "describe", group); !strings.Contains(out, "Total lag: 8\n") {
		t.Errorf("after the reset to earliest describe shows:\n%s\nwant a total lag of 8", out)
	}

	// With a member, the group can be neither reset nor deleted.
	m, err := rest.JoinGroup(testCtx(t, 30*time.Second), group, harness.JoinGroupRequest{Topics: []string{topic}, SessionTimeoutMs: 30000})
	if err != nil {
		t.Fatalf("join: %v", err)
	}
	for _, args := range [][]string{
		{"group", "reset-offsets", group, "--topic", topic, "--to-latest"},
		{"group", "delete", group},
	} {
		r := c.RunCLI(t, "", args...)
		if r.ExitCode != 1 || !strings.Contains(r.Stderr, "NON_EMPTY_GROUP: ") || !strings.Contains(r.Stderr, "\nhint: ") {
			t.Errorf("runnel %s with a member: exit %d, stderr %q; want 1 and NON_EMPTY_GROUP with a hint", strings.Join(args, " "), r.ExitCode, r.Stderr)
		}
	}
	expect("after the refused reset", 0, 0)
	if err := rest.LeaveGroup(testCtx(t, 30*time.Second), group, m.MemberID); err != nil {
		t.Fatalf("leave: %v", err)
	}

	c.MustRunCLI(t, "", "group", "delete", group)
	if _, err := rest.DescribeGroup(testCtx(t, 30*time.Second), group); apiName(err) != "GROUP_ID_NOT_FOUND" {
		t.Errorf("describe of the deleted group: %v, want GROUP_ID_NOT_FOUND", err)
	}
	r := c.RunCLI(t, "", "group", "describe", group)
	if r.ExitCode != 1 || !strings.Contains(r.Stderr, "GROUP_ID_NOT_FOUND: ") || !strings.Contains(r.Stderr, "hint: check the group name") {
		t.Errorf("runnel group describe of a deleted group: exit %d, stderr %q", r.ExitCode, r.Stderr)
	}
	if out := c.MustRunCLI(t, "", "group", "list"); regexp.MustCompile(`(?m)^g-admin `).MatchString(out) {
		t.Errorf("runnel group list still shows the deleted group:\n%s", out)
	}
}
