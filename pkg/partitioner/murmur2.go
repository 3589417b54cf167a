package partitioner

import "encoding/binary"

// Murmur2 returns Kafka's murmur2 hash of data, as the signed 32-bit value
// Java's Utils.murmur2 returns.
func Murmur2(data []byte) int32 {
	const (
		seed uint32 = 0x9747b28c
		m    uint32 = 0x5bd1e995
		r           = 24
	)
	h := seed ^ uint32(len(data))
	for ; len(data) >= 4; data = data[4:] {
		k := binary.LittleEndian.Uint32(data)
		k *= m
		k ^= k >> r
		k *= m
		h = h*m ^ k
	}
	// The tail, as the C and Java switch with fall-through.
	switch len(data) {
	case 3:
		h ^= uint32(data[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(data[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(data[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return int32(h)
}

// ForKey returns the partition Kafka's default partitioner picks for a
// record with key among partitions partitions: the positive part of
// Murmur2(key) modulo partitions. It returns -1 if partitions < 1.
func ForKey(key []byte, partitions int) int {
	if partitions < 1 {
		return -1
	}
	return int(Murmur2(key)&0x7fffffff) % partitions
}
