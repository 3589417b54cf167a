// Package metatest is a test harness: a small in-process MetadataService gRPC server that
// implements NodeSession, Watch and AlterPartition over a state the test sets, so storage nodes
// (several in one test process) can be tested on their own with real gRPC on 127.0.0.1. The real metadata service (etcd, controller)
// is tested with storage in the e2e module.
//
// Watch sends a snapshot (reset = true) of the current state, then one message per change made
// through the Server methods, in order; a watcher that falls 1024 messages behind is cut off (its
// stream ends, as a real server would when a client is too slow). NodeSession records the
// registered node and counts heartbeats; EndSessions ends live session streams with an error of
// the test's choice (e.g. STALE_BROKER_EPOCH). AlterPartition is the controller's compare-and-swap
// on the partition epoch (see its doc): an accepted ISR change updates the state and is pushed
// to watchers; SetAlterHook lets a test refuse proposals, Alters lists those received. The test
// plays the rest of the controller (leader elections) with SetPartition.
package metatest
