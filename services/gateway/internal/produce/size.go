package produce

import (
	"strconv"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/record"
)

// DefaultMaxMessageBytes is Kafka's default max.message.bytes, used when a topic does not set it.
const DefaultMaxMessageBytes = 1048588

// maxMessageBytes is the largest batch the topic accepts.
func maxMessageBytes(t *runnelv1.Topic) int {
	if s, ok := t.GetConfigs()["max.message.bytes"]; ok {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			return n
		}
	}
	return DefaultMaxMessageBytes
}

// varintSize is the length of v as a zigzag varint.
func varintSize(v int64) int {
	u := uint64(v<<1) ^ uint64(v>>63)
	n := 1
	for u >= 0x80 {
		u >>= 7
		n++
	}
	return n
}

func bytesSize(b []byte) int {
	if b == nil {
		return varintSize(-1)
	}
	return varintSize(int64(len(b))) + len(b)
}

// bodySize is the encoded size of a record after its length prefix, given the sizes of its
// timestamp and offset deltas.
func bodySize(r *record.Record, tsDeltaSize, offDeltaSize int) int {
	n := 1 + tsDeltaSize + offDeltaSize + bytesSize(r.Key) + bytesSize(r.Value) + varintSize(int64(len(r.Headers)))
	for _, h := range r.Headers {
		n += varintSize(int64(len(h.Key))) + len(h.Key) + bytesSize(h.Value)
	}
	return n
}

// singleBatchSize is the exact size of a batch holding r alone (both deltas 0), which Kafka
// compares with max.message.bytes.
func singleBatchSize(r *record.Record) int {
	b := bodySize(r, 1, 1)
	return record.HeaderSize + varintSize(int64(b)) + b
}

// batchShare bounds the bytes r adds to any batch: deltas and length prefix at their largest.
func batchShare(r *record.Record) int {
	return bodySize(r, 10, 5) + 5
}
