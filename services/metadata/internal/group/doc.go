// Package group is the consumer-group state machine of the coordinator: pure functions of a
// group's state, the cluster's topics (name → id and partition count) and a request, with no
// etcd, clock or timer. Every operation returns an Update — the records to write and the group
// after — or a catalogue error (pkg/rpcerr) and no change at all. The caller (package
// coordinator) writes the update's records in one guarded etcd transaction and only then calls
// Update.Apply and answers, so a response never reveals a state that is not durable.
//
// # State
//
// A group has an assignor (fixed by the first member of a group with no members), a generation
// (the group epoch: +1 on every change of members or subscriptions, including a subscribed
// topic's deletion or partition-count change), a target assignment (the assignor's output for
// the current members, package assign), members, committed offsets, the ids of members replaced
// by static members (fenced) and the topics (id, partition count) the target was computed with.
// A member has an id (generated), an optional instance id, a client id, its topics, session
// timeout, auto offset reset, its own generation (1 at join, +1 for every different assignment
// returned to it), its assigned partitions, and its revoking partitions with the generation R of
// the response that revoked them.
//
// Invariant (checked after every step of the tests): no partition is in two members' assigned ∪
// revoking sets; a member's assigned and revoking sets are disjoint.
//
// # Operations
//
//   - Join validates the group id (INVALID_GROUP_ID), the topics (none: INVALID_REQUEST; one
//     that does not exist: UNKNOWN_TOPIC_OR_PARTITION), the session timeout (0 → 10000 ms,
//     clamped to the allowed range; outside [min, max]: INVALID_SESSION_TIMEOUT), the assignor
//     ("" → sticky; unknown: UNSUPPORTED_ASSIGNOR) and auto_offset_reset ("" → earliest;
//     earliest|latest|none, else INVALID_REQUEST), then the assignor against the group's when
//     it has members (INCONSISTENT_GROUP_PROTOCOL). It adds the member (generation 1), bumps
//     the group generation, recomputes the target and answers with the member's free target
//     partitions. A join whose instance id is held by member X replaces X: the new member gets a
//     new id, X's assigned and revoking sets and X's generation + 1; X's target passes to it; X's
//     id is fenced (its later calls: FENCED_INSTANCE_ID); the group generation and target stay
//     unless the new member's topics differ from X's (then the group rebalances).
//   - Heartbeat(g): g < 0 or above the member's generation: ILLEGAL_GENERATION. If g == 0 or
//     g >= R the revoking set is released. Then assigned becomes (assigned ∩ target) ∪ the
//     target's partitions that are free (in no other member's assigned or revoking set), the
//     partitions of assigned \ target move to revoking with R = the new generation, and when
//     assigned changed the member's generation grows by one. The answer is the generation, the
//     assigned partitions and the heartbeat interval: the configured one while the member is
//     reconciled, 100 ms while it has revoking partitions or its assigned differs from its
//     target, never above a third of its session timeout. A partition thus leaves its owner's
//     assignment before it is given to another member, and is given only once the owner
//     acknowledged, left or expired.
//   - Assignment reads a member's generation and assigned partitions, changing nothing.
//   - Leave and Expire remove the member (its partitions are free at once), bump the group
//     generation and recompute the target. Calls naming an unknown member: UNKNOWN_MEMBER_ID
//     (GROUP_ID_NOT_FOUND when the group does not exist; FENCED_INSTANCE_ID for a replaced id).
//   - Commit: an empty offsets list or more than Config.MaxCommitOffsets: INVALID_REQUEST; more
//     than Config.MaxCommitBytes: INVALID_COMMIT_OFFSET_SIZE; unknown group: GROUP_ID_NOT_FOUND,
//     except a commit from outside the group (member id "" and generation -1), which creates it
//     and is allowed only while the group has no members (else UNKNOWN_MEMBER_ID); member id ""
//     with another generation: UNKNOWN_MEMBER_ID; an unknown or fenced member as above;
//     generation != the member's: ILLEGAL_GENERATION. Then per offset: a partition twice:
//     INVALID_REQUEST; a member's offset for a topic that no longer exists is dropped; a
//     partition not in the member's assigned ∪ revoking: PARTITION_NOT_ASSIGNED; a partition
//     that does not exist: UNKNOWN_TOPIC_OR_PARTITION; offset < 0: OFFSET_OUT_OF_RANGE;
//     metadata over 4096 bytes: OFFSET_METADATA_TOO_LARGE. All are validated before any is
//     written.
//   - AlterOffsets validates as an outside commit and needs a group with no members
//     (NON_EMPTY_GROUP); it creates the group when needed. Delete needs an existing group
//     (GROUP_ID_NOT_FOUND) with no members (NON_EMPTY_GROUP) and deletes it with its offsets.
//   - SyncTopics follows the cluster's topics: partitions of a deleted topic, of a topic
//     deleted and created again (a new topic id) or beyond a topic's partition count leave every
//     member's assigned and revoking sets at once (the member's generation grows: its next
//     answer differs), offsets of such topics are dropped, and a change of a subscribed topic
//     rebalances the group. A group with no members stays, with its offsets, until deleted.
//   - Fetch, Summary and Describe read; State is "Empty" (no members), "Reconciling" (a member
//     has revoking partitions or assigned != target) or "Stable".
//
// # Records
//
// EncodeMeta, EncodeMember, EncodeOffset and Decode are the stored form (JSON objects; partition
// sets as topic → partition numbers); Decode refuses records that break the invariant
// (ErrCorrupt).
package group
