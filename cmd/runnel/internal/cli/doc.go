// Package cli is the `runnel` command line: the dev cluster (`runnel dev`), topic administration,
// produce, consume (alone or as a consumer-group member), consumer-group administration and bench. Every command but dev talks to the gateway's gRPC API
// (runnelv1.GatewayService) at --gateway, env RUNNEL_GATEWAY, default 127.0.0.1:9090.
//
// # Conventions
//
//   - Output meant for pipes (records, tables) goes to stdout; progress, summaries and errors to
//     stderr.
//   - Exit codes: 0 success (also when following consume is interrupted with Ctrl-C), 1 a failure
//     (an error from the gateway is printed as "NAME: message", the catalogue's name first; an
//     unreachable gateway as "cannot reach the gateway at ADDR: is `runnel dev` running?"; a
//     catalogue error is followed by a line "hint: …", the catalogue's advice), 2 a
//     usage error (bad flag, missing argument).
//
// # produce
//
// One record per line of stdin; the trailing "\n" (and a "\r" before it) is not part of the record;
// an empty line is a record with an empty value. With --key-separator SEP the bytes before the
// first SEP are the key and the rest the value; a line without SEP is a record without a key.
// Text that is not valid UTF-8 is sent as bytes (key_base64/value_base64). Records go in batches of
// at most 500 records or 1 MiB per Produce call, one call at a time so that the order of lines is
// kept; a batch is sent as soon as stdin has no further line ready, so interactive input is sent
// line by line. Failed records are counted per error name and reported on stderr with the exit
// code 1; a Produce call that fails as a whole (every record of the batch failed the same way, or
// the gateway is unreachable) ends the command.
//
// # consume
//
// --offset earliest (default: the log start offset), latest (the high watermark when consume
// starts) or N (an exact offset, for every partition read). Without --partition every partition of
// the topic is read, round-robin, one Consume call each; when a whole round found nothing the next
// calls long-poll (max_wait_ms) so that an idle topic costs about one call per partition per
// second. Without --max consume follows new records until interrupted; with --max N it stops after
// N records. --format text writes each record's value on its own line (nothing else: keys and
// headers are dropped, a binary value is written as is); --format json writes one JSON object per
// line: {"topic","partition","offset","timestamp" (RFC 3339, UTC, ms),"key","value","headers"},
// where key/value are null when absent and a binary (not UTF-8) key or value comes as
// key_base64/value_base64 with key/value null.
//
// # consume --group
//
// With --group G, consume is a member of consumer group G (GatewayService group RPCs): it joins
// (--session-timeout, --instance-id, --offset-reset, --assignor), heartbeats in a background
// goroutine at the interval the coordinator returns, and reads with FetchGroupRecords (the gateway
// starts each newly assigned partition at the committed offset, else per --offset-reset). After
// printing each batch it commits, per partition, the offset after the last printed record, with
// the member's newest generation. A new assignment is acted on between fetches: the read loop has
// then printed everything it fetched of the partitions it lost, so it commits them (a member may
// commit a revoked partition until it acknowledges the revocation), forgets them, and only then
// acknowledges the generation on the next heartbeat, which is sent at once; if that commit fails
// with a stale generation or a retriable error, the acknowledgement waits (at most 5 s) for the
// next heartbeat, so the next owner starts where this member stopped. A commit failing with
// ILLEGAL_GENERATION or PARTITION_NOT_ASSIGNED is otherwise left for the next batch. When the
// coordinator no longer knows the member (UNKNOWN_MEMBER_ID: its session expired) it joins again
// as a new member; FENCED_INSTANCE_ID ends it with exit code 1. On exit (--max reached, Ctrl-C,
// SIGTERM) it commits what it printed and leaves the group, except a static member (--instance-id),
// which stays until its session times out so that it can come back without a rebalance. Notices
// (joined, assignment changes, failures being retried) go to stderr. --partition and --offset
// cannot be combined with --group.
//
// # group
//
// group list | describe G | reset-offsets G | delete G; --format (-o) text or json (the gRPC
// response as protojson). describe prints the state, generation and assignor, one row per member
// (assigned and revoking partitions as "topic:0-2,5") and per partition TOPIC PARTITION
// CURRENT-OFFSET ("-" when none) LOG-END(HW) LAG OWNER, then the total lag. reset-offsets takes
// --topic T (repeatable) or --all-topics and exactly one of --to-earliest, --to-latest,
// --to-offset N, --to-datetime RFC3339 (or --to earliest|latest|N), and --dry-run.
package cli
