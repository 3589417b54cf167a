// Package commitlog is the log of one partition replica: a segmented,
// append-only sequence of whole Kafka RecordBatch v2 batches (package
// record), stored byte for byte as given. Only the leader changes two header
// fields, both outside the batch CRC: the base offset (Append assigns the log
// end offset) and the partition leader epoch.
//
// # Contract
//
//   - Offsets are dense and contiguous: every batch starts where the previous
//     one ended. Append assigns them (leader); AppendReplica requires them
//     (follower: the first base offset must equal LogEndOffset, or
//     ErrOffsetMismatch).
//   - Every batch is validated (record.Validate: framing, CRC-32C, dense
//     record count) before it is written, and every batch recovered from disk
//     after an unclean stop is validated again before it is served. Bytes
//     that failed a CRC are never served.
//   - Durability follows the FsyncPolicy. FsyncAlways (the default): Append
//     and AppendReplica return only after an fsync that covers the batch;
//     concurrent appenders share fsyncs (group commit: while one fsync runs,
//     later appends queue, and one following fsync covers all of them).
//     FsyncInterval: a goroutine owned by the Log fsyncs every Interval; a
//     power loss can lose up to one interval of acknowledged appends.
//     FsyncNever: the OS decides; Sync and Close fsync. With Interval and
//     Never a process crash loses nothing (the page cache survives it), a
//     power loss can lose the unsynced tail, which recovery truncates.
//   - Reads run concurrently with appends and never take the append lock.
//     They see only batches that are completely written (LogEndOffset moves
//     after the write), and never more than the caller's limit (the high
//     watermark for consumers, LogEndOffset for replication).
//   - Truncate, DeleteBefore, ApplyRetention and Reset change segment files;
//     they exclude readers while they do. They may run concurrently with
//     appends (they serialise on the append lock), but a follower is expected
//     to truncate between, not during, its appends.
//   - Append modifies the caller's batch in place (base offset and leader
//     epoch) and does not retain it. Read returns a new slice; ReadAppend
//     appends to a caller's buffer (pool them on hot paths).
//   - Changed returns a channel closed at the next change of the log end:
//     replication and long-polling fetches wait on it instead of polling.
//     DurableEndOffset is the end of the fsynced prefix, for a leader that
//     counts its own log toward the high watermark.
//   - OffsetForTimestampBelow (Kafka ListOffsets by time) is record-precise:
//     the offset of the first record at or after a timestamp, below a limit
//     (the high watermark), else the limit. Timestamps need not be ordered.
//   - Reset (Kafka's truncateFullyAndStartAt) discards the log and restarts
//     it empty at an offset, for a follower that fell below the leader's log
//     start.
//
// # Directory layout (on-disk format)
//
// A Log owns one directory. All integers are big endian.
//
//	00000000000000000000.log        segment: batches, concatenated
//	00000000000000000000.index      sparse offset index of that segment
//	00000000000000000000.timeindex  time index of that segment
//	leader-epoch-checkpoint         leader epoch -> start offset
//	high-watermark-checkpoint       last checkpointed high watermark
//	recovery-point-checkpoint       segments below it are known fsynced
//	*.tmp                           a checkpoint being replaced; removed at Open
//
// A segment file is named after the base offset of its first batch, in 20
// decimal digits, and holds whole v2 batches back to back, nothing else.
// Segments are contiguous: a segment's next offset is the next segment's
// base. The last segment is the active one; appends go to it, and it rolls
// (a new segment starts at the log end offset) when the next batch would
// take it past Options.SegmentBytes, when its first batch is older than
// Options.SegmentAge, or when a relative offset would no longer fit 32 bits.
// A batch larger than SegmentBytes gets a segment of its own.
//
// The offset index (.index) is a sequence of 8-byte entries
//
//	relative offset uint32   batch base offset - segment base offset
//	position        uint32   byte position of that batch in the .log file
//
// strictly increasing in both fields. While writing, a batch gets an entry
// when it starts at least IndexIntervalBytes after the previous entry (or
// after position 0, which needs none). A lookup takes the last entry at or
// below the wanted offset, then reads batch headers forward until it meets
// the batch that contains the offset.
//
// The time index (.timeindex) is a sequence of 12-byte entries
//
//	timestamp       int64    running maximum of batch MaxTimestamp (ms)
//	relative offset uint32   the batch where that maximum was reached
//
// strictly increasing in both fields. A batch gets an entry when it raises
// the running maximum and starts at least IndexIntervalBytes after the
// previous time entry; when a segment is sealed (rolled), a final entry
// records the segment's maximum timestamp if the last entry does not already.
// So the last entry of a sealed segment's time index is its max timestamp,
// which retention by age uses. Timestamps of -1 (none) are never indexed.
//
// The index files of the active segment live in memory and are written when
// the segment is sealed; a sealed segment's index files are loaded when first
// needed (at most two sealed segments per log stay loaded) and checked (sizes, strict order, bounds, the last offset entry
// matches the batch header at its position, and no batch after the last
// entry starts IndexIntervalBytes or more beyond it). A missing, short or
// damaged index is rebuilt from the .log file and rewritten.
//
// Checkpoint files are text, one value per line, first line the format
// version 0:
//
//	leader-epoch-checkpoint:   0, entry count, then "epoch startOffset" lines
//	high-watermark-checkpoint: 0, then the offset
//	recovery-point-checkpoint: 0, then the offset
//
// They are replaced crash-safely: write name.tmp, fsync it, rename it over
// name, fsync the directory.
//
// # Recovery (Open)
//
// Open lists the segments, removes *.tmp files and index files without a
// segment, and reads the recovery point: every segment below it was fsynced
// whole (sealed under FsyncAlways, or covered by a later Sync) and is trusted.
// The active segment and every segment at or above the recovery point is
// validated batch by batch (length, magic, CRC, dense count, contiguous
// offsets). At the first invalid or torn batch the segment is truncated
// there, and later segments are deleted: the log is the longest valid prefix.
// The active segment's indexes are rebuilt from that scan; the leader-epoch
// cache drops entries at or above the recovered log end offset and learns
// epochs from the validated batches (or is rebuilt from all batch headers
// when its checkpoint is missing or unreadable).
//
// # Leader epochs
//
// The epoch cache maps each leader epoch to the first offset written in it
// (Kafka KIP-101/KIP-279). Append and AppendReplica add an entry when a batch
// carries an epoch above the latest; Truncate drops entries at or after the
// truncation point; DeleteBefore moves the first entry's start up to the new
// log start offset. EndOffsetForEpoch answers Kafka's OffsetsForLeaderEpoch.
//
// # Logging
//
// The Log logs recovery actions (truncated tails, rebuilt indexes, deleted
// segments) on Options.Logger with keys dir, segment, offset, bytes; callers
// pass a logger that already carries topic and partition.
package commitlog
