// Package cluster is a storage node's local view of the metadata service's state: topics,
// partition states and live nodes, as carried by the MetadataService Watch stream.
//
// Contract:
//   - View.Apply takes WatchResponse messages in stream order. A message with reset = true drops
//     everything known first; otherwise deleted topics (with their partitions) and deleted nodes are
//     removed, then topics, partition states and nodes are inserted or replaced.
//   - The view stores the protobuf messages it is given and never mutates them; a change replaces
//     the stored pointer. Readers may therefore keep a *Topic or *PartitionState they got from the
//     view, as long as nobody else mutates the messages either.
//   - A View is not safe for concurrent use: one goroutine (the watch loop) owns it.
package cluster
