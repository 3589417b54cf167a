// Package assign holds the consumer-group assignors: pure, deterministic functions from a group's
// members (id and subscribed topics), the topics' partition counts and, for sticky, the previous
// target assignment, to a target assignment (member id → partitions).
//
// Every assignor sorts members by id and partitions by (topic, partition) first, so the same
// input gives the same output whatever the order of Input.Members. A member's topics that do not
// exist (absent from Input.Partitions or with 0 partitions) give it nothing. Every member of the
// input is a key of the output, with its partitions sorted (an empty slice when it has none), and
// every partition of a subscribed topic is assigned to exactly one member subscribed to it.
//
//   - range: per topic, its partitions are split into contiguous ranges over the members
//     subscribed to it, in member order; the first (partitions mod members) members get one more.
//   - roundrobin: every partition of every subscribed topic, in (topic, partition) order, is dealt
//     to the next member (cycling in member order) subscribed to its topic.
//   - sticky (the default): (1) every partition of the previous target whose owner is still a
//     member subscribed to its topic stays; (2) the remaining partitions go one by one, those with
//     the fewest eligible members first, to the least loaded eligible member (ties: lowest id);
//     (3) while some member has two or more partitions more than another member subscribed to
//     one of its partitions' topics, one such partition moves: to the least loaded member that
//     can take one (ties: lowest id), from the most loaded member that can give it one (ties:
//     highest id), the giver's greatest partition the taker is subscribed to. Counts then differ
//     by at most one among members with the same subscriptions, and only the partitions that
//     must move do: a member joining a balanced group of n members takes over about 1/(n+1) of
//     the partitions, a member leaving moves only its own.
package assign
