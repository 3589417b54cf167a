// Package metacache is the gateway's view of the cluster: topics, partition states and live
// storage nodes, fed by the MetadataService Watch stream.
//
// Contract:
//   - Cache.Apply takes WatchResponse messages in stream order. A message with reset = true drops
//     everything known first; otherwise deleted topics (with their partitions) and deleted nodes
//     are removed, then topics, partition states and nodes are inserted or replaced. A topic
//     recreated under the same name (new topic id) drops the old topic's partition states.
//   - Stored messages are never mutated: a change replaces the pointer, so a caller may keep what
//     a lookup returned (and must not modify it).
//   - Every applied message closes the channel Changed returned before it, so a caller that saw a
//     stale leader can wait for the next change (WaitChange) instead of polling.
//   - Ready is closed once the first snapshot (reset) has been applied; a gateway serves only then.
//   - Watcher runs the stream: it dials every metadata address once, watches one, and on failure
//     moves on to the next address with a bounded backoff. Each new stream starts with a reset, so
//     the cache never merges two streams' states.
//   - Admin forwards topic creation and deletion to the metadata service, failing over to the next
//     address only on transport failures (never after the service answered).
//   - Conns.Coordinators gives a GroupCoordinatorService client per metadata address over the same
//     connections; package groups decides which one to call.
package metacache
