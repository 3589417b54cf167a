package record

import "encoding/binary"

// Kafka encodes record fields as zigzag varints (32-bit, at most 5 bytes)
// and varlongs (64-bit, at most 10 bytes), the same encoding as Go's
// binary.AppendVarint. The readers below are stricter than binary.Varint
// about width: a varint whose value does not fit in 32 bits is rejected.

// appendVarint appends v as a Kafka varint/varlong.
func appendVarint(dst []byte, v int64) []byte { return binary.AppendVarint(dst, v) }

// varintLen is the encoded size of v.
func varintLen(v int64) int {
	u := uint64(v<<1) ^ uint64(v>>63)
	n := 1
	for u >= 0x80 {
		u >>= 7
		n++
	}
	return n
}

// readVarint32 decodes a Kafka varint from b. It returns the value and the
// number of bytes read, or n <= 0 if b is truncated or the value exceeds 32
// bits.
func readVarint32(b []byte) (int32, int) {
	var u uint32
	for i := 0; i < 5; i++ {
		if i >= len(b) {
			return 0, 0
		}
		c := b[i]
		if i == 4 && c > 0x0f {
			return 0, -1
		}
		u |= uint32(c&0x7f) << (7 * i)
		if c < 0x80 {
			return int32(u>>1) ^ -int32(u&1), i + 1
		}
	}
	return 0, -1
}

// readVarint64 decodes a Kafka varlong from b, as readVarint32.
func readVarint64(b []byte) (int64, int) {
	v, n := binary.Varint(b)
	return v, n
}
