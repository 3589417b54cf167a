package record

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
)

// TestCRCDetectsEveryByte flips each byte of the CRC field and of the
// CRC-covered region (attributes to the end) in turn: Validate and Decode
// must both refuse every one.
func TestCRCDetectsEveryByte(t *testing.T) {
	for _, c := range allCompressions {
		t.Run(c.String(), func(t *testing.T) {
			b := mustEncode(t, sampleRecords(6, 3), EncodeOptions{Compression: c, BaseOffset: 7})
			for i := offCRC; i < len(b); i++ {
				for _, mask := range []byte{0x01, 0x80, 0xff} {
					b[i] ^= mask
					_, verr := Validate(b)
					_, _, derr := Decode(b)
					b[i] ^= mask
					if !errors.Is(verr, ErrCorrupt) || !errors.Is(derr, ErrCorrupt) {
						t.Fatalf("byte %d ^ %#x: Validate %v, Decode %v; want ErrCorrupt", i, mask, verr, derr)
					}
				}
			}
			if _, err := Validate(b); err != nil {
				t.Fatalf("restored batch: %v", err)
			}
		})
	}
}

// TestFieldsOutsideCRC checks Kafka's layout choice: base offset and leader
// epoch may change without invalidating the batch, while the length and the
// magic are checked.
func TestFieldsOutsideCRC(t *testing.T) {
	b := mustEncode(t, sampleRecords(3, 4), EncodeOptions{})
	for i := 0; i < offCRC; i++ {
		b[i] ^= 0x5a
		_, err := Validate(b)
		b[i] ^= 0x5a
		switch {
		case i < offLength || (i >= offPartitionLeaderEpoch && i < offMagic):
			if err != nil {
				t.Fatalf("byte %d (outside the CRC) changed: %v", i, err)
			}
		case i == offMagic:
			if !errors.Is(err, ErrUnsupportedMagic) {
				t.Fatalf("magic changed: %v", err)
			}
		default:
			if err == nil {
				t.Fatalf("length byte %d changed: no error", i)
			}
		}
	}
}

// TestTruncation cuts a batch at every length: always ErrShortBatch (or
// io.EOF for Next on nothing), never a panic or a success.
func TestTruncation(t *testing.T) {
	for _, c := range allCompressions {
		t.Run(c.String(), func(t *testing.T) {
			b := mustEncode(t, sampleRecords(4, 5), EncodeOptions{Compression: c})
			for n := range len(b) {
				cut := b[:n]
				if _, err := Validate(cut); !errors.Is(err, ErrShortBatch) {
					t.Fatalf("Validate(%d of %d bytes): %v", n, len(b), err)
				}
				if _, _, err := Decode(cut); !errors.Is(err, ErrShortBatch) {
					t.Fatalf("Decode(%d of %d bytes): %v", n, len(b), err)
				}
				batch, rest, err := Next(cut)
				want := ErrShortBatch
				if n == 0 {
					want = io.EOF
				}
				if !errors.Is(err, want) || batch != nil {
					t.Fatalf("Next(%d of %d bytes): batch %v err %v, want %v", n, len(b), batch != nil, err, want)
				}
				if n > 0 && len(rest) != n {
					t.Fatalf("Next(%d bytes) error returned rest of %d bytes", n, len(rest))
				}
			}
		})
	}
}

func TestNext(t *testing.T) {
	one := mustEncode(t, sampleRecords(2, 6), EncodeOptions{})
	two := mustEncode(t, sampleRecords(3, 7), EncodeOptions{Compression: CompressionLZ4, BaseOffset: 2})
	all := append(append(bytes.Clone(one), two...), two[:30]...)

	batch, rest, err := Next(all)
	if err != nil || !bytes.Equal(batch, one) {
		t.Fatalf("first: %v", err)
	}
	batch, rest, err = Next(rest)
	if err != nil || !bytes.Equal(batch, two) {
		t.Fatalf("second: %v", err)
	}
	if _, _, err = Next(rest); !errors.Is(err, ErrShortBatch) {
		t.Fatalf("partial tail: %v, want ErrShortBatch", err)
	}

	tests := []struct {
		name string
		edit func(b []byte)
		want error
	}{
		{"negative length", func(b []byte) { binary.BigEndian.PutUint32(b[offLength:], 0xffffff00) }, ErrCorrupt},
		{"length below header", func(b []byte) { binary.BigEndian.PutUint32(b[offLength:], 48) }, ErrCorrupt},
		{"length above max", func(b []byte) { binary.BigEndian.PutUint32(b[offLength:], MaxBatchBytes) }, ErrTooLarge},
		{"magic 1", func(b []byte) { b[offMagic] = 1 }, ErrUnsupportedMagic},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := bytes.Clone(one)
			tt.edit(b)
			if _, _, err := Next(b); !errors.Is(err, tt.want) {
				t.Fatalf("Next: %v, want %v", err, tt.want)
			}
			if _, err := ParseHeader(b); !errors.Is(err, tt.want) {
				t.Fatalf("ParseHeader: %v, want %v", err, tt.want)
			}
			if _, err := Validate(b); !errors.Is(err, tt.want) {
				t.Fatalf("Validate: %v, want %v", err, tt.want)
			}
		})
	}
}

// TestValidateSemantics edits header fields, re-signs the CRC, and expects
// Validate to refuse the result anyway.
func TestValidateSemantics(t *testing.T) {
	tests := []struct {
		name  string
		codec Compression
		edit  func(b []byte) []byte
		want  error
	}{
		{"zero records", CompressionNone, func(b []byte) []byte {
			binary.BigEndian.PutUint32(b[offRecordCount:], 0)
			binary.BigEndian.PutUint32(b[offLastOffsetDelta:], 0xffffffff)
			return b
		}, ErrCorrupt},
		{"count above last offset delta", CompressionNone, func(b []byte) []byte {
			binary.BigEndian.PutUint32(b[offRecordCount:], 4)
			return b
		}, ErrCorrupt},
		{"sparse offsets", CompressionNone, func(b []byte) []byte {
			binary.BigEndian.PutUint32(b[offLastOffsetDelta:], 9)
			return b
		}, ErrCorrupt},
		{"huge count", CompressionZstd, func(b []byte) []byte {
			binary.BigEndian.PutUint32(b[offRecordCount:], 0x7fffffff)
			binary.BigEndian.PutUint32(b[offLastOffsetDelta:], 0x7ffffffe)
			return b
		}, ErrCorrupt},
		{"codec 5", CompressionNone, func(b []byte) []byte { b[offAttributes+1] |= 5; return b }, ErrUnsupportedCompression},
		{"codec 7", CompressionNone, func(b []byte) []byte { b[offAttributes+1] |= 7; return b }, ErrUnsupportedCompression},
		{"trailing bytes in records", CompressionNone, func(b []byte) []byte {
			b = append(b, 0, 0, 0)
			binary.BigEndian.PutUint32(b[offLength:], uint32(len(b)-12))
			return b
		}, ErrCorrupt},
		{"record length past the end", CompressionNone, func(b []byte) []byte {
			b[HeaderSize] = 0x7e // first record claims 63 bytes
			return b
		}, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := mustEncode(t, []Record{{Value: []byte("a")}, {Value: []byte("b")}, {Value: []byte("c")}}, EncodeOptions{Compression: tt.codec})
			b = resign(tt.edit(b))
			if _, err := Validate(b); !errors.Is(err, tt.want) {
				t.Fatalf("Validate: %v, want %v", err, tt.want)
			}
			if _, _, err := Decode(b); !errors.Is(err, tt.want) {
				t.Fatalf("Decode: %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("bytes after the batch", func(t *testing.T) {
		b := append(mustEncode(t, []Record{{}}, EncodeOptions{}), 0)
		if _, err := Validate(b); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Validate: %v, want ErrCorrupt", err)
		}
	})
}

func TestValidateDoesNotAllocate(t *testing.T) {
	b := mustEncode(t, sampleRecords(16, 8), EncodeOptions{})
	allocs := testing.AllocsPerRun(20, func() {
		if _, err := Validate(b); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("Validate allocates %v times per call", allocs)
	}
}
