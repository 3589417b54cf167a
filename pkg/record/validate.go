package record

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Validate checks that batch is exactly one whole, intact v2 batch: the
// header (ParseHeader), len(batch) == Size(), the CRC-32C, a known
// compression codec, and a record count that agrees with LastOffsetDelta
// (records are dense: count == LastOffsetDelta+1 >= 1, as Kafka requires of
// produced batches). For an uncompressed batch it also walks the record
// length prefixes and checks that exactly RecordCount records fill the
// records section. It does not decompress and allocates nothing.
//
// A batch shorter than its header or its Length is ErrShortBatch; any other
// inconsistency is ErrCorrupt (ErrTooLarge, ErrUnsupportedMagic and
// ErrUnsupportedCompression for those cases).
func Validate(batch []byte) (BatchHeader, error) {
	h, err := ParseHeader(batch)
	if err != nil {
		return h, err
	}
	switch size := h.Size(); {
	case len(batch) < size:
		return h, fmt.Errorf("%w: %d bytes of %d", ErrShortBatch, len(batch), size)
	case len(batch) > size:
		return h, fmt.Errorf("%w: %d bytes after the batch", ErrCorrupt, len(batch)-size)
	}
	if sum := checksum(batch[offAttributes:]); sum != h.CRC {
		return h, fmt.Errorf("%w: crc %08x, computed %08x", ErrCorrupt, h.CRC, sum)
	}
	if c := h.Compression(); !c.Valid() {
		return h, fmt.Errorf("%w: %d", ErrUnsupportedCompression, c)
	}
	if h.RecordCount < 1 || h.LastOffsetDelta != h.RecordCount-1 {
		return h, fmt.Errorf("%w: %d records, last offset delta %d", ErrCorrupt, h.RecordCount, h.LastOffsetDelta)
	}
	area := batch[HeaderSize:]
	if h.Compression() != CompressionNone {
		if int64(h.RecordCount) > MaxRecordsBytes/minRecordBytes {
			return h, fmt.Errorf("%w: %d records", ErrCorrupt, h.RecordCount)
		}
		return h, nil
	}
	if int64(h.RecordCount) > int64(len(area))/minRecordBytes {
		return h, fmt.Errorf("%w: %d records in %d bytes", ErrCorrupt, h.RecordCount, len(area))
	}
	for i := int32(0); i < h.RecordCount; i++ {
		n, w := readVarint32(area)
		if w <= 0 || n < minRecordBytes-1 || int(n) > len(area)-w {
			return h, fmt.Errorf("%w: record %d: bad length", ErrCorrupt, i)
		}
		area = area[w+int(n):]
	}
	if len(area) != 0 {
		return h, fmt.Errorf("%w: %d bytes after %d records", ErrCorrupt, len(area), h.RecordCount)
	}
	return h, nil
}

// Next splits the first batch off buf, a concatenation of batches, without
// checking its CRC (use Validate). It returns io.EOF for an empty buf and
// ErrShortBatch when buf ends inside a batch (a partial tail: callers treat it
// as the end of the data). A Length outside [49, MaxBatchBytes-12] is
// ErrCorrupt or ErrTooLarge, a magic other than 2 ErrUnsupportedMagic: the
// rest of buf cannot be split after those.
func Next(buf []byte) (batch, rest []byte, err error) {
	if len(buf) == 0 {
		return nil, nil, io.EOF
	}
	if len(buf) < offLength+4 {
		return nil, buf, fmt.Errorf("%w: %d bytes", ErrShortBatch, len(buf))
	}
	length := int32(binary.BigEndian.Uint32(buf[offLength:]))
	if err := checkLength(length); err != nil {
		return nil, buf, err
	}
	if len(buf) > offMagic && buf[offMagic] != Magic {
		return nil, buf, fmt.Errorf("%w: %d", ErrUnsupportedMagic, int8(buf[offMagic]))
	}
	size := int(length) + lengthOverhead
	if len(buf) < size {
		return nil, buf, fmt.Errorf("%w: %d bytes of %d", ErrShortBatch, len(buf), size)
	}
	return buf[:size], buf[size:], nil
}
