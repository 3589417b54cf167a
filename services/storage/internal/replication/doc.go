// Package replication copies partition logs from leaders to followers between storage nodes and
// keeps the ISR of the partitions a node leads up to date with the metadata service.
//
// It has three parts, each owned and stopped by the storage server:
//
//   - Leader serves the StorageService.Replicate streams that followers open to this node;
//   - Fetcher opens the streams from this node to the leaders of the partitions it follows and
//     writes what they send;
//   - ISR proposes ISR shrinks and expansions of the partitions this node leads
//     (MetadataService.AlterPartition).
//
// The per-partition decisions (divergence, high watermark, ISR membership, follower truncation)
// are made by package replica under the partition's lock; this package moves the messages.
//
// # The protocol (the contract between follower and leader)
//
// One long-lived bidirectional Replicate stream per (follower node, leader node) pair, opened by
// the follower, carries every partition the follower follows on that leader.
//
// Follower → leader: ReplicateRequest{follower_id, positions, removed}. follower_id is the same
// on every message of a stream. The first message holds the position of every partition the
// follower follows on that leader; later ones hold the positions that changed and the partitions
// it stopped following (removed). A position is {topic, partition, leader_epoch: the epoch the
// follower knows from metadata, fetch_offset: its log end offset, last_fetched_epoch: the epoch
// of its last batch or -1}. Under fsync=always a position is sent only once the batches below
// fetch_offset are fsynced, so the high watermark counts durable data only.
//
// Leader → follower: ReplicateResponse{partitions: ReplicaData...}. For each position the
// leader checks, in order (replica.Partition.ObserveFollower):
//
//  1. it hosts and leads the partition, in the follower's epoch: position.leader_epoch below the
//     leader's is FENCED_LEADER_EPOCH, above it UNKNOWN_LEADER_EPOCH, a partition not led here
//     (or a sender that is not one of its replicas) NOT_LEADER_OR_FOLLOWER;
//  2. divergence (KIP-101/KIP-279/KIP-320): when last_fetched_epoch >= 0, with (e, end) the
//     leader's end offset of that epoch (OffsetsForLeaderEpoch, where the leader's own current
//     epoch starts at its log end when it has written nothing in it yet), the logs diverged if
//     e != last_fetched_epoch or end < fetch_offset: the answer is diverging_epoch{e, end} and
//     no records;
//  3. fetch_offset below the leader's log start: OFFSET_OUT_OF_RANGE with log_start_offset;
//  4. fetch_offset above the leader's log end (a follower with no epoch to compare):
//     diverging_epoch{-1, leader log end}.
//
// Otherwise the position counts: the leader records the follower's log end = fetch_offset (for
// the high watermark and for ISR membership), recomputes the high watermark (the smallest log
// end offset of the ISR members, the leader's own counting only once durable), and answers with
// whole batches from fetch_offset (up to MaxBytes per partition, at least one whole batch, up to
// its log end, not just the high watermark) with high_watermark, log_start_offset and
// log_end_offset. Errors travel in ReplicaData.error (the catalogue name) and message;
// ReplicaData.leader_epoch is the leader's epoch (as it knows it) in every answer.
//
// When a position has nothing new to read, the leader does not answer it until there is
// something: it waits on the log's end (commitlog.Log.Changed) and on the partition's high
// watermark and state, and pushes as soon as batches are appended (records) or the high
// watermark or log start moves (an answer without records) — no polling interval. Records
// answer one position: after sending them the leader sends that partition's next records only
// when the follower reports its next position (one round trip per MaxBytes per partition; no
// per-partition pipelining), but high watermark updates are pushed whenever it moves. The
// stream's goroutine stops when the stream ends or the node drains; a partition whose
// leadership ends is answered with its error and forgotten.
//
// The follower (Fetcher), per partition it follows (leader L at epoch E from the metadata watch):
//
//   - on becoming a follower it does not truncate to its high watermark: it sends its position
//     and lets the epoch check decide;
//   - records: AppendReplica (every batch is validated; a batch failing its CRC is never written
//     and the whole answer is refused: the follower logs it and asks again after a backoff), then
//     its high watermark = min(leader high watermark, its log end) (it never moves back except
//     by truncation), then it sends its new position at once; records that do not start at its
//     log end answer an older position and are dropped;
//   - diverging_epoch{e, end}: it truncates (replica.truncationPoint: to the smaller of end and
//     its own end of epoch e, or to its own end of its largest epoch below e when it does not
//     have e, or to its high watermark when end is -1; below its log start it restarts the log
//     empty there) and sends its position again;
//   - OFFSET_OUT_OF_RANGE with its log end below the leader's log start: it restarts its log
//     empty at the leader's log start (Kafka's truncateFullyAndStartAt) and sends its position;
//   - FENCED_LEADER_EPOCH (the leader is ahead): it waits for newer metadata, then sends the
//     position with the new epoch; UNKNOWN_LEADER_EPOCH, NOT_LEADER_OR_FOLLOWER and other errors:
//     it sends the position again after a backoff (bounded, MinBackoff to MaxBackoff); answers
//     whose leader_epoch does not match the epoch the follower knows are dropped;
//   - when the stream breaks it reconnects after a backoff, to the leader's current address per
//     metadata, and sends every position again. A stream to a node that no longer leads any of
//     its partitions is closed (partitions moved to another leader are listed in removed first).
//
// # ISR (leader side)
//
// Every leader tracks, per follower, its reported log end and lastCaughtUp, the last time the
// follower's log end reached the leader's (at a position, or at the previous position's time when
// the follower reached the leader's end of then, as Kafka does; a follower found at the leader's
// end by a check is caught up at that time). ISR checks every half of the smallest
// replica.lag.time.max.ms of the partitions it leads (the topic's config; a follower's position
// that makes it eligible to rejoin triggers a check at once): an ISR member whose log end is
// below the leader's and has not been caught up for longer than the lag time is proposed out; a
// replica outside the ISR whose log end is at or above the high watermark and the start of the
// leader's current term is proposed in (replica.nextISR).
//
// A proposal is MetadataService.AlterPartition{node_id, session_id, topic, partition,
// leader_epoch, partition_epoch, new_isr} sent to a metadata node (failing over between the
// addresses). Only the accepted result counts: it is applied to the partition (the watch delivers
// it too). INVALID_UPDATE_VERSION, FENCED_LEADER_EPOCH and other refusals drop the proposal until
// the partition's state changes (newer metadata), or for RefusedHold at most (a refusal newer
// metadata does not lift, such as adding a follower whose session is not registered yet); a
// failure to reach a metadata node is retried at the next check. At most one proposal per
// partition is in flight.
//
// acks=all, NOT_ENOUGH_REPLICAS and NOT_ENOUGH_REPLICAS_AFTER_APPEND follow from the high
// watermark and the ISR (package replica). A leader that was paused past its session timeout
// counts no position sent under a newer epoch (UNKNOWN_LEADER_EPOCH), its ISR proposals are
// refused, and when the watch delivers the new epoch it steps down and fails its waiting writes
// with NOT_LEADER_OR_FOLLOWER.
//
// # Metrics
//
// runnel.storage.under_replicated_partitions (gauge: led partitions whose ISR is smaller than
// their replicas), runnel.storage.isr.shrinks and runnel.storage.isr.expands (counters of
// accepted changes), runnel.storage.replication.lag (gauge: the largest follower lag, in offsets,
// over the led partitions).
//
// # Tracing
//
// With FetcherConfig.Tracer set, the follower reads the traceparent header of the first record of
// the first batch of each answer with records (firstTraceparent: the batch header and that one
// record's fields, no copy; compressed batches are skipped) and, when it is a sampled context,
// makes a replicate.apply span around AppendFromLeader: a child of that produce, so it is in the
// produce's trace and sampled with it, with a span link to the same context. Answers without one
// make no span. The Replicate stream itself is not traced (telemetry.LongLivedMethods).
package replication
