// Package replica is the replica manager of a storage node: it hosts the partition replicas the
// metadata service assigns to the node, each a commitlog.Log in its own directory, and serves
// Append, Fetch and offset queries on the partitions the node leads.
//
// # Data dir
//
//	<data-dir>/node.json                  {"node_id": N}: a data dir belongs to one node id
//	<data-dir>/.lock                      flock held while a node runs on the dir
//	<data-dir>/<topic>-<partition>/       one partition replica: the commitlog files, plus
//	    partition.json                    {"topic", "partition", "topic_id"}: the topic incarnation
//	<data-dir>/<topic>-<partition>.deleting  a dir being deleted (removed at start)
//
// A partition dir whose partition.json names another topic id (the topic was deleted and created
// again under the same name) is deleted before the partition opens, so a recreated topic starts
// empty. Deletion renames the dir aside, fsyncs the data dir, then removes it.
//
// # Following the metadata view (Manager.Apply)
//
// Every watch message leads to Apply with the whole local view: partitions whose replicas include
// this node are opened and given their state; partitions of deleted topics, of recreated topics
// and replicas moved elsewhere are closed and deleted; after a snapshot (reset) unhosted dirs of
// topics that no longer exist are deleted. A state with a lower leader epoch (or the same leader
// epoch and a lower partition epoch) than the one applied is ignored. Topic configs
// (segment.bytes, segment.ms, retention.ms, retention.bytes, max.message.bytes,
// min.insync.replicas, replica.lag.time.max.ms) apply on every message; a change of the log's
// options reopens the log.
//
// # Leader
//
// The node leads a partition when PartitionState.leader is its id; it then appends with the
// state's leader epoch. The high watermark is the smallest log end offset among the ISR
// members: this node's durable log end (what Append has returned, so under fsync=always only
// fsynced batches count) and, for every other ISR member, the log end offset it reported (the
// followers map, filled by replication; until a member has reported in the current leadership
// term the high watermark does not move). It never moves back on the leader. It is restored
// from the log's checkpoint at open (clamped to the log) and checkpointed every
// CheckpointInterval and at close. Every change of the high watermark or of the partition
// state closes and replaces a channel, which wakes long-polling fetches and acks=all appends.
//
// # Requests
//
// Append, Fetch and Offsets return *rpcerr.Error values with Kafka's names: the partition checks
// come first (UNKNOWN_TOPIC_OR_PARTITION from the Manager; then FENCED_LEADER_EPOCH /
// UNKNOWN_LEADER_EPOCH when the sender's epoch is set and differs, then NOT_LEADER_OR_FOLLOWER),
// then the batch checks (MESSAGE_TOO_LARGE above max.message.bytes, CORRUPT_MESSAGE when
// record.Validate fails, NOT_ENOUGH_REPLICAS for acks=all with fewer ISR members than
// min.insync.replicas); a failed check writes nothing. acks=all then waits for the high
// watermark to pass the batch: REQUEST_TIMED_OUT after the timeout,
// NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR falls below min.insync.replicas, and
// NOT_LEADER_OR_FOLLOWER when the leadership (epoch) changes meanwhile. Disk failures are
// KAFKA_STORAGE_ERROR. Fetch serves whole batches below the high watermark only; offsets outside
// [log start, high watermark] are OFFSET_OUT_OF_RANGE.
//
// Manager.Drain (called when the node begins to shut down) ends every wait at once: long polls
// answer with no records, acks=all appends still waiting answer NOT_LEADER_OR_FOLLOWER. The number
// of waiting requests is a gauge (runnel.storage.requests.waiting), Kafka's purgatory size.
//
// # Replication (the partition side; the streams are package internal/replication)
//
// Leader: ObserveFollower takes a follower's position under the partition's lock: the
// leadership and epoch checks, the divergence check (checkPosition: the leader's end offset of
// the follower's last epoch, KIP-279/KIP-320, with the leader's own epoch starting at its log end
// while it has written nothing in it), OFFSET_OUT_OF_RANGE below the log start; then the
// follower's log end is recorded in the followers map (only for the current leadership term: a
// new term clears it, so a position sent under an older epoch never counts) with its
// lastCaughtUp time, and the high watermark recomputed. ReadForFollower and WatchForFollower
// serve whole batches up to the log end and the channels to wait on. CheckISR proposes the ISR
// the leader wants (nextISR: out after replica.lag.time.max.ms behind, back in at the high
// watermark and the term's start offset); ApplyState takes an accepted change ahead of the
// watch. Health feeds the replication gauges.
//
// Follower: a partition led elsewhere is hosted with its leader and epoch recorded; the fetcher
// reads FollowerPosition and writes the leader's answers with AppendFromLeader (AppendReplica:
// every batch validated, nothing written on a CRC failure; then the high watermark becomes
// min(leader's, log end)), TruncateDiverged (truncationPoint) and ResetToLeaderStart. Each
// checks, under the lock, that the node still follows that leader in that epoch
// (ErrNotFollower otherwise), so an answer to an older role is never written.
//
// # Telemetry
//
// Metrics (instruments built once per Manager): runnel.storage.append.records/bytes {topic},
// runnel.storage.append.latency {acks}, runnel.storage.log.append.latency {fsync} (the log write;
// under fsync=always the wait for the fsync covering the batch), runnel.storage.fetch.records/bytes
// {topic}, and the gauges runnel.storage.partitions {role} and runnel.storage.requests.waiting
// {kind}. Spans (Config.Tracer, nil when tracing is off): an Append whose context holds a recorded
// span gets the children log.append and, for acks=all, isr.wait; otherwise no span is started.
// (A separate fsync span needs the commit log to report its fsyncs; see the storage README.)
package replica
