package record

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	big := bytes.Repeat([]byte("runnel streams records "), 48<<10) // ~1 MiB, compressible
	sets := []struct {
		name string
		recs []Record
	}{
		{"all null", []Record{{}}},
		{"null key, value", []Record{{Timestamp: 5, Value: []byte("v")}}},
		{"empty key and value", []Record{{Timestamp: 5, Key: []byte{}, Value: []byte{}}}},
		{"headers", []Record{{
			Timestamp: 9,
			Key:       []byte("k"),
			Value:     []byte("v"),
			Headers: []Header{
				{Key: "trace", Value: []byte("abc")},
				{Key: "", Value: []byte{}},
				{Key: "null", Value: nil},
			},
		}}},
		{"negative timestamp deltas", []Record{
			{Timestamp: 1_000_000, Value: []byte("a")},
			{Timestamp: 999_000, Value: []byte("b")},
			{Timestamp: 1_000_500, Value: []byte("c")},
			{Timestamp: -5, Value: []byte("d")},
		}},
		{"timestamp extremes", []Record{
			{Timestamp: math.MinInt64},
			{Timestamp: math.MaxInt64},
			{Timestamp: 0},
			{Timestamp: -1},
		}},
		{"varint width boundaries", []Record{
			{Timestamp: 63, Key: make([]byte, 63), Value: make([]byte, 64)},
			{Timestamp: 64, Key: make([]byte, 8191), Value: make([]byte, 8192)},
			{Timestamp: -64, Key: make([]byte, 1<<20)},
		}},
		{"many records", sampleRecords(1000, 1)},
		{"large value", []Record{{Timestamp: 1, Key: []byte("big"), Value: big}}},
	}
	optSets := []struct {
		name string
		opts EncodeOptions
	}{
		{"defaults", EncodeOptions{}},
		{"offsets and producer", EncodeOptions{BaseOffset: 1 << 40, PartitionLeaderEpoch: 17, ProducerID: 4242, ProducerEpoch: 3, BaseSequence: 99}},
	}
	for _, c := range allCompressions {
		for _, set := range sets {
			for _, o := range optSets {
				t.Run(c.String()+"/"+set.name+"/"+o.name, func(t *testing.T) {
					opts := o.opts
					opts.Compression = c
					prefix := []byte("prefix")
					b, err := Encode(bytes.Clone(prefix), set.recs, opts)
					if err != nil {
						t.Fatalf("Encode: %v", err)
					}
					if !bytes.Equal(b[:len(prefix)], prefix) {
						t.Fatalf("Encode overwrote dst's prefix")
					}
					b = b[len(prefix):]
					h, got, err := Decode(b)
					if err != nil {
						t.Fatalf("Decode: %v", err)
					}
					if d := diffRecords(got, withOffsets(set.recs, opts.BaseOffset)); d != "" {
						t.Fatal(d)
					}
					checkHeader(t, h, b, set.recs, opts)
				})
			}
		}
	}
}

// checkHeader checks every header field Encode wrote.
func checkHeader(t *testing.T, h BatchHeader, b []byte, recs []Record, opts EncodeOptions) {
	t.Helper()
	maxTS := recs[0].Timestamp
	for _, r := range recs {
		maxTS = max(maxTS, r.Timestamp)
	}
	pid, epoch, seq := opts.ProducerID, opts.ProducerEpoch, opts.BaseSequence
	if pid == 0 {
		pid, epoch, seq = -1, -1, -1
	}
	want := BatchHeader{
		BaseOffset:           opts.BaseOffset,
		Length:               int32(len(b) - 12),
		PartitionLeaderEpoch: opts.PartitionLeaderEpoch,
		Magic:                2,
		CRC:                  checksum(b[21:]),
		Attributes:           int16(opts.Compression),
		LastOffsetDelta:      int32(len(recs) - 1),
		FirstTimestamp:       recs[0].Timestamp,
		MaxTimestamp:         maxTS,
		ProducerID:           pid,
		ProducerEpoch:        epoch,
		BaseSequence:         seq,
		RecordCount:          int32(len(recs)),
	}
	if opts.LogAppendTime {
		want.Attributes |= 0x08
	}
	if h != want {
		t.Fatalf("header\n got %+v\nwant %+v", h, want)
	}
	if h.Size() != len(b) || h.Compression() != opts.Compression || h.LastOffset() != opts.BaseOffset+int64(len(recs)-1) {
		t.Fatalf("Size %d Compression %v LastOffset %d for a %d-byte batch of %d records", h.Size(), h.Compression(), h.LastOffset(), len(b), len(recs))
	}
	if h.LogAppendTime() != opts.LogAppendTime || h.Transactional() || h.Control() {
		t.Fatalf("attribute flags wrong: %#x", h.Attributes)
	}
}

func TestLogAppendTime(t *testing.T) {
	recs := []Record{{Timestamp: 10, Value: []byte("a")}, {Timestamp: 30}, {Timestamp: 20}}
	t.Run("encode option", func(t *testing.T) {
		b := mustEncode(t, recs, EncodeOptions{LogAppendTime: true})
		h, got, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		if !h.LogAppendTime() || h.MaxTimestamp != 30 {
			t.Fatalf("header %+v", h)
		}
		for i, r := range got {
			if r.Timestamp != 30 {
				t.Fatalf("record %d timestamp %d, want the max timestamp 30", i, r.Timestamp)
			}
		}
	})
	t.Run("stamp a batch", func(t *testing.T) {
		for _, c := range allCompressions {
			b := mustEncode(t, recs, EncodeOptions{Compression: c})
			if err := SetLogAppendTime(b, 777); err != nil {
				t.Fatal(err)
			}
			h, got, err := Decode(b)
			if err != nil {
				t.Fatalf("%v: after SetLogAppendTime: %v", c, err)
			}
			if !h.LogAppendTime() || h.MaxTimestamp != 777 || h.FirstTimestamp != 10 || h.Compression() != c {
				t.Fatalf("%v: header %+v", c, h)
			}
			for i, r := range got {
				if r.Timestamp != 777 {
					t.Fatalf("%v: record %d timestamp %d, want 777", c, i, r.Timestamp)
				}
			}
		}
	})
	t.Run("refuses a corrupt batch", func(t *testing.T) {
		b := mustEncode(t, recs, EncodeOptions{})
		b[len(b)-1] ^= 0xff
		before := bytes.Clone(b)
		if err := SetLogAppendTime(b, 777); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("err %v, want ErrCorrupt", err)
		}
		if !bytes.Equal(b, before) {
			t.Fatal("a refused batch was modified")
		}
	})
}

func TestSetBaseOffsetAndEpoch(t *testing.T) {
	for _, c := range allCompressions {
		t.Run(c.String(), func(t *testing.T) {
			recs := sampleRecords(5, 2)
			b := mustEncode(t, recs, EncodeOptions{Compression: c})
			SetBaseOffset(b, 123456789)
			SetPartitionLeaderEpoch(b, 42)
			h, got, err := Decode(b)
			if err != nil {
				t.Fatalf("Decode after Set*: %v", err)
			}
			if h.BaseOffset != 123456789 || h.PartitionLeaderEpoch != 42 || h.LastOffset() != 123456793 || h.NextOffset() != 123456794 {
				t.Fatalf("header %+v", h)
			}
			if d := diffRecords(got, withOffsets(recs, 123456789)); d != "" {
				t.Fatal(d)
			}
		})
	}
	t.Run("short slice untouched", func(t *testing.T) {
		b := make([]byte, HeaderSize-1)
		SetBaseOffset(b, -1)
		SetPartitionLeaderEpoch(b, -1)
		if !bytes.Equal(b, make([]byte, HeaderSize-1)) {
			t.Fatal("short slice modified")
		}
	})
}

func TestEncodeErrors(t *testing.T) {
	huge := make([]byte, MaxRecordsBytes)
	tests := []struct {
		name string
		recs []Record
		opts EncodeOptions
		want error
	}{
		{"no records", nil, EncodeOptions{}, ErrNoRecords},
		{"unknown codec", []Record{{}}, EncodeOptions{Compression: 5}, ErrUnsupportedCompression},
		{"negative codec", []Record{{}}, EncodeOptions{Compression: -1}, ErrUnsupportedCompression},
		{"record too large", []Record{{Value: huge}}, EncodeOptions{}, ErrTooLarge},
		{"records too large", []Record{{Value: huge[:MaxRecordsBytes/2]}, {Value: huge[:MaxRecordsBytes/2]}}, EncodeOptions{Compression: CompressionZstd}, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := []byte("keep")
			out, err := Encode(dst, tt.recs, tt.opts)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
			if string(out) != "keep" {
				t.Fatalf("dst changed to %.20q on error", out)
			}
		})
	}
}

func TestEncodeAppendsBatches(t *testing.T) {
	var buf []byte
	var want [][]Record
	for i := range 4 {
		recs := sampleRecords(i+1, uint64(i))
		var err error
		buf, err = Encode(buf, recs, EncodeOptions{BaseOffset: int64(10 * i), Compression: allCompressions[i]})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, withOffsets(recs, int64(10*i)))
	}
	for i := 0; ; i++ {
		batch, rest, err := Next(buf)
		if i == len(want) {
			if batch != nil || err == nil {
				t.Fatalf("after %d batches: batch %v err %v, want io.EOF", i, batch != nil, err)
			}
			break
		}
		if err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		_, got, err := Decode(batch)
		if err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		if d := diffRecords(got, want[i]); d != "" {
			t.Fatalf("batch %d: %s", i, d)
		}
		buf = rest
	}
}

func TestDecodeDoesNotAlias(t *testing.T) {
	b := mustEncode(t, []Record{{Key: []byte("key"), Value: []byte("value"), Headers: []Header{{Key: "h", Value: []byte("hv")}}}}, EncodeOptions{})
	_, got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] = 0
	}
	if string(got[0].Key) != "key" || string(got[0].Value) != "value" || string(got[0].Headers[0].Value) != "hv" {
		t.Fatalf("decoded record changed with its input: %+v", got[0])
	}
	// Appending to a decoded field must not overwrite its neighbour.
	_ = append(got[0].Key, "XXXXXXXX"...)
	if string(got[0].Value) != "value" {
		t.Fatalf("append to key overwrote value: %q", got[0].Value)
	}
}

func TestCompressionString(t *testing.T) {
	want := []string{"none", "gzip", "snappy", "lz4", "zstd"}
	for i, c := range allCompressions {
		if c.String() != want[i] || !c.Valid() {
			t.Fatalf("%d: %q valid %v", i, c.String(), c.Valid())
		}
	}
	if Compression(5).Valid() || Compression(5).String() != "compression(5)" {
		t.Fatal("codec 5 must be invalid")
	}
}

// TestConcurrentUse runs Encode and Decode of every codec from several
// goroutines at once: the shared codec state must not mix batches (run
// with -race).
func TestConcurrentUse(t *testing.T) {
	done := make(chan error, 4)
	for g := range 4 {
		go func() {
			for i := range 30 {
				c := allCompressions[(g+i)%len(allCompressions)]
				recs := sampleRecords(1+i%7, uint64(g*100+i))
				b, err := Encode(nil, recs, EncodeOptions{Compression: c, BaseOffset: int64(i)})
				if err != nil {
					done <- err
					return
				}
				_, got, err := Decode(b)
				if err != nil {
					done <- err
					return
				}
				if d := diffRecords(got, withOffsets(recs, int64(i))); d != "" {
					done <- errors.New(d)
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
