// Package logoffsets asks partition leaders for the log bounds of many partitions at once (log
// start offset, high watermark, and optionally the first offset at or after a timestamp): one
// ListPartitionOffsets call per leader for all its partitions, in rounds. Partitions that failed
// with a retriable error (a leader change, a storage node that has not learned the partition yet)
// are asked again after a metadata change or a backoff, until the timeout or shortly before the
// caller's deadline, so the caller still gets an answer naming the real failure. A partition the
// metadata cache does not hold is not retried; one without a leader is waited for only with
// WaitLeaders.
//
// Topics (GetTopic, ListOffsets) and consumer groups (commit validation, lag, reset offsets,
// group reads) share it.
package logoffsets
