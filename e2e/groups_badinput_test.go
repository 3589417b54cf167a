package e2e

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/runnel/runnel/e2e/harness"
)

// groupSnapshot is what a bad request must not change: the group's generation, its members with
// their generations and partitions, and its committed offsets.
type groupSnapshot struct {
	Generation int32
	Members    map[string]string // member → "generation assigned / revoking"
	Offsets    map[harness.TopicPartition]int64
}

func snapshotGroup(t *testing.T, rest *harness.Client, group string) groupSnapshot {
	t.Helper()
	d := describeGroup(t, rest, group)
	offs, err := rest.CommittedOffsets(testCtx(t, 30*time.Second), group)
	if err != nil {
		t.Fatalf("offsets of %s: %v", group, err)
	}
	s := groupSnapshot{Generation: d.Generation, Members: map[string]string{}, Offsets: offs}
	for _, m := range d.Members {
		s.Members[m.MemberID] = fmt.Sprintf("g%d %v / %v", m.Generation, harness.Flatten(m.Assignment), harness.Flatten(m.Revoking))
	}
	return s
}

// settle heartbeats the REST members (each acknowledging the generation of its last answer) until
// each holds exactly one partition and nothing is being revoked.
func settle(t *testing.T, rest *harness.Client, group string, members []*harness.MemberAssignment) {
	t.Helper()
	harness.EventuallyEvery(t, 20*time.Second, 50*time.Millisecond, func() error {
		for i, m := range members {
			hb, err := rest.Heartbeat(testCtx(t, 10*time.Second), group, m.MemberID, m.Generation)
			if err != nil {
				return err
			}
			members[i] = hb
		}
		d, err := rest.DescribeGroup(testCtx(t, 10*time.Second), group)
		if err != nil {
			return err
		}
		for _, m := range d.Members {
			if len(harness.Flatten(m.Assignment)) != 1 || len(m.Revoking) > 0 {
				return fmt.Errorf("member %s holds %v, revoking %v", m.MemberID, m.Assignment, m.Revoking)
			}
		}
		if d.State != "Stable" {
			return fmt.Errorf("group %s is %s", group, d.State)
		}
		return nil
	})
}

// testGroupBadInput sends bad group requests over REST: each gets a named 4xx with grpc-gateway's
// error body, and changes nothing (a group that did not exist still does not; an existing group
// keeps its generation, members, assignments and committed offsets).
func testGroupBadInput(t *testing.T, c *harness.Cluster) {
	const topic, group, missing = "g-bad", "g-bad", "g-bad-missing"
	rest := c.Client()
	createTopic(t, rest, topic, 2, 1, nil)
	for p := range int32(2) {
		if _, err := rest.Produce(testCtx(t, time.Minute), topic, "all", []harness.ProduceRecord{
			{Partition: harness.Ptr(p), Value: harness.Ptr("a")}, {Partition: harness.Ptr(p), Value: harness.Ptr("b")},
			{Partition: harness.Ptr(p), Value: harness.Ptr("c")},
		}); err != nil {
			t.Fatalf("produce: %v", err)
		}
	}
	join := func(req harness.JoinGroupRequest) *harness.MemberAssignment {
		m, err := rest.JoinGroup(testCtx(t, 30*time.Second), group, req)
		if err != nil {
			t.Fatalf("join %s: %v", group, err)
		}
		return m
	}
	members := []*harness.MemberAssignment{join(harness.JoinGroupRequest{Topics: []string{topic}, SessionTimeoutMs: 30000})}
	members = append(members, join(harness.JoinGroupRequest{Topics: []string{topic}, SessionTimeoutMs: 30000}))
	settle(t, rest, group, members)
	m1, m2 := members[0], members[1]
	mine, theirs := harness.Flatten(m1.Assignment)[0], harness.Flatten(m2.Assignment)[0]
	if m1.Generation < 2 {
		t.Fatalf("member 1 has generation %d after giving a partition up, want at least 2", m1.Generation)
	}
	if err := rest.CommitOffsets(testCtx(t, 30*time.Second), group, harness.CommitOffsetsRequest{MemberID: m1.MemberID, Generation: m1.Generation,
		Offsets: []harness.OffsetCommit{{Topic: topic, Partition: mine.Partition, Offset: 1}}}); err != nil {
		t.Fatalf("a valid commit: %v", err)
	}

	commitIn := func(g, member string, gen int32, offs ...harness.OffsetCommit) func(context.Context) error {
		return func(ctx context.Context) error {
			return rest.CommitOffsets(ctx, g, harness.CommitOffsetsRequest{MemberID: member, Generation: gen, Offsets: offs})
		}
	}
	commit := func(member string, gen int32, offs ...harness.OffsetCommit) func(context.Context) error {
		return commitIn(group, member, gen, offs...)
	}
	at := func(tp harness.TopicPartition, offset int64) harness.OffsetCommit {
		return harness.OffsetCommit{Topic: tp.Topic, Partition: tp.Partition, Offset: harness.Int64(offset)}
	}
	joinAs := func(g string, req harness.JoinGroupRequest) func(context.Context) error {
		return func(ctx context.Context) error { _, err := rest.JoinGroup(ctx, g, req); return err }
	}
	heartbeat := func(g, member string, gen int32) func(context.Context) error {
		return func(ctx context.Context) error { _, err := rest.Heartbeat(ctx, g, member, gen); return err }
	}
	topics := []string{topic}
	for _, tc := range []struct {
		name   string
		call   func(context.Context) error
		status []int
		names  []string // the catalogue names allowed
		group  string   // the group that must be unchanged (missing: must not exist)
	}{
		{"join an unknown topic", joinAs(missing, harness.JoinGroupRequest{Topics: []string{"g-bad-nope"}}), s404, []string{"UNKNOWN_TOPIC_OR_PARTITION"}, missing},
		{"join with no topics", joinAs(missing, harness.JoinGroupRequest{Topics: []string{}}), s400, []string{"INVALID_REQUEST"}, missing},
		{"session timeout too short", joinAs(missing, harness.JoinGroupRequest{Topics: topics, SessionTimeoutMs: 100}), s400, []string{"INVALID_SESSION_TIMEOUT"}, missing},
		{"session timeout too long", joinAs(missing, harness.JoinGroupRequest{Topics: topics, SessionTimeoutMs: 400000}), s400, []string{"INVALID_SESSION_TIMEOUT"}, missing},
		{"negative session timeout", joinAs(missing, harness.JoinGroupRequest{Topics: topics, SessionTimeoutMs: -5}), s400, []string{"INVALID_SESSION_TIMEOUT", "INVALID_REQUEST"}, missing},
		{"bad group id", joinAs("bad*group", harness.JoinGroupRequest{Topics: topics}), s400, []string{"INVALID_GROUP_ID"}, "bad*group"},
		{"unknown assignor", joinAs(missing, harness.JoinGroupRequest{Topics: topics, Assignor: "fair"}), s400, []string{"UNSUPPORTED_ASSIGNOR"}, missing},
		{"bad auto offset reset", joinAs(missing, harness.JoinGroupRequest{Topics: topics, AutoOffsetReset: "middle"}), s400, []string{"INVALID_REQUEST"}, missing},
		{"another assignor", joinAs(group, harness.JoinGroupRequest{Topics: topics, Assignor: "range"}), s409, []string{"INCONSISTENT_GROUP_PROTOCOL"}, group},
		{"heartbeat of an unknown member", heartbeat(group, "nobody", 0), s404, []string{"UNKNOWN_MEMBER_ID"}, group},
		{"heartbeat in an unknown group", heartbeat(missing, "nobody", 0), s404, []string{"GROUP_ID_NOT_FOUND", "UNKNOWN_MEMBER_ID"}, missing},
		{"heartbeat ahead of the member", heartbeat(group, m1.MemberID, m1.Generation+5), s409, []string{"ILLEGAL_GENERATION"}, group},
		{"leave of an unknown member", func(ctx context.Context) error { return rest.LeaveGroup(ctx, group, "nobody") }, s404, []string{"UNKNOWN_MEMBER_ID"}, group},
		{"leave of an unknown group", func(ctx context.Context) error { return rest.LeaveGroup(ctx, missing, "nobody") }, s404, []string{"GROUP_ID_NOT_FOUND"}, missing},
		{"records of an unknown member", func(ctx context.Context) error {
			_, err := rest.GroupRecords(ctx, group, "nobody", 10, 0)
			return err
		}, s404, []string{"UNKNOWN_MEMBER_ID"}, group},
		{"commit with a stale generation", commit(m1.MemberID, m1.Generation-1, at(mine, 2)), s409, []string{"ILLEGAL_GENERATION"}, group},
		{"commit of a partition the member does not own", commit(m1.MemberID, m1.Generation, at(theirs, 2)), s409, []string{"PARTITION_NOT_ASSIGNED"}, group},
		{"commit of an owned and a foreign partition", commit(m1.MemberID, m1.Generation, at(mine, 2), at(theirs, 2)), s409, []string{"PARTITION_NOT_ASSIGNED"}, group},
		{"commit beyond the high watermark", commit(m1.MemberID, m1.Generation, at(mine, 4)), s416, []string{"OFFSET_OUT_OF_RANGE"}, group},
		{"commit of a negative offset", commit(m1.MemberID, m1.Generation, at(mine, -2)), s416, []string{"OFFSET_OUT_OF_RANGE"}, group},
		{"commit of nothing", commit(m1.MemberID, m1.Generation), s400, []string{"INVALID_REQUEST"}, group},
		{"commit by an unknown member", commit("nobody", 1, at(mine, 2)), s404, []string{"UNKNOWN_MEMBER_ID"}, group},
		{"commit in an unknown group", commitIn(missing, "nobody", 1, at(mine, 2)), s404, []string{"GROUP_ID_NOT_FOUND"}, missing},
		{"commit from outside a group with members", commit("", -1, at(mine, 2)), []int{404, 409}, []string{"UNKNOWN_MEMBER_ID", "ILLEGAL_GENERATION"}, group},
		{"commit with too much metadata", commit(m1.MemberID, m1.Generation, harness.OffsetCommit{Topic: topic, Partition: mine.Partition, Offset: 2,
			Metadata: strings.Repeat("m", 5000)}), s400, []string{"OFFSET_METADATA_TOO_LARGE"}, group},
		{"offsets of an unknown group", func(ctx context.Context) error { _, err := rest.GroupOffsets(ctx, missing); return err }, s404, []string{"GROUP_ID_NOT_FOUND"}, missing},
		{"describe of an unknown group", func(ctx context.Context) error { _, err := rest.DescribeGroup(ctx, missing); return err }, s404, []string{"GROUP_ID_NOT_FOUND"}, missing},
		{"delete of an unknown group", func(ctx context.Context) error { return rest.DeleteGroup(ctx, missing) }, s404, []string{"GROUP_ID_NOT_FOUND"}, missing},
		{"delete of a group with members", func(ctx context.Context) error { return rest.DeleteGroup(ctx, group) }, s409, []string{"NON_EMPTY_GROUP"}, group},
		{"reset of a group with members", func(ctx context.Context) error {
			_, err := rest.ResetGroupOffsets(ctx, group, harness.ResetGroupOffsetsRequest{To: "earliest"})
			return err
		}, s409, []string{"NON_EMPTY_GROUP"}, group},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before groupSnapshot
			if tc.group == group {
				before = snapshotGroup(t, rest, group)
			}
			err := tc.call(testCtx(t, 30*time.Second))
			var e *harness.APIError
			if !errors.As(err, &e) {
				t.Fatalf("want an error answer, got %v", err)
			}
			checkErrorBody(t, e, tc.status, "")
			if !slices.Contains(tc.names, e.Name()) {
				t.Errorf("error %q, want one of %v", e.Message, tc.names)
			}
			if tc.group == group {
				if after := snapshotGroup(t, rest, group); !reflect.DeepEqual(after, before) {
					t.Errorf("the group changed:\nbefore %+v\nafter  %+v", before, after)
				}
				return
			}
			groups, err := rest.ListGroups(testCtx(t, 30*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			if slices.ContainsFunc(groups, func(g harness.GroupSummary) bool { return g.Group == tc.group }) {
				t.Errorf("group %q exists after a refused request", tc.group)
			}
		})
	}
	// The members are unharmed: both heartbeat, and member 1 commits.
	for _, m := range []*harness.MemberAssignment{m1, m2} {
		if _, err := rest.Heartbeat(testCtx(t, 30*time.Second), group, m.MemberID, m.Generation); err != nil {
			t.Errorf("heartbeat of %s after the bad requests: %v", m.MemberID, err)
		}
	}
	if err := commit(m1.MemberID, m1.Generation, at(mine, 3))(testCtx(t, 30*time.Second)); err != nil {
		t.Errorf("a valid commit after the bad requests: %v", err)
	}
	for _, m := range []*harness.MemberAssignment{m1, m2} {
		if err := rest.LeaveGroup(testCtx(t, 30*time.Second), group, m.MemberID); err != nil {
			t.Errorf("leave %s: %v", m.MemberID, err)
		}
	}
}
