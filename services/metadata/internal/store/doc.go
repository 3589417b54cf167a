// Package store is the metadata service's state in etcd: the key layout, the transactions that
// change it, consistent snapshots and the watch that turns etcd events into metadata changes.
//
// # Key layout
//
// Every key lives under the prefix /runnel/. Values are protobuf messages of package runnel.v1
// (proto.Marshal, deterministic).
//
//	/runnel/topics/{topic}                   runnelv1.Topic
//	/runnel/partitions/{topic}/{partition}   runnelv1.PartitionState; {partition} in decimal,
//	                                         zero-padded to 5 digits (%05d), so etcd's key order
//	                                         is partition order below 100000
//	/runnel/nodes/{id}                       runnelv1.Node; {id} the storage node id in decimal;
//	                                         the key is attached to the node's session lease and
//	                                         vanishes when the lease ends
//
// Topic names cannot contain '/', so a topic's partition keys are exactly the keys under
// /runnel/partitions/{topic}/. Later parts (groups, controller election) take their own
// sub-prefixes (/runnel/groups/, /runnel/controller/); the watch ignores them.
//
// # Transactions
//
//   - CreateTopic writes the topic key and all its partition keys in one transaction guarded by
//     "the topic key does not exist" (create revision 0); otherwise nothing is written and
//     ErrTopicExists is returned.
//   - DeleteTopic deletes the topic key and its partition prefix in one transaction guarded by
//     "the topic key exists"; otherwise ErrTopicNotFound.
//   - PutNode puts a node key attached to a lease. A node registering again replaces the value and
//     moves the key to its new lease, so revoking or expiring the old lease no longer removes it.
//
// # Reads and watch
//
// State reads topics, partitions and nodes in one read-only transaction, so all three are at one
// revision. Watch sends that state as a reset, then follows an etcd watch from the next revision,
// one message per etcd watch response; after a compaction or a broken watch it starts over with a
// fresh reset.
package store
