// Package cli is the `runnel` command line: the dev cluster (`runnel dev`), topic administration,
// produce, consume and bench. Every command but dev talks to the gateway's gRPC API
// (runnelv1.GatewayService) at --gateway, env RUNNEL_GATEWAY, default 127.0.0.1:9090.
//
// # Conventions
//
//   - Output meant for pipes (records, tables) goes to stdout; progress, summaries and errors to
//     stderr.
//   - Exit codes: 0 success (also when following consume is interrupted with Ctrl-C), 1 a failure
//     (an error from the gateway is printed as "NAME: message", the catalogue's name first; an
//     unreachable gateway as "cannot reach the gateway at ADDR: is `runnel dev` running?"), 2 a
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
package cli
