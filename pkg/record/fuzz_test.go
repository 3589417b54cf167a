package record

import (
	"errors"
	"io"
	"testing"
)

// fuzzSeeds are real batches of every codec plus a few damaged ones.
func fuzzSeeds(tb testing.TB) [][]byte {
	var seeds [][]byte
	recs := sampleRecords(5, 12)
	for _, c := range allCompressions {
		seeds = append(seeds, mustEncode(tb, recs, EncodeOptions{Compression: c, BaseOffset: 3}))
		seeds = append(seeds, mustEncode(tb, []Record{{}}, EncodeOptions{Compression: c, LogAppendTime: true, ProducerID: 9}))
	}
	b := mustEncode(tb, recs, EncodeOptions{})
	seeds = append(seeds, b[:len(b)-3], append(b[:len(b):len(b)], b...), nil, make([]byte, HeaderSize))
	return seeds
}

// decodeAllocBound is what Decode may allocate for data: a copy of it, the
// decompressed records and their growth garbage (at most MaxRecordsBytes,
// about 4 times that while the buffer doubles), and ~16 bytes of Record
// structs per decompressed byte.
func decodeAllocBound(data []byte, recs []Record) uint64 {
	bound := uint64(4*len(data)) + 1<<20
	if len(data) > HeaderSize && Compression(data[offAttributes+1]&attrCompressionMask) != CompressionNone {
		bound += 5 * MaxRecordsBytes
		if recs != nil {
			bound += 16 * MaxRecordsBytes
		}
	} else {
		bound += 16 * uint64(len(data))
	}
	return bound
}

// FuzzDecode checks, for any input:
//   - Decode and Validate never panic and return only package sentinels;
//   - Decode allocates within decodeAllocBound, whatever counts the bytes
//     claim;
//   - if Decode succeeds, so does Validate with the same header, the record
//     count matches the header, and re-encoding the records with the
//     batch's options decodes to equal records (offsets and timestamps
//     included).
func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(checkDecode)
}

// FuzzDecodeSigned reaches past the CRC: it wraps the fuzzed records section
// in a header with the right length, count, codec and CRC, so that record
// parsing and decompression see arbitrary bytes. Same invariants as
// FuzzDecode.
func FuzzDecodeSigned(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		if h, err := Validate(s); err == nil {
			f.Add(uint8(h.Attributes), h.RecordCount, s[HeaderSize:])
		}
	}
	f.Add(uint8(CompressionSnappy), int32(3), append(append([]byte{}, xerialMagic...), 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 1, 0))
	f.Fuzz(func(t *testing.T, attrs uint8, count int32, area []byte) {
		if int64(len(area)) > MaxBatchBytes-HeaderSize {
			return
		}
		checkDecode(t, rawBatch(area, count, int16(attrs&0x0f)))
	})
}

// checkDecode runs Decode and Validate on data and checks the invariants
// of FuzzDecode.
func checkDecode(t *testing.T, data []byte) {
	vh, verr := Validate(data)
	var (
		h    BatchHeader
		recs []Record
		err  error
	)
	alloc := allocated(func() { h, recs, err = Decode(data) })
	if bound := decodeAllocBound(data, recs); alloc > bound {
		t.Fatalf("Decode of %d bytes allocated %d bytes, bound %d", len(data), alloc, bound)
	}
	if err != nil {
		if !isSentinel(err) {
			t.Fatalf("Decode: unwrapped error %v", err)
		}
		if verr != nil && !isSentinel(verr) {
			t.Fatalf("Validate: unwrapped error %v", verr)
		}
		return
	}
	if verr != nil || vh != h {
		t.Fatalf("Decode succeeded, Validate: %v", verr)
	}
	if len(recs) != int(h.RecordCount) {
		t.Fatalf("%d records, header says %d", len(recs), h.RecordCount)
	}
	opts := EncodeOptions{
		BaseOffset:           h.BaseOffset,
		PartitionLeaderEpoch: h.PartitionLeaderEpoch,
		Compression:          h.Compression(),
		ProducerID:           h.ProducerID,
		ProducerEpoch:        h.ProducerEpoch,
		BaseSequence:         h.BaseSequence,
		LogAppendTime:        h.LogAppendTime(),
	}
	again, err := Encode(nil, recs, opts)
	if err != nil {
		t.Fatalf("re-encode: %v", err)
	}
	h2, recs2, err := Decode(again)
	if err != nil {
		t.Fatalf("decode of re-encoded batch: %v", err)
	}
	if d := diffRecords(recs2, recs); d != "" {
		t.Fatalf("re-encoded records differ: %s", d)
	}
	if h2.BaseOffset != h.BaseOffset || h2.PartitionLeaderEpoch != h.PartitionLeaderEpoch ||
		h2.Compression() != h.Compression() || h2.RecordCount != h.RecordCount {
		t.Fatalf("re-encoded header %+v, was %+v", h2, h)
	}
}

// FuzzNext checks that splitting any buffer never panics, that each batch
// returned is a prefix of the buffer with a parseable header whose Size is
// the batch's length, that rest is the remainder, and that the loop ends
// with io.EOF or a package sentinel.
func FuzzNext(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		buf := data
		for range len(data)/HeaderSize + 1 {
			batch, rest, err := Next(buf)
			if err != nil {
				if errors.Is(err, io.EOF) != (len(buf) == 0) {
					t.Fatalf("io.EOF %v with %d bytes left", err, len(buf))
				}
				if len(buf) > 0 && !isSentinel(err) {
					t.Fatalf("unwrapped error %v", err)
				}
				if batch != nil || len(rest) != len(buf) {
					t.Fatalf("error %v returned a batch or lost bytes", err)
				}
				return
			}
			h, herr := ParseHeader(batch)
			if herr != nil || h.Size() != len(batch) || len(batch)+len(rest) != len(buf) || &batch[0] != &buf[0] {
				t.Fatalf("batch of %d bytes, rest %d, of %d: header %+v %v", len(batch), len(rest), len(buf), h, herr)
			}
			buf = rest
		}
		t.Fatalf("Next did not finish %d bytes", len(data))
	})
}

func isSentinel(err error) bool {
	for _, s := range []error{ErrCorrupt, ErrShortBatch, ErrUnsupportedMagic, ErrUnsupportedCompression, ErrTooLarge} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}
