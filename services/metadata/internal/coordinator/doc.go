// Package coordinator is the consumer-group coordinator of the metadata service: it serves
// runnel.v1.GroupCoordinatorService on the node that is the controller, keeps the groups in etcd
// and expires member sessions. The rules of a group (join, heartbeat, commits, …) are package
// group's; this package runs them, makes every change durable before answering, and owns the
// timers.
//
// # Role
//
// Run follows the controller role (Leader.Role, implemented by controller.Controller). While this
// node holds it, the coordinator runs terms: a term reads every topic and every group key at one
// etcd revision, rebuilds the groups, gives every member a fresh session deadline (sessions are
// in memory only, so after a controller change every member's session starts afresh), then
// follows the topic watch from the next revision and expires members, until the role ends. A
// write whose outcome is unknown (etcd timeout, lost quorum) or a broken topic watch ends the
// term; a new one reloads the state from etcd after a short backoff, once the operations in
// flight have finished. Calls answer NOT_COORDINATOR on a node that is not the controller and
// COORDINATOR_NOT_AVAILABLE while the controller loads its state (both retriable).
//
// # Writes
//
// Every change is one etcd transaction guarded by the controller's election key
// (controller.Role.Guard: the key still exists with the revision it was created at), the same
// fence as the controller's own writes: a node that lost the role cannot write, even before it
// notices (NOT_COORDINATOR). The operations on one group are serial: each holds the group's lock
// from computing its update (package group) through the write to applying it in memory, so a
// response never reveals a change that is not durable, and the next operation starts from what
// was written. Operations on different groups run in parallel. Writes are not cancelled with the
// request (bounded by 5 s).
//
// # Key layout
//
// Under store.GroupsPrefix (/runnel/groups/, outside the range the metadata watch follows); values
// are JSON (package group's records). Group ids are [a-zA-Z0-9._-] and topic names cannot contain
// '/', so the components never contain the separator.
//
//	/runnel/groups/{group}/meta                               assignor, group generation, target
//	                                                          assignment, fenced member ids, and the
//	                                                          topics (id, partitions) the target was
//	                                                          computed with
//	/runnel/groups/{group}/members/{member id}                one member: instance id, client id,
//	                                                          topics, session timeout, auto offset
//	                                                          reset, generation, assigned, revoking and
//	                                                          the revoking generation
//	/runnel/groups/{group}/offsets/{topic}/{partition %05d}   a committed offset, its metadata and the
//	                                                          topic id it was committed under
//
// A group exists while its meta key does. Join writes meta and the new member; a heartbeat that
// changes a member's sets writes that member; leave and expiry write meta and delete the member;
// a commit writes its offsets (and meta when it creates the group); a topic deletion deletes the
// group's offsets of that topic by prefix; DeleteGroup deletes the group's whole prefix.
//
// # Sessions
//
// A member's session deadline is renewed by Join, Heartbeat and GetAssignment (not by commits).
// The run loop keeps a queue of deadlines and a single timer for the earliest; a member found
// past its deadline is removed as by LeaveGroup (its partitions are free at once, the group
// rebalances). No other goroutine is started per group or member.
//
// # Topics
//
// The term follows topic creations, deletions and re-creations on the metadata watch
// (store.Changes) and applies them to every group (group.SyncTopics): partitions of a deleted
// topic leave their members at once, its offsets are dropped, a subscribed topic's change
// rebalances the group. A Join, commit or AlterOffsets naming a topic the coordinator has not
// seen yet reads the topic's revision from etcd and, if it exists, waits (up to 5 s) for the watch
// to reach it, so a topic created just before is never reported missing.
//
// # Reads
//
// FetchOffsets of a group that does not exist returns no offsets (as Kafka's OffsetFetch does);
// DescribeGroup answers GROUP_ID_NOT_FOUND. Every call validates the group id first
// (INVALID_GROUP_ID).
//
// # Metrics
//
// runnel.group.rebalances (counter), runnel.group.members and runnel.group.groups (gauges, 0 on
// nodes that do not coordinate).
package coordinator
