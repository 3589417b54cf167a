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
//   - GetClusterState is one read at one etcd revision.
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
//
// Errors of the etcd store that a retry may cure become BROKER_NOT_AVAILABLE; deadline and
// cancellation become REQUEST_TIMED_OUT (via rpcerr.ToStatus).
package api
