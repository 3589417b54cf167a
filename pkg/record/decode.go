package record

import (
	"fmt"
	"slices"
	"unsafe"
)

// Decode validates batch (Validate), decompresses its records with output
// bounded by MaxRecordsBytes, and parses them. Records get absolute offsets
// (BaseOffset + offset delta) and timestamps (FirstTimestamp + delta, or
// MaxTimestamp for a LogAppendTime batch). Every record must carry offset
// delta i at position i and consume exactly its length prefix, and the
// records must fill the section exactly.
//
// The returned records never alias batch: keys, values and header values
// share one allocation owned by the result. Allocation is bounded by the
// size of the batch and of its decompressed records, never by counts read
// from it.
func Decode(batch []byte) (BatchHeader, []Record, error) {
	h, err := Validate(batch)
	if err != nil {
		return h, nil, err
	}
	var area []byte
	if c := h.Compression(); c == CompressionNone {
		area = slices.Clone(batch[HeaderSize:])
	} else {
		area, err = decompress(batch[HeaderSize:], c, MaxRecordsBytes)
		if err != nil {
			return h, nil, err
		}
	}
	recs, err := parseRecords(h, area)
	if err != nil {
		return h, nil, err
	}
	return h, recs, nil
}

// parseRecords parses the uncompressed records section of h's batch.
func parseRecords(h BatchHeader, area []byte) ([]Record, error) {
	n := int(h.RecordCount)
	if n > len(area)/minRecordBytes {
		return nil, fmt.Errorf("%w: %d records in %d bytes", ErrCorrupt, n, len(area))
	}
	recs := make([]Record, n)
	for i := range recs {
		size, w := readVarint32(area)
		if w <= 0 || size < 0 || int(size) > len(area)-w {
			return nil, fmt.Errorf("%w: record %d: bad length", ErrCorrupt, i)
		}
		body := area[w : w+int(size)]
		area = area[w+int(size):]
		if err := parseRecord(&recs[i], body, h, i); err != nil {
			return nil, fmt.Errorf("record %d: %w", i, err)
		}
	}
	if len(area) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after %d records", ErrCorrupt, len(area), n)
	}
	return recs, nil
}

// recordReader reads the fields of one record body.
type recordReader struct {
	b   []byte
	bad bool
}

func (r *recordReader) varint() int32 {
	v, n := readVarint32(r.b)
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *recordReader) varlong() int64 {
	v, n := readVarint64(r.b)
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

// bytes reads a nullable byte string; a length of -1 is nil, below -1 bad.
// The result aliases the body and has its capacity clipped, so appending to
// it never overwrites a neighbour.
func (r *recordReader) bytes() []byte {
	n := r.varint()
	switch {
	case r.bad:
		return nil
	case n == -1:
		return nil
	case n < -1 || int(n) > len(r.b):
		r.bad = true
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// parseRecord parses one record body into rec.
func parseRecord(rec *Record, body []byte, h BatchHeader, i int) error {
	if len(body) < 1 {
		return fmt.Errorf("%w: empty record", ErrCorrupt)
	}
	r := recordReader{b: body[1:]} // attributes: unused
	tsDelta := r.varlong()
	offDelta := r.varint()
	rec.Key = r.bytes()
	rec.Value = r.bytes()
	nh := r.varint()
	if r.bad {
		return fmt.Errorf("%w: malformed record", ErrCorrupt)
	}
	if int(offDelta) != i {
		return fmt.Errorf("%w: offset delta %d at position %d", ErrCorrupt, offDelta, i)
	}
	// Each header takes at least two bytes (two lengths).
	if nh < 0 || int(nh) > len(r.b)/2 {
		return fmt.Errorf("%w: %d headers in %d bytes", ErrCorrupt, nh, len(r.b))
	}
	if nh > 0 {
		rec.Headers = make([]Header, nh)
		for j := range rec.Headers {
			kl := r.varint()
			if r.bad || kl < 0 || int(kl) > len(r.b) {
				return fmt.Errorf("%w: header %d: bad key", ErrCorrupt, j)
			}
			// The section is owned by the result and no slice handed out
			// reaches these bytes, so the key can share them.
			rec.Headers[j].Key = unsafe.String(unsafe.SliceData(r.b), int(kl))
			r.b = r.b[kl:]
			rec.Headers[j].Value = r.bytes()
			if r.bad {
				return fmt.Errorf("%w: header %d: bad value", ErrCorrupt, j)
			}
		}
	}
	if len(r.b) != 0 {
		return fmt.Errorf("%w: %d bytes after the record's fields", ErrCorrupt, len(r.b))
	}
	rec.Offset = h.BaseOffset + int64(offDelta)
	if h.LogAppendTime() {
		rec.Timestamp = h.MaxTimestamp
	} else {
		rec.Timestamp = h.FirstTimestamp + tsDelta
	}
	return nil
}
