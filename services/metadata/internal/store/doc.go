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
//	/runnel/controller/{lease id, hex}       the controller election (etcd concurrency.Election on
//	                                         ControllerElection); value: the candidate's metadata
//	                                         node id; the oldest key (lowest create revision) is
//	                                         the controller
//
//	/runnel/groups/...                       the consumer-group coordinator's state (GroupsPrefix;
//	                                         its layout is in package coordinator's doc)
//
// Topic names cannot contain '/', so a topic's partition keys are exactly the keys under
// /runnel/partitions/{topic}/. Other parts (groups, the controller election) take their own
// sub-prefixes (/runnel/groups/, /runnel/controller/); the watch ignores them. ReadGroups reads
// the topics and every group key at one revision, for the coordinator taking over.
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
//     The key is overwritten in place, never deleted and put again, so a node that registers
//     again within its timeout is present throughout.
//   - ResumeSession puts a node key again under the node's existing lease, guarded by "the key is
//     attached to that lease", and renews the lease (a node reconnecting to another metadata node
//     keeps its session id).
//   - UpdatePartitions (the controller) writes up to MaxUpdates partition states in one
//     transaction guarded by the controller's election key (ErrFenced when it is gone), each in a
//     nested transaction guarded by that partition key's mod revision.
//   - CommitProposal (AlterPartition) writes one partition state guarded by the partition key's
//     mod revision, the proposer's node key being attached to its session lease, and the node keys
//     of the members it adds existing.
//
// # Reads and watch
//
// State (and Snapshot, which adds each partition's mod revision) reads topics, partitions, nodes
// and the controller id in one read-only transaction, so all are at one revision. Changes follows
// the same key range as Watch, decoded event by event with mod revisions, for the controller. Watch sends that state as a reset, then follows an etcd watch from the next revision,
// one message per etcd watch response; after a compaction or a broken watch it starts over with a
// fresh reset.
package store
