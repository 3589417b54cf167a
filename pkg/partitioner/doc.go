// Package partitioner chooses a partition for a record the way Apache
// Kafka's producer does, so that a key lands on the same partition whether
// it is written through Runnel or through a Kafka client.
//
// Compatibility:
//
//   - Murmur2 is Kafka's org.apache.kafka.common.utils.Utils.murmur2, bit for
//     bit (MurmurHash2, seed 0x9747b28c, little-endian 4-byte blocks), with
//     the result read as a Java int. Tests pin Kafka's own UtilsTest vectors
//     and cross-check against franz-go's partitioner.
//   - ForKey is Kafka's default partitioner for a record with a key (the Java
//     client's BuiltInPartitioner.partitionForKey, DefaultPartitioner before
//     it, franz-go's StickyKeyPartitioner, librdkafka's murmur2_random):
//     (Murmur2(key) & 0x7fffffff) % partitions. An empty non-nil key is a
//     key; a nil key should not be hashed but spread, e.g. with RoundRobin.
//   - RoundRobin spreads records without a key over all partitions in turn,
//     as Kafka's RoundRobinPartitioner does. It is safe for concurrent use.
//
// A partition count below 1 has no valid answer: ForKey and RoundRobin.Next
// return -1 for it.
package partitioner
