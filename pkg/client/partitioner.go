package client

import "encoding/binary"

// murmur2 is Kafka's Utils.murmur2 (MurmurHash2, seed 0x9747b28c, little-endian 4-byte blocks),
// read as a Java int. It is the gateway's hash too, so the producer picks the partition the
// gateway (and a Kafka client) would.
func murmur2(data []byte) int32 {
	const (
		seed uint32 = 0x9747b28c
		m    uint32 = 0x5bd1e995
	)
	h := seed ^ uint32(len(data))
	for len(data) >= 4 {
		k := binary.LittleEndian.Uint32(data)
		k *= m
		k ^= k >> 24
		k *= m
		h = h*m ^ k
		data = data[4:]
	}
	switch len(data) {
	case 3:
		h ^= uint32(data[2])<<16 | uint32(data[1])<<8 | uint32(data[0])
		h *= m
	case 2:
		h ^= uint32(data[1])<<8 | uint32(data[0])
		h *= m
	case 1:
		h ^= uint32(data[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return int32(h)
}

// partitionForKey is Kafka's default partitioner for a keyed record:
// toPositive(murmur2(key)) % partitions, where toPositive clears the sign bit.
func partitionForKey(key []byte, partitions int32) int32 {
	return int32(uint32(murmur2(key))&0x7fffffff) % partitions
}
