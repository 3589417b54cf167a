// Package checker drives a produce/consume workload against a Runnel cluster through its REST API
// while a test injects faults, records what the cluster promised, and afterwards checks that the
// promises were kept.
//
// # Contract
//
//   - Start runs Config.Producers producer goroutines and, when Config.Partitions > 0, one consumer
//     goroutine per partition, all bounded in count (MaxRequests, MaxPolls) and in time (they end
//     when Stop is called or the test ends; Start registers Stop with t.Cleanup).
//   - A producer sends requests of RecordsPerRequest keyed records, one request at a time, with
//     Config.Acks (default "all") and Config.TimeoutMs. Record values are unique:
//     "w<producer>-<seq>" with a per-producer sequence number increasing by one per record; keys are
//     "k<producer>-<seq mod Keys>". Every record the gateway answered with an offset is an Ack in
//     the History (partition, offset, producer, seq, time); every failure is counted by error name.
//   - A consumer long-polls its partition from offset 0 and records every record it read as an
//     Observation together with the high watermark of the answer that carried it. Reading at or above
//     that high watermark, or an offset below one already read, is a violation at once.
//   - History.Verify(final) checks the History against the final content of the partitions (read
//     after the faults are healed) and reports a violation for: an acknowledged record missing, or
//     found at another offset than acknowledged; a producer's acknowledged records within one
//     partition not in increasing offset order of their sequence numbers; a consumer that read at or
//     above the high watermark it was given, or read below it a record the final log does not hold
//     at that offset (it read something that was never committed); a workload value in the log that
//     no producer sent; offsets that are not contiguous. A value present more than once (an
//     unacknowledged attempt retried by the gateway, at-least-once) is counted, not a violation.
//   - ReadLog reads a replica's partition directory from disk (segments "%020d.log" in name order,
//     whole RecordBatch v2 batches back to back; a torn last batch of the last segment is the end of
//     the log). CompareReplicas compares replicas byte for byte for every batch below a high
//     watermark: each must hold the whole range [log start, high watermark) in contiguous,
//     CRC-valid batches with the same bytes as the others.
package checker
