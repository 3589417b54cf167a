// Package api implements runnel.v1.MetadataService on top of the etcd store.
//
//   - CreateTopic validates in Kafka's order (name → INVALID_TOPIC_EXCEPTION, an existing name →
//     TOPIC_ALREADY_EXISTS, partitions → INVALID_PARTITIONS, replication factor against the live
//     storage nodes → INVALID_REPLICATION_FACTOR, configs → INVALID_CONFIG), assigns replicas
//     (package topic; leader = first replica, leader epoch 0, ISR = replicas, partition epoch 0,
//     a new random topic id) and writes everything in one guarded transaction; a concurrent
//     create of the same name loses with TOPIC_ALREADY_EXISTS and nothing partial is written.
//   - DeleteTopic removes the topic and its partition states in one transaction
//     (UNKNOWN_TOPIC_OR_PARTITION when there is no such topic).
//   - GetClusterState is one read at one etcd revision; controller_id is the value of the oldest
//     controller election key (the elected metadata node's id), "" while none is elected.
//   - Watch sends a reset snapshot and then changes (store.Watch); it ends when the client goes
//     away or the service is closed (BROKER_NOT_AVAILABLE: reconnect, to this or another node).
//   - NodeSession: the first request registers the node (id > 0 and grpc_addr required, else
//     INVALID_REQUEST) under a new etcd lease whose TTL is the session timeout (rounded up to whole
//     seconds, and at least etcd's minimum); the first response carries the lease id as session id
//     and the lease TTL as session timeout. Every later request is a heartbeat that renews the lease
//     and is answered. A clean close (the client half-closes) revokes the lease, deregistering the
//     node at once; a broken stream leaves the lease to expire, so the node is declared dead one
//     session timeout after its last heartbeat. A heartbeat after the lease expired ends the stream
//     with STALE_BROKER_EPOCH: the node must open a new session. Closing the service ends open
//     sessions without revoking their leases, so nodes can reconnect to another metadata node.
//     A node that reconnects without having restarted should set session_id in the first
//     message's node to the session it holds: when that lease is still alive and the node's key
//     is attached to it, the session is resumed (same session id, lease renewed, the key
//     overwritten in place). Otherwise it gets a new lease; the key is still overwritten in place,
//     never deleted, so a node that re-registers within its timeout stays registered throughout,
//     but the controller sees a new session id as a restart (package controller).
//   - AlterPartition applies a partition leader's ISR proposal, checked in Kafka's order:
//     the sender must have a live session with the given session_id (STALE_BROKER_EPOCH); the
//     partition must exist (UNKNOWN_TOPIC_OR_PARTITION); the leader epoch must be the current
//     one (FENCED_LEADER_EPOCH); the sender must be the leader (NOT_LEADER_OR_FOLLOWER); the
//     partition epoch must be the current one (INVALID_UPDATE_VERSION); the new ISR must include
//     the leader, name only replicas, none twice, and every member it adds must have a live
//     session (INVALID_REQUEST). The new state (ISR replaced, partition epoch + 1) is written in
//     an etcd transaction that compares the partition key's mod revision, the sender's key's
//     lease (its session) and the added members' keys; when that compare fails the proposal is
//     checked again on a fresh read (so a concurrent change answers with its precise error),
//     at most three times, then INVALID_UPDATE_VERSION. A proposal of the ISR the partition
//     already has (same members) writes nothing and answers the current state. Any metadata node
//     serves it; the answer is the partition state after the change.
//
// Errors of the etcd store that a retry may cure become BROKER_NOT_AVAILABLE; deadline and
// cancellation become REQUEST_TIMED_OUT (via rpcerr.ToStatus).
package api
