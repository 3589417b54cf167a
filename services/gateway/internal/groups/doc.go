// Package groups is the gateway's side of consumer groups: it serves GatewayService's group calls
// (JoinGroup, Heartbeat, LeaveGroup, FetchGroupRecords, CommitOffsets, GetGroupOffsets,
// ListGroups, DescribeGroup, ResetGroupOffsets, DeleteGroup) by forwarding to the
// GroupCoordinatorService of the metadata nodes and adding what needs the logs.
//
// Decisions:
//   - Forwarding: every call goes to the metadata node that answered last; NOT_COORDINATOR,
//     COORDINATOR_NOT_AVAILABLE, an Unimplemented service or a transport failure moves it to the
//     next node, with a growing backoff (20–500 ms) after each round over all nodes, for up to
//     DefaultCallTimeout (5 s) and never past shortly before the caller's deadline; then
//     COORDINATOR_NOT_AVAILABLE (retriable, 503) naming the last answer. Any other answer of the
//     coordinator is returned as is (its catalogue name and HTTP status).
//   - CommitOffsets: before forwarding, every offset is checked against its partition's high
//     watermark as the leader reports it: negative or above the high watermark →
//     OFFSET_OUT_OF_RANGE naming the topic, partition and the valid range [0, hw]; an unknown
//     topic or partition → UNKNOWN_TOPIC_OR_PARTITION; a leader that cannot be asked → its error.
//     Offsets below the log start are accepted (the reader falls back per auto_offset_reset).
//   - GetGroupOffsets / DescribeGroup: every partition of the group's topics (those the coordinator
//     names, and those with a commit), sorted by topic and partition; offset -1 without a commit;
//     lag = high watermark − offset, or high watermark − log start without a commit, never
//     negative. A partition whose leader cannot be asked in time (DescribeGroup does not wait for
//     a leader, GetGroupOffsets waits up to 5 s) shows high watermark, log start and lag -1, so a
//     group can be described while a partition is offline; DescribeGroup's lag sums the others.
//   - ResetGroupOffsets: exactly one of to ("earliest"/"latest"), offset, timestamp_ms
//     (INVALID_REQUEST otherwise; a negative offset is OFFSET_OUT_OF_RANGE). Topics default to
//     the group's topics. A group with members → NON_EMPTY_GROUP, also on dry_run (and the
//     coordinator refuses the write again if a member joined meanwhile). Every partition is
//     resolved first (earliest = log start, latest = high watermark, timestamp = the first record
//     at or after it below the high watermark, else the high watermark; an explicit offset above
//     the high watermark → OFFSET_OUT_OF_RANGE, one below the log start moves up to it), then one
//     AlterOffsets writes all; any error writes nothing. A group that does not exist is created
//     when topics are named.
//   - FetchGroupRecords: GetAssignment (which keeps the member's session alive), then positions
//     kept in this gateway's memory per (group, member) and partition. A partition seen for the
//     first time starts at its committed offset when that lies in [log start, high watermark],
//     else per the member's auto_offset_reset (earliest: log start; latest: high watermark; none:
//     OFFSET_OUT_OF_RANGE naming the partition). After the member's generation changed, a kept
//     position behind the committed offset moves up to it. Positions of partitions no longer
//     assigned are dropped; a position that fell out of the log is placed again on the next call.
//     Reads are fair: the first partition rotates per call, each gets an equal share of
//     max_records first, the rest goes to those that filled their share; with nothing to return
//     the call long-polls up to max_wait_ms on up to 64 partitions at once. A member with no
//     placed partition waits max_wait_ms and gets its (empty) assignment.
//   - Positions are per gateway: a member that switches gateways restarts from its committed
//     offsets. They are bounded: a member idle on this gateway longer than its session timeout
//     (UnknownSession when it never joined or heartbeated here) is dropped, at most
//     DefaultMaxMembers are kept (the least recently seen goes first), and LeaveGroup,
//     DeleteGroup and UNKNOWN_MEMBER_ID / FENCED_INSTANCE_ID answers drop them at once. Calls of
//     one member are serialised.
//   - Lag gauge (LagGauge): runnel.group.lag {group, topic, partition} as GetGroupOffsets computes
//     it, recomputed on a scrape that finds it older than its interval (10 s), in the background,
//     with one offsets lookup for all groups; at most DefaultMaxLagSeries series.
package groups
