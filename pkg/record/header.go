package record

import (
	"encoding/binary"
	"fmt"
)

// HeaderSize is the number of bytes of the v2 batch header, from the base
// offset up to and including the record count.
const HeaderSize = 61

// Magic is the only batch format this package reads and writes.
const Magic = 2

// Size limits. They bound what a reader allocates for bytes it did not
// produce.
const (
	// MaxBatchBytes is the largest whole batch (header included) accepted.
	MaxBatchBytes = 64 << 20
	// MaxRecordsBytes is the largest uncompressed records section accepted:
	// decompression stops with ErrTooLarge beyond it.
	MaxRecordsBytes = 64 << 20
)

// Byte offsets of the header fields (see doc.go).
const (
	offBaseOffset           = 0
	offLength               = 8
	offPartitionLeaderEpoch = 12
	offMagic                = 16
	offCRC                  = 17
	offAttributes           = 21
	offLastOffsetDelta      = 23
	offFirstTimestamp       = 27
	offMaxTimestamp         = 35
	offProducerID           = 43
	offProducerEpoch        = 51
	offBaseSequence         = 53
	offRecordCount          = 57

	// lengthOverhead is the part of a batch not counted by Length: the base
	// offset and the length field itself.
	lengthOverhead = 12
	// minRecordBytes is the smallest encoded record: a one-byte length and
	// six one-byte fields (attributes, timestamp delta, offset delta, key
	// length, value length, header count).
	minRecordBytes = 7
)

// Attribute bits.
const (
	attrCompressionMask = 0x07
	attrLogAppendTime   = 0x08
	attrTransactional   = 0x10
	attrControl         = 0x20
)

// Compression is a Kafka compression codec, as stored in the low three bits
// of the batch attributes.
type Compression int8

// The Kafka compression codes.
const (
	CompressionNone   Compression = 0
	CompressionGzip   Compression = 1
	CompressionSnappy Compression = 2
	CompressionLZ4    Compression = 3
	CompressionZstd   Compression = 4
)

// Valid reports whether c is one of the five Kafka codecs.
func (c Compression) Valid() bool { return c >= CompressionNone && c <= CompressionZstd }

// String returns Kafka's name of the codec ("none", "gzip", "snappy", "lz4",
// "zstd").
func (c Compression) String() string {
	switch c {
	case CompressionNone:
		return "none"
	case CompressionGzip:
		return "gzip"
	case CompressionSnappy:
		return "snappy"
	case CompressionLZ4:
		return "lz4"
	case CompressionZstd:
		return "zstd"
	}
	return fmt.Sprintf("compression(%d)", int8(c))
}

// BatchHeader is the decoded fixed-size header of a v2 batch.
type BatchHeader struct {
	BaseOffset           int64
	Length               int32 // bytes after the Length field
	PartitionLeaderEpoch int32
	Magic                int8
	CRC                  uint32
	Attributes           int16
	LastOffsetDelta      int32
	FirstTimestamp       int64
	MaxTimestamp         int64
	ProducerID           int64
	ProducerEpoch        int16
	BaseSequence         int32
	RecordCount          int32
}

// Compression returns the codec of the records section.
func (h BatchHeader) Compression() Compression {
	return Compression(h.Attributes & attrCompressionMask)
}

// LogAppendTime reports whether the timestamp type is LogAppendTime, in which
// case every record's timestamp is MaxTimestamp.
func (h BatchHeader) LogAppendTime() bool { return h.Attributes&attrLogAppendTime != 0 }

// Transactional reports the transactional attribute bit.
func (h BatchHeader) Transactional() bool { return h.Attributes&attrTransactional != 0 }

// Control reports the control-batch attribute bit.
func (h BatchHeader) Control() bool { return h.Attributes&attrControl != 0 }

// LastOffset is the offset of the batch's last record.
func (h BatchHeader) LastOffset() int64 { return h.BaseOffset + int64(h.LastOffsetDelta) }

// NextOffset is the offset that follows the batch.
func (h BatchHeader) NextOffset() int64 { return h.LastOffset() + 1 }

// Size is the number of bytes of the whole batch.
func (h BatchHeader) Size() int { return int(h.Length) + lengthOverhead }

// ParseHeader decodes the header at the start of b. It checks that b holds a
// whole header, that the magic is 2 and that Length is within
// [HeaderSize-12, MaxBatchBytes-12]. It does not check the CRC nor that b
// holds the whole batch.
func ParseHeader(b []byte) (BatchHeader, error) {
	if len(b) < HeaderSize {
		return BatchHeader{}, fmt.Errorf("%w: %d bytes, header needs %d", ErrShortBatch, len(b), HeaderSize)
	}
	h := BatchHeader{
		BaseOffset:           int64(binary.BigEndian.Uint64(b[offBaseOffset:])),
		Length:               int32(binary.BigEndian.Uint32(b[offLength:])),
		PartitionLeaderEpoch: int32(binary.BigEndian.Uint32(b[offPartitionLeaderEpoch:])),
		Magic:                int8(b[offMagic]),
		CRC:                  binary.BigEndian.Uint32(b[offCRC:]),
		Attributes:           int16(binary.BigEndian.Uint16(b[offAttributes:])),
		LastOffsetDelta:      int32(binary.BigEndian.Uint32(b[offLastOffsetDelta:])),
		FirstTimestamp:       int64(binary.BigEndian.Uint64(b[offFirstTimestamp:])),
		MaxTimestamp:         int64(binary.BigEndian.Uint64(b[offMaxTimestamp:])),
		ProducerID:           int64(binary.BigEndian.Uint64(b[offProducerID:])),
		ProducerEpoch:        int16(binary.BigEndian.Uint16(b[offProducerEpoch:])),
		BaseSequence:         int32(binary.BigEndian.Uint32(b[offBaseSequence:])),
		RecordCount:          int32(binary.BigEndian.Uint32(b[offRecordCount:])),
	}
	if err := checkLength(h.Length); err != nil {
		return h, err
	}
	if h.Magic != Magic {
		return h, fmt.Errorf("%w: %d", ErrUnsupportedMagic, h.Magic)
	}
	return h, nil
}

// checkLength bounds a Length field read from untrusted bytes.
func checkLength(length int32) error {
	if length < HeaderSize-lengthOverhead {
		return fmt.Errorf("%w: length %d below header size", ErrCorrupt, length)
	}
	if int64(length) > MaxBatchBytes-lengthOverhead {
		return fmt.Errorf("%w: length %d above %d", ErrTooLarge, length, MaxBatchBytes-lengthOverhead)
	}
	return nil
}

// SetBaseOffset overwrites the base offset of the batch at the start of
// batch. The field is outside the CRC, so the batch stays valid. batch must
// hold at least HeaderSize bytes; shorter slices are left untouched.
func SetBaseOffset(batch []byte, off int64) {
	if len(batch) < HeaderSize {
		return
	}
	binary.BigEndian.PutUint64(batch[offBaseOffset:], uint64(off))
}

// SetPartitionLeaderEpoch overwrites the partition leader epoch of the batch
// at the start of batch. The field is outside the CRC. batch must hold at
// least HeaderSize bytes; shorter slices are left untouched.
func SetPartitionLeaderEpoch(batch []byte, epoch int32) {
	if len(batch) < HeaderSize {
		return
	}
	binary.BigEndian.PutUint32(batch[offPartitionLeaderEpoch:], uint32(epoch))
}

// SetLogAppendTime turns the batch at the start of batch into a
// LogAppendTime batch stamped ts, as a Kafka broker does for topics with
// message.timestamp.type=LogAppendTime: it sets the timestamp-type bit and
// MaxTimestamp, then recomputes the CRC (both fields are inside it). batch
// must be exactly one batch; it is validated first (Validate) so that a
// corrupt batch is never re-signed, and left untouched on error.
func SetLogAppendTime(batch []byte, ts int64) error {
	h, err := Validate(batch)
	if err != nil {
		return err
	}
	binary.BigEndian.PutUint16(batch[offAttributes:], uint16(h.Attributes|attrLogAppendTime))
	binary.BigEndian.PutUint64(batch[offMaxTimestamp:], uint64(ts))
	binary.BigEndian.PutUint32(batch[offCRC:], checksum(batch[offAttributes:]))
	return nil
}
