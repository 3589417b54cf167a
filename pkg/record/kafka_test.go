package record

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// These tests check wire compatibility against franz-go, a Kafka client:
// kmsg's RecordBatch and Record types, and kgo's compressors and
// decompressors.

var kgoCodecs = map[Compression]kgo.CompressionCodec{
	CompressionGzip:   kgo.GzipCompression(),
	CompressionSnappy: kgo.SnappyCompression(),
	CompressionLZ4:    kgo.Lz4Compression(),
	CompressionZstd:   kgo.ZstdCompression(),
}

// kmsgBatch builds a batch the way a franz-go producer does: kmsg records,
// compressed by kgo's default compressor, CRC-32C over attributes..end.
func kmsgBatch(t *testing.T, recs []Record, opts EncodeOptions) []byte {
	t.Helper()
	var raw []byte
	maxTS := recs[0].Timestamp
	for i, r := range recs {
		maxTS = max(maxTS, r.Timestamp)
		kr := kmsg.Record{
			TimestampDelta64: r.Timestamp - recs[0].Timestamp,
			OffsetDelta:      int32(i),
			Key:              r.Key,
			Value:            r.Value,
		}
		for _, h := range r.Headers {
			kr.Headers = append(kr.Headers, kmsg.Header{Key: h.Key, Value: h.Value})
		}
		body := kr.AppendTo(nil) // with Length 0: a one-byte length, then the body
		kr.Length = int32(len(body) - 1)
		raw = kr.AppendTo(raw)
	}
	if opts.Compression != CompressionNone {
		c, err := kgo.DefaultCompressor(kgoCodecs[opts.Compression])
		if err != nil {
			t.Fatal(err)
		}
		out, used := c.Compress(new(bytes.Buffer), raw)
		if int8(used) != int8(opts.Compression) {
			t.Fatalf("kgo compressed with %v, want %v", used, opts.Compression)
		}
		raw = bytes.Clone(out)
	}
	pid, epoch, seq := opts.ProducerID, opts.ProducerEpoch, opts.BaseSequence
	if pid == 0 {
		pid, epoch, seq = -1, -1, -1
	}
	attrs := int16(opts.Compression)
	if opts.LogAppendTime {
		attrs |= 0x08
	}
	kb := kmsg.RecordBatch{
		FirstOffset:          opts.BaseOffset,
		Length:               int32(49 + len(raw)),
		PartitionLeaderEpoch: opts.PartitionLeaderEpoch,
		Magic:                2,
		Attributes:           attrs,
		LastOffsetDelta:      int32(len(recs) - 1),
		FirstTimestamp:       recs[0].Timestamp,
		MaxTimestamp:         maxTS,
		ProducerID:           pid,
		ProducerEpoch:        epoch,
		FirstSequence:        seq,
		NumRecords:           int32(len(recs)),
		Records:              raw,
	}
	b := kb.AppendTo(nil)
	kb.CRC = int32(checksum(b[21:]))
	return kb.AppendTo(nil)
}

var interopOpts = []struct {
	name string
	opts EncodeOptions
}{
	{"defaults", EncodeOptions{}},
	{"producer and offsets", EncodeOptions{BaseOffset: 981, PartitionLeaderEpoch: 7, ProducerID: 77, ProducerEpoch: 2, BaseSequence: 1000}},
	{"log append time", EncodeOptions{BaseOffset: 5, LogAppendTime: true}},
}

func interopRecords() []Record {
	recs := sampleRecords(60, 11)
	recs = append(recs,
		Record{Timestamp: recs[0].Timestamp - 86_400_000, Key: []byte{}, Value: nil},
		Record{Timestamp: recs[0].Timestamp + 1, Key: []byte("k"), Value: bytes.Repeat([]byte("x"), 70_000),
			Headers: []Header{{Key: "", Value: []byte{}}, {Key: "n", Value: nil}}})
	return recs
}

// TestKmsgToRunnel decodes batches built by franz-go with every codec.
func TestKmsgToRunnel(t *testing.T) {
	recs := interopRecords()
	for _, c := range allCompressions {
		for _, o := range interopOpts {
			t.Run(c.String()+"/"+o.name, func(t *testing.T) {
				opts := o.opts
				opts.Compression = c
				b := kmsgBatch(t, recs, opts)
				h, got, err := Decode(b)
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				checkHeader(t, h, b, recs, opts)
				want := withOffsets(recs, opts.BaseOffset)
				if opts.LogAppendTime {
					for i := range want {
						want[i].Timestamp = h.MaxTimestamp
					}
				}
				if d := diffRecords(got, want); d != "" {
					t.Fatal(d)
				}
			})
		}
	}
}

// TestRunnelToKmsg encodes with every codec and parses the result with kmsg
// and kgo's decompressor, checking every field.
func TestRunnelToKmsg(t *testing.T) {
	recs := interopRecords()
	for _, c := range allCompressions {
		for _, o := range interopOpts {
			t.Run(c.String()+"/"+o.name, func(t *testing.T) {
				opts := o.opts
				opts.Compression = c
				b := mustEncode(t, recs, opts)
				var kb kmsg.RecordBatch
				if err := kb.ReadFrom(b); err != nil {
					t.Fatalf("kmsg: %v", err)
				}
				pid, epoch, seq := opts.ProducerID, opts.ProducerEpoch, opts.BaseSequence
				if pid == 0 {
					pid, epoch, seq = -1, -1, -1
				}
				maxTS := recs[0].Timestamp
				for _, r := range recs {
					maxTS = max(maxTS, r.Timestamp)
				}
				attrs := int16(c)
				if opts.LogAppendTime {
					attrs |= 0x08
				}
				switch {
				case kb.FirstOffset != opts.BaseOffset, kb.Length != int32(len(b)-12),
					kb.PartitionLeaderEpoch != opts.PartitionLeaderEpoch, kb.Magic != 2,
					uint32(kb.CRC) != checksum(b[21:]), kb.Attributes != attrs,
					kb.LastOffsetDelta != int32(len(recs)-1), kb.FirstTimestamp != recs[0].Timestamp,
					kb.MaxTimestamp != maxTS, kb.ProducerID != pid, kb.ProducerEpoch != epoch,
					kb.FirstSequence != seq, kb.NumRecords != int32(len(recs)):
					t.Fatalf("kmsg read header %+v", kb)
				}
				raw := kb.Records
				if c != CompressionNone {
					var err error
					raw, err = kgo.DefaultDecompressor().Decompress(raw, kgo.CompressionCodecType(c))
					if err != nil {
						t.Fatalf("kgo decompress: %v", err)
					}
				}
				for i, want := range recs {
					length, n := binary.Varint(raw)
					if n <= 0 || int(length) > len(raw)-n {
						t.Fatalf("record %d: bad length prefix", i)
					}
					var kr kmsg.Record
					if err := kr.ReadFrom(raw[:n+int(length)]); err != nil {
						t.Fatalf("record %d: kmsg: %v", i, err)
					}
					raw = raw[n+int(length):]
					got := Record{
						Offset:    kb.FirstOffset + int64(kr.OffsetDelta),
						Timestamp: kb.FirstTimestamp + kr.TimestampDelta64,
						Key:       kr.Key,
						Value:     kr.Value,
					}
					for _, h := range kr.Headers {
						got.Headers = append(got.Headers, Header{Key: h.Key, Value: h.Value})
					}
					want.Offset = opts.BaseOffset + int64(i)
					if kr.Length != int32(length) || kr.Attributes != 0 || kr.OffsetDelta != int32(i) {
						t.Fatalf("record %d: length %d/%d attributes %d offset delta %d", i, kr.Length, length, kr.Attributes, kr.OffsetDelta)
					}
					if d := diffRecords([]Record{got}, []Record{want}); d != "" {
						t.Fatalf("record %d: %s", i, d)
					}
				}
				if len(raw) != 0 {
					t.Fatalf("%d bytes after the records", len(raw))
				}
			})
		}
	}
}

// TestSameBytesAsKmsg compares whole batches byte for byte. Uncompressed and
// snappy (one raw block from the same encoder as kgo) must be identical.
func TestSameBytesAsKmsg(t *testing.T) {
	sets := map[string][]Record{
		"sample":     interopRecords(),
		"one null":   {{}},
		"extreme ts": {{Timestamp: -1 << 62}, {Timestamp: 1 << 62}},
	}
	for name, recs := range sets {
		for _, c := range []Compression{CompressionNone, CompressionSnappy} {
			for _, o := range interopOpts {
				t.Run(name+"/"+c.String()+"/"+o.name, func(t *testing.T) {
					opts := o.opts
					opts.Compression = c
					ours := mustEncode(t, recs, opts)
					theirs := kmsgBatch(t, recs, opts)
					if !bytes.Equal(ours, theirs) {
						i := 0
						for i < min(len(ours), len(theirs)) && ours[i] == theirs[i] {
							i++
						}
						t.Fatalf("batches differ at byte %d (%d vs %d bytes)", i, len(ours), len(theirs))
					}
				})
			}
		}
	}
}
