package record

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"sync"
)

// Header is a record header. Kafka forbids a null header key, so Key is a
// string; a nil Value is a null value.
type Header struct {
	Key   string
	Value []byte
}

// Record is one record of a batch.
type Record struct {
	Offset    int64 // absolute offset; set by Decode, ignored by Encode (record i gets BaseOffset+i)
	Timestamp int64 // unix milliseconds
	Key       []byte
	Value     []byte // nil is a null value (a tombstone)
	Headers   []Header
}

// EncodeOptions are the batch-level fields Encode writes.
//
// The producer fields follow Kafka's non-idempotent producer when left zero:
// if ProducerID is 0, the batch carries producer id -1, producer epoch -1 and
// base sequence -1 ("no producer"), whatever ProducerEpoch and BaseSequence
// say. Producer id 0 therefore cannot be expressed; any other ProducerID
// (including -1) writes the three fields as given.
type EncodeOptions struct {
	BaseOffset           int64
	PartitionLeaderEpoch int32
	Compression          Compression
	ProducerID           int64
	ProducerEpoch        int16
	BaseSequence         int32
	// LogAppendTime sets the timestamp-type attribute bit. Readers then
	// report MaxTimestamp, the largest record timestamp, as every record's
	// timestamp; see also SetLogAppendTime.
	LogAppendTime bool
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// checksum is the batch CRC: CRC-32C over the bytes from the attributes to
// the end of the batch.
func checksum(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// Encode appends one v2 batch holding recs to dst and returns the extended
// slice. Record i gets offset delta i and its timestamp as a delta from
// recs[0].Timestamp (Kafka's base timestamp); MaxTimestamp is the largest
// record timestamp. On error dst is returned with its original length.
//
// Errors: ErrNoRecords for an empty recs, ErrUnsupportedCompression,
// ErrTooLarge if the records exceed MaxRecordsBytes uncompressed or the batch
// exceeds MaxBatchBytes.
func Encode(dst []byte, recs []Record, opts EncodeOptions) ([]byte, error) {
	if len(recs) == 0 {
		return dst, ErrNoRecords
	}
	if !opts.Compression.Valid() {
		return dst, fmt.Errorf("%w: %d", ErrUnsupportedCompression, opts.Compression)
	}
	if int64(len(recs)) > math.MaxInt32 {
		return dst, fmt.Errorf("%w: %d records", ErrTooLarge, len(recs))
	}
	start := len(dst)
	first := recs[0].Timestamp
	maxTS := first
	for i := range recs {
		maxTS = max(maxTS, recs[i].Timestamp)
	}

	recordsSize, err := sizeRecords(recs, first)
	if err != nil {
		return dst, err
	}
	if opts.Compression == CompressionNone {
		dst = growSlice(dst, HeaderSize+recordsSize)
		dst = appendRecords(dst[:start+HeaderSize], recs, first)
	} else {
		bp := rawPool.Get().(*[]byte)
		raw := appendRecords(growSlice((*bp)[:0], recordsSize), recs, first)
		dst = growSlice(dst, HeaderSize)
		dst, err = compress(dst[:start+HeaderSize], raw, opts.Compression)
		if cap(raw) <= maxPooledScratch {
			*bp = raw[:0]
			rawPool.Put(bp)
		}
		if err != nil {
			return dst[:start], err
		}
	}
	size := len(dst) - start
	if size > MaxBatchBytes {
		return dst[:start], fmt.Errorf("%w: batch of %d bytes", ErrTooLarge, size)
	}

	b := dst[start:]
	pid, epoch, seq := opts.ProducerID, opts.ProducerEpoch, opts.BaseSequence
	if pid == 0 {
		pid, epoch, seq = -1, -1, -1
	}
	attrs := uint16(opts.Compression)
	if opts.LogAppendTime {
		attrs |= attrLogAppendTime
	}
	binary.BigEndian.PutUint64(b[offBaseOffset:], uint64(opts.BaseOffset))
	binary.BigEndian.PutUint32(b[offLength:], uint32(size-lengthOverhead))
	binary.BigEndian.PutUint32(b[offPartitionLeaderEpoch:], uint32(opts.PartitionLeaderEpoch))
	b[offMagic] = Magic
	binary.BigEndian.PutUint16(b[offAttributes:], attrs)
	binary.BigEndian.PutUint32(b[offLastOffsetDelta:], uint32(len(recs)-1))
	binary.BigEndian.PutUint64(b[offFirstTimestamp:], uint64(first))
	binary.BigEndian.PutUint64(b[offMaxTimestamp:], uint64(maxTS))
	binary.BigEndian.PutUint64(b[offProducerID:], uint64(pid))
	binary.BigEndian.PutUint16(b[offProducerEpoch:], uint16(epoch))
	binary.BigEndian.PutUint32(b[offBaseSequence:], uint32(seq))
	binary.BigEndian.PutUint32(b[offRecordCount:], uint32(len(recs)))
	binary.BigEndian.PutUint32(b[offCRC:], checksum(b[offAttributes:]))
	return dst, nil
}

// rawPool holds the buffers uncompressed records are built in before
// compression.
var rawPool = sync.Pool{New: func() any { b := make([]byte, 0, 32<<10); return &b }}

// sizeRecords returns the size of the uncompressed records section, or
// ErrTooLarge past MaxRecordsBytes.
func sizeRecords(recs []Record, first int64) (int, error) {
	total := 0
	for i := range recs {
		r := &recs[i]
		body, err := recordBodySize(r, int64(i), r.Timestamp-first)
		if err != nil {
			return 0, err
		}
		total += varintLen(int64(body)) + body
		if total > MaxRecordsBytes {
			return 0, fmt.Errorf("%w: records of more than %d bytes", ErrTooLarge, MaxRecordsBytes)
		}
	}
	return total, nil
}

// appendRecords appends the records section (uncompressed) to dst. The sizes
// were checked by sizeRecords.
func appendRecords(dst []byte, recs []Record, first int64) []byte {
	for i := range recs {
		r := &recs[i]
		body, _ := recordBodySize(r, int64(i), r.Timestamp-first)
		dst = appendVarint(dst, int64(body))
		dst = append(dst, 0) // attributes: unused
		dst = appendVarint(dst, r.Timestamp-first)
		dst = appendVarint(dst, int64(i))
		dst = appendBytes(dst, r.Key)
		dst = appendBytes(dst, r.Value)
		dst = appendVarint(dst, int64(len(r.Headers)))
		for j := range r.Headers {
			h := &r.Headers[j]
			dst = appendVarint(dst, int64(len(h.Key)))
			dst = append(dst, h.Key...)
			dst = appendBytes(dst, h.Value)
		}
	}
	return dst
}

// recordBodySize is the encoded size of a record after its length prefix.
func recordBodySize(r *Record, offsetDelta, tsDelta int64) (int, error) {
	n := int64(1 + varintLen(tsDelta) + varintLen(offsetDelta))
	n += bytesSize(r.Key) + bytesSize(r.Value) + int64(varintLen(int64(len(r.Headers))))
	for j := range r.Headers {
		h := &r.Headers[j]
		n += int64(varintLen(int64(len(h.Key)))+len(h.Key)) + bytesSize(h.Value)
	}
	if n > MaxRecordsBytes {
		return 0, fmt.Errorf("%w: record %d of %d bytes", ErrTooLarge, offsetDelta, n)
	}
	return int(n), nil
}

// bytesSize is the encoded size of a nullable byte string.
func bytesSize(b []byte) int64 {
	if b == nil {
		return 1
	}
	return int64(varintLen(int64(len(b))) + len(b))
}

// appendBytes appends a nullable byte string: a varint length (-1 for nil)
// and the bytes.
func appendBytes(dst, b []byte) []byte {
	if b == nil {
		return appendVarint(dst, -1)
	}
	dst = appendVarint(dst, int64(len(b)))
	return append(dst, b...)
}
