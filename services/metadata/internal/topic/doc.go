// Package topic holds the rules a new topic must pass and the replica assignment it gets.
//
// Validation follows Kafka's CreateTopics rules and reports the catalogue code a user sees:
//
//   - Name: 1–249 characters of [a-zA-Z0-9._-], not "." or ".." → INVALID_TOPIC_EXCEPTION.
//     (Kafka also warns when names differ only in '.' versus '_'; Runnel does not.)
//   - Partitions: 1..max (the metadata node's --max-partitions) → INVALID_PARTITIONS.
//   - Replication factor: 1..live storage nodes → INVALID_REPLICATION_FACTOR.
//   - Configs: Kafka's names and value rules (see Configs); an unknown name or a bad value →
//     INVALID_CONFIG naming the key. Every known config missing from the request gets its
//     default, so a stored topic always lists its effective configs. Values are stored in a
//     canonical form (trimmed, numbers in decimal, booleans lowercase).
//
// Assignment (Assign) spreads replicas the way Kafka's rack-unaware assignment does: node ids are
// sorted; partition p's first replica is node (start+p) mod n, and its followers are placed at a
// shift from it that grows by one every n partitions, so leaders are spread evenly and followers
// do not always pair with the same leader. Kafka draws start and shift at random; Runnel derives
// both from an FNV-1a hash of the topic name, so an assignment is reproducible from its inputs yet
// different topics start on different nodes. The replicas of a partition are always distinct; the
// first one is the preferred leader.
package topic
