// Package metatest is a test harness: a small in-process MetadataService gRPC server that
// implements only NodeSession and Watch over a state the test sets, so the storage service can
// be tested on its own with real gRPC on 127.0.0.1. The real metadata service (etcd, controller)
// is tested with storage in the e2e module.
//
// Watch sends a snapshot (reset = true) of the current state, then one message per change made
// through the Server methods, in order; a watcher that falls 1024 messages behind is cut off (its
// stream ends, as a real server would when a client is too slow). NodeSession records the
// registered node and counts heartbeats; EndSessions ends live session streams with an error of
// the test's choice (e.g. STALE_BROKER_EPOCH).
package metatest
