// Package controller is the metadata service's controller: one metadata node at a time keeps
// every partition's leader and in-sync replicas (ISR) consistent with the storage nodes that are
// alive.
//
// # Election
//
// Every metadata node campaigns in an etcd election on the prefix /runnel/controller, with a
// session lease of Config.SessionTTL (default 2s) kept alive by a concurrency.Session
// (go.etcd.io/etcd/client/v3/concurrency). The election is concurrency.Election's algorithm and
// key layout (a candidate key per lease; the oldest is the controller; each candidate waits for
// the next older one to go), written out so that a campaign abandoned at shutdown never blocks on
// a clean-up write that needs a quorum. The key's value is the node's id, which GetClusterState
// reports as controller_id. The elected node
// runs the reconcile loop below. It stops acting at once when its session is lost (the lease
// expired: it was cut off from the etcd quorum, or paused), then campaigns again. Every write it
// makes is an etcd transaction guarded by its election key (the key still exists with the
// revision it was created at), so a node that lost the role cannot change anything even before
// it notices. On shutdown it revokes its lease, so another node is elected at once; a crashed
// controller is replaced when its lease expires, about SessionTTL later (plus an etcd leader
// election if the crashed node was also the etcd leader; etcd extends leases by an election
// timeout when its leader changes).
//
// # Role
//
// Parts that act only on the controller (the consumer-group coordinator) follow Controller.Role:
// the role this node holds now (nil when none) and a channel closed at the next change. A Role
// carries the Guard every write in its name must carry (the same compare as the controller's own
// writes) and a Context that ends when the role is lost. A part whose guarded write failed calls
// Role.Fenced: the role ends at once and the controller campaigns again.
//
// # Reconcile loop
//
// On taking over, the controller reads topics, partitions and nodes at one revision, decides
// every partition, then follows an etcd watch from the next revision. After any node change
// (registered, deregistered or expired, or registered again with a new session) it decides every
// partition again; after a partition or topic change, those partitions. Decisions are made by
// Decide, a pure function of the partition state, the live nodes, the restarted nodes, the
// topic's unclean.leader.election.enable and whether a preferred-leader move is allowed now. A
// changed partition is written with its partition epoch + 1, and its leader epoch + 1 when the
// leader changes, in etcd transactions of up to 64 partitions, each partition in a nested
// transaction that compares its key's mod revision. A partition that changed meanwhile (an
// AlterPartition won the race) is not written; the watch brings its newer state, which is
// decided again. After a broken watch (compaction, lost etcd leader) the state is read again.
//
// # Rules
//
// A node is live while its key /runnel/nodes/{id} exists (its session lease is alive). A node is
// restarted when it registered again with a new session id while the controller watched: it may
// have lost what it had not written to disk, so until the partition has been decided once, it
// counts as dead for the ISR and for leadership except where nothing better is left (as Kafka's
// KIP-380 treats a bounced broker). A node that resumes its session (same session id) is not
// restarted. Decide applies, in order:
//
//	rule                       when                                         then
//	1 shrink the ISR           an ISR member is dead or restarted           it leaves the ISR, unless that
//	                                                                        empties it: then the live members
//	                                                                        stay, and if none is live the ISR
//	                                                                        is kept as it is (its members are
//	                                                                        the only clean leaders left)
//	2 clean election           leader is -1, dead, restarted or not in the  leader = first replica (replicas
//	                           ISR                                          order) that is live and in the ISR
//	                                                                        (a restarted leader that is the only
//	                                                                        choice leads again at a new epoch)
//	3 unclean election         rule 2 found none and the topic sets         leader = first live replica, ISR =
//	                           unclean.leader.election.enable=true          [leader]; logged as a warning: records
//	                                                                        acknowledged by the lost ISR may be
//	                                                                        gone
//	4 offline                  rules 2 and 3 found none                     leader = -1 (clients get
//	                                                                        LEADER_NOT_AVAILABLE); the ISR keeps
//	                                                                        its last members
//	5 preferred leader         the leader needs no election, automatic      leader = replicas[0]; ISR unchanged
//	                           rebalance is on, replicas[0] is live, not
//	                           restarted, in the ISR and not the leader,
//	                           and has been so for RebalanceDelay (1s)
//	-  epochs                  any change                                   partition_epoch + 1
//	                           the leader changes (or is re-elected after   leader_epoch + 1
//	                           a restart)
//
// The controller never adds a node to an ISR (except the single new leader of an unclean
// election): a returning node catches up as a follower and its partition leader proposes it back
// (AlterPartition). A node's restarts are tracked per partition until that partition has been
// decided with them; restarts that happen while no controller watches (during a controller
// failover) are not seen.
//
// The preferred-leader delay is a hysteresis, as Kafka's leader imbalance check interval: the
// controller records when it first saw a partition's preferred replica eligible and moves
// leadership once it has stayed eligible for RebalanceDelay (a timer wakes the loop then). A
// controller that takes over starts those clocks afresh.
//
// # Metrics
//
// runnel.metadata.controller (gauge: 1 on the controller, 0 elsewhere);
// runnel.controller.changes (counter of partition states the controller wrote, attribute reason:
// isr_shrink, election, unclean, offline, preferred, leader_restart);
// runnel.controller.leader_elections (counter of the leader changes among them, same attribute);
// runnel.controller.offline_partitions and runnel.controller.under_replicated_partitions (gauges:
// partitions with leader -1, and with an ISR smaller than their replicas, as the controller sees
// them; 0 on other nodes).
package controller
