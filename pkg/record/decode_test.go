package record

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy/xerial"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// TestDecodeMalformedRecords feeds record sections that pass the CRC and the
// framing but break a record rule.
func TestDecodeMalformedRecords(t *testing.T) {
	attr, ts, none, noHdr := []byte{0}, vi(0), vi(-1), vi(0)
	tests := []struct {
		name  string
		area  []byte
		count int32
		want  error // nil: must decode
	}{
		{"valid minimal", rec(attr, ts, vi(0), none, none, noHdr), 1, nil},
		{"valid non-minimal varint", rec(attr, []byte{0x80, 0x00}, vi(0), none, none, noHdr), 1, nil},
		{"offset delta not index", rec(attr, ts, vi(1), none, none, noHdr), 1, ErrCorrupt},
		{"key length -2", rec(attr, ts, vi(0), vi(-2), none, noHdr), 1, ErrCorrupt},
		{"key past record", rec(attr, ts, vi(0), vi(5), []byte("ab"), none, noHdr), 1, ErrCorrupt},
		{"value length -7", rec(attr, ts, vi(0), none, vi(-7), noHdr), 1, ErrCorrupt},
		{"negative header count", rec(attr, ts, vi(0), none, none, vi(-1)), 1, ErrCorrupt},
		{"header count beyond bytes", rec(attr, ts, vi(0), none, none, vi(1_000_000), vi(0), vi(0)), 1, ErrCorrupt},
		{"null header key", rec(attr, ts, vi(0), none, none, vi(1), vi(-1), vi(0)), 1, ErrCorrupt},
		{"header value past end", rec(attr, ts, vi(0), none, none, vi(1), vi(1), []byte("k"), vi(9)), 1, ErrCorrupt},
		{"bytes left in record", rec(attr, ts, vi(0), none, none, noHdr, []byte{0}), 1, ErrCorrupt},
		{"varint over 32 bits", rec(attr, ts, []byte{0xff, 0xff, 0xff, 0xff, 0x7f}, none, none, noHdr), 1, ErrCorrupt},
		{"varint over 5 bytes", rec(attr, ts, []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, none, none, noHdr), 1, ErrCorrupt},
		{"varlong over 10 bytes", rec(attr, bytes.Repeat([]byte{0xff}, 11), vi(0), none, none, noHdr), 1, ErrCorrupt},
		{"fewer records than count", rec(attr, ts, vi(0), none, none, noHdr), 2, ErrCorrupt},
	}
	for _, c := range allCompressions {
		for _, tt := range tests {
			t.Run(c.String()+"/"+tt.name, func(t *testing.T) {
				area := tt.area
				if c != CompressionNone {
					var err error
					if area, err = compress(nil, area, c); err != nil {
						t.Fatal(err)
					}
				}
				b := rawBatch(area, tt.count, int16(c))
				_, recs, err := Decode(b)
				if tt.want == nil {
					if err != nil || len(recs) != int(tt.count) {
						t.Fatalf("Decode: %d records, %v", len(recs), err)
					}
					return
				}
				if !errors.Is(err, tt.want) || recs != nil {
					t.Fatalf("Decode: %d records, err %v; want %v", len(recs), err, tt.want)
				}
			})
		}
	}
}

func TestDecodeGarbagePayload(t *testing.T) {
	for _, c := range allCompressions[1:] {
		t.Run(c.String(), func(t *testing.T) {
			for _, payload := range [][]byte{nil, {0}, []byte("definitely not compressed data, not at all")} {
				if _, _, err := Decode(rawBatch(payload, 1, int16(c))); !errors.Is(err, ErrCorrupt) {
					t.Fatalf("payload %q: %v, want ErrCorrupt", payload, err)
				}
			}
		})
	}
}

// TestSnappyXerial decodes the xerial framing the Java client writes, in
// several blocks, and checks the framing errors.
func TestSnappyXerial(t *testing.T) {
	recs := sampleRecords(400, 9) // > 32 KiB: several xerial blocks
	raw := appendRecords(nil, recs, recs[0].Timestamp)
	framed := xerial.Encode(nil, raw)
	if len(raw) < 40<<10 || !bytes.HasPrefix(framed, xerialMagic) {
		t.Fatalf("test data: %d raw bytes", len(raw))
	}
	b := rawBatch(framed, int32(len(recs)), int16(CompressionSnappy))
	copyHeaderTimestamps(b, recs)
	_, got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if d := diffRecords(got, withOffsets(recs, 0)); d != "" {
		t.Fatal(d)
	}
	for _, bad := range [][]byte{
		framed[:len(framed)-1], // block shorter than its length
		append(bytes.Clone(framed), 0, 0, 1),
		append(bytes.Clone(framed), 0xff, 0xff, 0xff, 0xff, 1, 2),
	} {
		if _, _, err := Decode(rawBatch(bad, int32(len(recs)), int16(CompressionSnappy))); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("bad framing: %v, want ErrCorrupt", err)
		}
	}
}

// copyHeaderTimestamps sets the first timestamp of a rawBatch to the one the
// records were encoded against, and re-signs it.
func copyHeaderTimestamps(b []byte, recs []Record) {
	h := BatchHeader{FirstTimestamp: recs[0].Timestamp}
	for i := 0; i < 8; i++ {
		b[offFirstTimestamp+i] = byte(uint64(h.FirstTimestamp) >> (56 - 8*i))
	}
	resign(b)
}

// bomb returns n zero bytes compressed with c, built in a streaming way so
// the test never holds the n bytes.
func bomb(t *testing.T, c Compression, n int) []byte {
	t.Helper()
	var out bytes.Buffer
	var w io.WriteCloser
	switch c {
	case CompressionGzip:
		gz, err := gzip.NewWriterLevel(&out, gzip.BestSpeed)
		if err != nil {
			t.Fatal(err)
		}
		w = gz
	case CompressionLZ4:
		w = lz4.NewWriter(&out)
	case CompressionZstd:
		enc, err := zstd.NewWriter(&out, zstd.WithEncoderLevel(zstd.SpeedFastest))
		if err != nil {
			t.Fatal(err)
		}
		w = enc
	case CompressionSnappy:
		// Xerial blocks of 64 KiB of zeros.
		block := appendSnappyBlock(make([]byte, 64<<10))
		out.Write(xerialMagic)
		out.Write([]byte{0, 0, 0, 1, 0, 0, 0, 1})
		for range n / (64 << 10) {
			out.Write(block)
		}
		return out.Bytes()
	}
	zeros := make([]byte, 1<<20)
	for left := n; left > 0; left -= len(zeros) {
		if _, err := w.Write(zeros[:min(left, len(zeros))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func appendSnappyBlock(src []byte) []byte {
	enc, _ := appendSnappy(nil, src)
	return append([]byte{byte(len(enc) >> 24), byte(len(enc) >> 16), byte(len(enc) >> 8), byte(len(enc))}, enc...)
}

// TestDecompressionBounded checks every codec stops at the limit: a payload
// that inflates to 8 times the limit fails with ErrTooLarge, having
// allocated at most 4 times the limit (output buffers grow geometrically;
// zstd may overshoot its buffer by a block), not the inflated size.
func TestDecompressionBounded(t *testing.T) {
	const limit = 1 << 20
	for _, c := range allCompressions[1:] {
		t.Run(c.String(), func(t *testing.T) {
			src := bomb(t, c, 8*limit)
			if len(src) > limit/2 {
				t.Fatalf("bomb of %d bytes is not a bomb", len(src))
			}
			if out, err := decompress(src, c, 16*limit); err != nil || len(out) != 8*limit {
				t.Fatalf("under the limit: %d bytes, %v", len(out), err)
			}
			alloc := allocated(func() {
				if _, err := decompress(src, c, limit); !errors.Is(err, ErrTooLarge) {
					t.Fatalf("err %v, want ErrTooLarge", err)
				}
			})
			overhead := uint64(64 << 10)
			if c == CompressionLZ4 {
				overhead = 8<<20 + 64<<10 // block buffers for the 4 MiB block size the frame declares
			}
			if alloc > 4*limit+overhead {
				t.Fatalf("allocated %d bytes to refuse a bomb with limit %d", alloc, limit)
			}
		})
	}
	t.Run("raw snappy claims", func(t *testing.T) {
		claim := vi(0)[:0]
		claim = appendUvarint(claim, MaxRecordsBytes+1)
		if _, err := decompress(append(claim, 0), CompressionSnappy, MaxRecordsBytes); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("claim above the limit: %v", err)
		}
		claim = appendUvarint(nil, 1<<20)
		alloc := allocated(func() {
			if _, err := decompress(append(claim, 0, 0, 0), CompressionSnappy, MaxRecordsBytes); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("claim beyond the expansion ratio: %v", err)
			}
		})
		if alloc > 64<<10 {
			t.Fatalf("allocated %d bytes for a 1 MiB claim in 6 bytes", alloc)
		}
	})
	t.Run("zstd frame claiming a huge window and size", func(t *testing.T) {
		frame := []byte{0x28, 0xb5, 0x2f, 0xfd, // magic
			0xc0,                         // descriptor: 8-byte content size, windowed
			0x80,                         // window 64 MiB
			0, 0, 0xc0, 0x03, 0, 0, 0, 0} // content size 60 MiB
		blockHeader := uint32(1 | 1<<1 | (128<<10)<<3) // last, RLE, 128 KiB
		frame = append(frame, byte(blockHeader), byte(blockHeader>>8), byte(blockHeader>>16), 'x')
		alloc := allocated(func() {
			_, err := decompress(frame, CompressionZstd, MaxRecordsBytes)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("err %v, want ErrCorrupt", err)
			}
		})
		if alloc > 2<<20 {
			t.Fatalf("allocated %d bytes for a %d-byte frame", alloc, len(frame))
		}
	})
	t.Run("decode stops at MaxRecordsBytes", func(t *testing.T) {
		src := bomb(t, CompressionZstd, MaxRecordsBytes+1<<20)
		b := rawBatch(src, 1, int16(CompressionZstd))
		alloc := allocated(func() {
			if _, _, err := Decode(b); !errors.Is(err, ErrTooLarge) {
				t.Fatalf("Decode: %v, want ErrTooLarge", err)
			}
		})
		if len(src) > 1<<20 || alloc > 4*MaxRecordsBytes {
			t.Fatalf("allocated %d bytes to refuse a %d-byte bomb", alloc, len(src))
		}
	})
}

func appendUvarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// allocated returns the bytes f allocates on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
