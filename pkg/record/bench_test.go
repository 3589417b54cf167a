package record

import (
	"bytes"
	"testing"
)

// benchRecords is the benchmark batch: 16 records of 1 KiB values with a
// short key and one header.
func benchRecords() []Record {
	recs := make([]Record, 16)
	for i := range recs {
		recs[i] = Record{
			Timestamp: 1_700_000_000_000 + int64(i),
			Key:       []byte("customer-0042"),
			Value:     bytes.Repeat([]byte{byte('a' + i)}, 1024),
			Headers:   []Header{{Key: "trace", Value: []byte("0123456789abcdef")}},
		}
	}
	return recs
}

func BenchmarkEncode(b *testing.B) {
	for _, c := range allCompressions {
		b.Run(c.String(), func(b *testing.B) {
			recs := benchRecords()
			dst := make([]byte, 0, 64<<10)
			out, _ := Encode(dst, recs, EncodeOptions{Compression: c})
			b.SetBytes(int64(len(appendRecords(nil, recs, recs[0].Timestamp))))
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if out, err = Encode(dst[:0], recs, EncodeOptions{Compression: c}); err != nil {
					b.Fatal(err)
				}
			}
			_ = out
		})
	}
}

func BenchmarkValidate(b *testing.B) {
	batch := mustEncode(b, benchRecords(), EncodeOptions{})
	b.SetBytes(int64(len(batch)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Validate(batch); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, c := range allCompressions {
		b.Run(c.String(), func(b *testing.B) {
			recs := benchRecords()
			batch := mustEncode(b, recs, EncodeOptions{Compression: c})
			b.SetBytes(int64(len(appendRecords(nil, recs, recs[0].Timestamp))))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := Decode(batch); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
