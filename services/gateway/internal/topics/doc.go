// Package topics serves the gateway's topic administration and description: CreateTopic and
// DeleteTopic are forwarded to the metadata service; ListTopics comes from the metadata cache;
// GetTopic and ListOffsets merge the cache's partition states with the offsets each partition
// leader reports (ListPartitionOffsets, one call per leader for all its partitions).
//
// Decisions:
//   - After CreateTopic the gateway waits (up to WaitTimeout) until its cache holds the new topic
//     and all its partition states, so a produce right after the answer finds the topic. The
//     answer is the topic as GetTopic shows it, with offsets 0 (the log is new); when the cache
//     does not catch up in time it is built from the metadata service's answer.
//   - After DeleteTopic the gateway waits (up to WaitTimeout) until the topic has left its cache.
//   - Offsets are asked with retries on leader changes, for up to OffsetsTimeout (ListOffsets) or
//     DescribeTimeout (GetTopic, which should stay quick during an outage: it does not wait for a
//     partition that has no leader), and always a little before the caller's deadline so the
//     answer names the real failure. ListOffsets fails
//     with the error of a partition that could not be read (e.g. LEADER_NOT_AVAILABLE); GetTopic
//     still answers and shows log_start_offset and high_watermark -1 for such a partition, so a
//     topic can be described while a partition is offline.
//   - ListTopics is sorted by name.
package topics
