// Package consume is the gateway's read path for one partition: it fetches whole record batches
// from the partition leader (retrying on a leader change), decodes them and returns the records
// in [offset, high watermark), at most max_records of them.
//
// Decisions:
//   - offset unset: the partition's log start offset, asked from the leader first. A negative
//     offset, and one past the log end as the storage node reports it, is OFFSET_OUT_OF_RANGE
//     (REST 416).
//   - max_records: default 500, capped at 10000. max_wait_ms: capped at 30000; the storage node
//     long-polls. max_bytes: default 1 MiB, capped at 16 MiB; at least one whole batch comes back.
//     Negative values are INVALID_REQUEST.
//   - Records below the requested offset (the head of the first batch) are skipped; reading stops
//     at the high watermark and at max_records; a partial batch at the end of a fetch is ignored
//     (the next read gets it whole). A batch that fails to decode ends the read: the records
//     before it are returned, or CORRUPT_MESSAGE when there are none.
//   - A key or value that is valid UTF-8 comes back as key/value, any other as key_base64 /
//     value_base64; a null stays absent. Header values are strings: a value that is not valid
//     UTF-8 has its bad bytes replaced by U+FFFD, a null one becomes "", and of repeated header
//     keys the last wins.
//   - next_offset is the offset after the last record returned, or the requested offset when
//     none is.
//   - Retried (router.Do) for up to DefaultRetryTimeout (10 s) plus max_wait_ms, so a consumer of
//     an offline partition hears REQUEST_TIMED_OUT naming LEADER_NOT_AVAILABLE rather than hanging:
//     NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE, BROKER_NOT_AVAILABLE, FENCED_LEADER_EPOCH,
//     UNKNOWN_LEADER_EPOCH, KAFKA_STORAGE_ERROR and UNKNOWN_TOPIC_OR_PARTITION from a storage node
//     that has not learned the partition yet.
package consume
