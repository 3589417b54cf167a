package record

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"
)

var allCompressions = []Compression{CompressionNone, CompressionGzip, CompressionSnappy, CompressionLZ4, CompressionZstd}

// sameBytes is bytes.Equal that also tells nil from empty.
func sameBytes(a, b []byte) bool {
	return (a == nil) == (b == nil) && bytes.Equal(a, b)
}

// diffRecords describes the first difference between two record lists, or
// returns "" if they are equal field by field (nil and empty differ).
func diffRecords(got, want []Record) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d records, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := &got[i], &want[i]
		switch {
		case g.Offset != w.Offset:
			return fmt.Sprintf("record %d: offset %d, want %d", i, g.Offset, w.Offset)
		case g.Timestamp != w.Timestamp:
			return fmt.Sprintf("record %d: timestamp %d, want %d", i, g.Timestamp, w.Timestamp)
		case !sameBytes(g.Key, w.Key):
			return fmt.Sprintf("record %d: key %q (nil %v), want %q (nil %v)", i, g.Key, g.Key == nil, w.Key, w.Key == nil)
		case !sameBytes(g.Value, w.Value):
			return fmt.Sprintf("record %d: value %.40q (nil %v), want %.40q (nil %v)", i, g.Value, g.Value == nil, w.Value, w.Value == nil)
		case len(g.Headers) != len(w.Headers):
			return fmt.Sprintf("record %d: %d headers, want %d", i, len(g.Headers), len(w.Headers))
		}
		for j := range g.Headers {
			if g.Headers[j].Key != w.Headers[j].Key || !sameBytes(g.Headers[j].Value, w.Headers[j].Value) {
				return fmt.Sprintf("record %d header %d: %+v, want %+v", i, j, g.Headers[j], w.Headers[j])
			}
		}
	}
	return ""
}

// withOffsets returns a copy of recs with Offset set as Decode reports it.
func withOffsets(recs []Record, base int64) []Record {
	out := make([]Record, len(recs))
	for i, r := range recs {
		r.Offset = base + int64(i)
		out[i] = r
	}
	return out
}

// mustEncode encodes or fails the test.
func mustEncode(tb testing.TB, recs []Record, opts EncodeOptions) []byte {
	tb.Helper()
	b, err := Encode(nil, recs, opts)
	if err != nil {
		tb.Fatalf("Encode: %v", err)
	}
	return b
}

// sampleRecords returns n records with a mix of shapes: null and empty keys,
// null values, headers, timestamps going back and forth.
func sampleRecords(n int, seed uint64) []Record {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	recs := make([]Record, n)
	ts := int64(1_700_000_000_000)
	for i := range recs {
		r := &recs[i]
		r.Timestamp = ts + rng.Int64N(20_000) - 10_000
		switch i % 4 {
		case 0:
			r.Key = nil
		case 1:
			r.Key = []byte{}
		default:
			r.Key = fmt.Appendf(nil, "key-%d", rng.IntN(1000))
		}
		if i%5 != 3 {
			r.Value = bytes.Repeat([]byte{byte('a' + i%26)}, rng.IntN(300))
		}
		for h := range rng.IntN(3) {
			v := fmt.Appendf(nil, "v%d", h)
			if h == 1 {
				v = nil
			}
			r.Headers = append(r.Headers, Header{Key: fmt.Sprintf("h%d", h), Value: v})
		}
	}
	return recs
}

// resign recomputes the CRC of a batch after a test edited it.
func resign(b []byte) []byte {
	binary.BigEndian.PutUint32(b[offCRC:], checksum(b[offAttributes:]))
	return b
}

// rawBatch wraps an already encoded records section in a header with a
// correct length and CRC, for tests that need malformed records.
func rawBatch(area []byte, count int32, attrs int16) []byte {
	b := make([]byte, HeaderSize, HeaderSize+len(area))
	b = append(b, area...)
	binary.BigEndian.PutUint32(b[offLength:], uint32(len(b)-lengthOverhead))
	b[offMagic] = Magic
	binary.BigEndian.PutUint16(b[offAttributes:], uint16(attrs))
	binary.BigEndian.PutUint32(b[offLastOffsetDelta:], uint32(count-1))
	binary.BigEndian.PutUint64(b[offProducerID:], ^uint64(0))
	binary.BigEndian.PutUint16(b[offProducerEpoch:], ^uint16(0))
	binary.BigEndian.PutUint32(b[offBaseSequence:], ^uint32(0))
	binary.BigEndian.PutUint32(b[offRecordCount:], uint32(count))
	return resign(b)
}

// rec builds a raw record: the body fields given as pre-encoded bytes, with
// the length prefix computed.
func rec(fields ...[]byte) []byte {
	body := bytes.Join(fields, nil)
	return append(binary.AppendVarint(nil, int64(len(body))), body...)
}

// vi is a varint.
func vi(v int64) []byte { return binary.AppendVarint(nil, v) }
