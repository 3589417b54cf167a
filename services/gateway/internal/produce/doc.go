// Package produce is the gateway's write path: it validates a Produce request, picks each record's
// partition, batches records per partition across concurrent requests, sends each batch to the
// partition leader with retries, and maps the outcome back to one result per record.
//
// Decisions:
//   - Whole-request validation: acks, the topic, every record (key and key_base64 not both, value
//     and value_base64 not both, an explicit partition in range, a timestamp not negative, a size
//     within the topic's max.message.bytes) and the timeout are checked before any record is
//     queued. A request that fails validation writes nothing and fails as a whole with that error
//     (UNKNOWN_TOPIC_OR_PARTITION, INVALID_REQUEST, INVALID_REQUIRED_ACKS, MESSAGE_TOO_LARGE).
//   - Partition: an explicit partition wins; else a record with a key (even an empty one) goes to
//     partitioner.ForKey (Kafka's murmur2); else round-robin with one counter per topic.
//   - Batching key: (topic, partition, acks). Requests with different acks never share a batch, so
//     a batch is sent with exactly the acks its records asked for. A batch closes when adding a
//     record would pass min(MaxBatchBytes, the topic's max.message.bytes) or when Linger has passed
//     since its first record (Linger 0: at once). One batch per key is in flight at a time, which
//     keeps the records of a partition in order across retries; records that arrive meanwhile wait
//     and closed batches are merged (up to the size cap) when the sender is free, so concurrent
//     requests share Appends even without a linger. Each batch is encoded once (record.Encode) and
//     record i gets offset base_offset + i.
//   - Retries: NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE, BROKER_NOT_AVAILABLE (connection
//     failures), FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH, UNKNOWN_TOPIC_OR_PARTITION from a storage
//     node that has not learned the partition yet, KAFKA_STORAGE_ERROR, REQUEST_TIMED_OUT and
//     NOT_ENOUGH_REPLICAS are retried after a metadata change or a short backoff (router.Do) until
//     the delivery deadline: the request's timeout_ms, else the configured DeliveryTimeout. A batch
//     shared by several requests uses the earliest of their deadlines, so a record is never written
//     by a retry after its own request was answered with an error. When the deadline passes while the leader still answers NOT_ENOUGH_REPLICAS or the
//     partition has no leader (LEADER_NOT_AVAILABLE), that is the error reported; otherwise
//     REQUEST_TIMED_OUT naming the last error. Retried appends are at-least-once: a write that timed
//     out may already be in the log, and a retry can store it twice (there is no idempotent
//     producer yet). NOT_ENOUGH_REPLICAS_AFTER_APPEND and every other error are final: retrying them
//     could duplicate records or cannot help. A batch still queued when its deadline passes is
//     failed with REQUEST_TIMED_OUT without being sent.
//   - acks=0: the answer comes once the records are validated and queued; results carry the
//     partition only, and the outcome of the send is only logged.
//   - Response: one result per record in request order, with an offset or an error (catalogue name
//     and message). When every record failed with the same error, the call fails with that error.
//   - Tracing (Config.Tracer; nil when tracing is off, then none of this happens): when the
//     request's span is recorded (sampled), every record without a "traceparent" header gets the
//     request span's traceparent (added before validation, so it counts in the size checks).
//     Each batch sent makes a produce.send span, a child of the first sampled request with records
//     in it (of the first request when none is sampled, so an unsampled trace stays unsampled at
//     the storage nodes) with span links to the other sampled requests (each once, at most
//     telemetry.MaxLinks, the rest counted in runnel.links.dropped). Batches are shared by
//     requests, so one parent and links is the honest shape: the first request's trace shows the
//     whole send, the others point to it.
package produce
