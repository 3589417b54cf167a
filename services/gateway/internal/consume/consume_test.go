package consume

import (
	"bytes"
	"errors"
	"testing"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/record"
	"github.com/runnel/runnel/pkg/rpcerr"
)

func TestConvertTextOrBase64(t *testing.T) {
	tests := []struct {
		name                 string
		key, value           []byte
		wantKey, wantValue   *string
		wantKeyB, wantValueB []byte
	}{
		{name: "text", key: []byte("user-1"), value: []byte("héllo"), wantKey: s("user-1"), wantValue: s("héllo")},
		{name: "null key and value"},
		{name: "empty", key: []byte{}, value: []byte{}, wantKey: s(""), wantValue: s("")},
		{name: "binary", key: []byte{0xff, 0x00}, value: []byte{0xc3, 0x28}, wantKeyB: []byte{0xff, 0x00}, wantValueB: []byte{0xc3, 0x28}},
		{name: "text key, binary value", key: []byte("k"), value: []byte{0x80}, wantKey: s("k"), wantValueB: []byte{0x80}},
		{name: "NUL is valid UTF-8", key: []byte{0}, value: []byte("a\x00b"), wantKey: s("\x00"), wantValue: s("a\x00b")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cr := convert(&record.Record{Offset: 7, Timestamp: 1500, Key: tt.key, Value: tt.value}, "t", 2)
			if !eqStr(cr.Key, tt.wantKey) || !eqStr(cr.Value, tt.wantValue) {
				t.Errorf("key, value = %v, %v; want %v, %v", cr.Key, cr.Value, tt.wantKey, tt.wantValue)
			}
			if !bytes.Equal(cr.KeyBase64, tt.wantKeyB) || (cr.KeyBase64 == nil) != (tt.wantKeyB == nil) {
				t.Errorf("key_base64 = %v, want %v", cr.KeyBase64, tt.wantKeyB)
			}
			if !bytes.Equal(cr.ValueBase64, tt.wantValueB) || (cr.ValueBase64 == nil) != (tt.wantValueB == nil) {
				t.Errorf("value_base64 = %v, want %v", cr.ValueBase64, tt.wantValueB)
			}
			if cr.GetOffset() != 7 || cr.GetTimestamp().AsTime() != time.UnixMilli(1500).UTC() || cr.GetTopic() != "t" || cr.GetPartition() != 2 {
				t.Errorf("record = %v", cr)
			}
		})
	}
}

func TestConvertHeaders(t *testing.T) {
	cr := convert(&record.Record{Headers: []record.Header{{Key: "a", Value: []byte("1")}, {Key: "n", Value: nil},
		{Key: "bin", Value: []byte{'x', 0xff}}, {Key: "a", Value: []byte("2")}}}, "t", 0)
	want := map[string]string{"a": "2", "n": "", "bin": "x\uFFFD"}
	if len(cr.Headers) != len(want) {
		t.Fatalf("headers = %v, want %v", cr.Headers, want)
	}
	for k, v := range want {
		if cr.Headers[k] != v {
			t.Errorf("header %q = %q, want %q", k, cr.Headers[k], v)
		}
	}
}

// batches encodes batches of n records each, starting at offset 0.
func batches(t testing.TB, sizes ...int) []byte {
	t.Helper()
	var out []byte
	var off int64
	for _, n := range sizes {
		recs := make([]record.Record, n)
		for i := range recs {
			recs[i] = record.Record{Timestamp: 1000 + off + int64(i), Value: []byte{byte('a' + (off+int64(i))%26)}}
		}
		var err error
		out, err = record.Encode(out, recs, record.EncodeOptions{BaseOffset: off})
		if err != nil {
			t.Fatal(err)
		}
		off += int64(n)
	}
	return out
}

func TestDecode(t *testing.T) {
	buf := batches(t, 3, 4, 5) // offsets 0-2, 3-6, 7-11
	tests := []struct {
		name            string
		buf             []byte
		offset, hw      int64
		limit           int
		wantFirst, want int64 // first offset, count
	}{
		{"everything", buf, 0, 12, 100, 0, 12},
		{"skip the head of the first batch", buf[0:], 2, 12, 100, 2, 10},
		{"stop at the high watermark", buf, 0, 5, 100, 0, 5},
		{"stop at max_records", buf, 1, 12, 4, 1, 4},
		{"partial trailing batch ignored", buf[:len(buf)-3], 0, 12, 100, 0, 7},
		{"only a partial batch", buf[:20], 0, 12, 100, 0, 0},
		{"empty", nil, 0, 0, 100, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decode(tt.buf, "t", 0, tt.offset, tt.hw, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(got)) != tt.want {
				t.Fatalf("got %d records, want %d", len(got), tt.want)
			}
			for i, r := range got {
				if r.GetOffset() != tt.wantFirst+int64(i) {
					t.Fatalf("record %d has offset %d, want %d", i, r.GetOffset(), tt.wantFirst+int64(i))
				}
			}
		})
	}
}

func TestDecodeCorrupt(t *testing.T) {
	buf := batches(t, 2, 2)
	first := len(batches(t, 2))
	bad := append([]byte(nil), buf...)
	bad[len(bad)-1] ^= 0xff // the second batch's CRC no longer matches
	// Consume answers the records before a corrupt batch and drops the error.
	got, err := decode(bad, "t", 0, 0, 4, 100)
	if len(got) != 2 || !errors.Is(err, rpcerr.CorruptMessage) {
		t.Fatalf("records before a corrupt batch: got %d, %v; want 2 and CORRUPT_MESSAGE", len(got), err)
	}
	_, err = decode(bad[first:], "t", 0, 2, 4, 100)
	if !errors.Is(err, rpcerr.CorruptMessage) {
		t.Fatalf("err = %v, want CORRUPT_MESSAGE", err)
	}
}

// FuzzDecode feeds arbitrary fetch bytes to decode. Invariants: no panic; records come out in
// increasing offset order within [offset, hw), at most limit of them.
func FuzzDecode(f *testing.F) {
	f.Add(batches(f, 3, 4), int64(1), int64(7), 5)
	f.Add(batches(f, 1), int64(0), int64(1), 1)
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 49}, int64(0), int64(10), 10)
	f.Fuzz(func(t *testing.T, buf []byte, offset, hw int64, limit int) {
		if limit < 1 || limit > MaxRecords {
			return
		}
		got, _ := decode(buf, "t", 0, offset, hw, limit)
		if len(got) > limit {
			t.Fatalf("%d records, limit %d", len(got), limit)
		}
		last := offset - 1
		for _, r := range got {
			if r.GetOffset() <= last || r.GetOffset() >= hw {
				t.Fatalf("offset %d out of order or outside [%d, %d)", r.GetOffset(), offset, hw)
			}
			last = r.GetOffset()
		}
	})
}

func TestLimits(t *testing.T) {
	tests := []struct {
		name       string
		req        *runnelv1.ConsumeRequest
		records    int
		wait       time.Duration
		bytes      int32
		invalidErr bool
	}{
		{"defaults", &runnelv1.ConsumeRequest{}, DefaultMaxRecords, 0, DefaultMaxBytes, false},
		{"caps", &runnelv1.ConsumeRequest{MaxRecords: 1 << 30, MaxWaitMs: 1 << 30, MaxBytes: 1 << 30}, MaxRecords, MaxWait, MaxBytes, false},
		{"as asked", &runnelv1.ConsumeRequest{MaxRecords: 7, MaxWaitMs: 250, MaxBytes: 4096}, 7, 250 * time.Millisecond, 4096, false},
		{"negative records", &runnelv1.ConsumeRequest{MaxRecords: -1}, 0, 0, 0, true},
		{"negative wait", &runnelv1.ConsumeRequest{MaxWaitMs: -1}, 0, 0, 0, true},
		{"negative bytes", &runnelv1.ConsumeRequest{MaxBytes: -1}, 0, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := ParseLimits(tt.req.GetMaxRecords(), tt.req.GetMaxWaitMs(), tt.req.GetMaxBytes())
			r, w, b := l.Records, l.Wait, l.Bytes
			if tt.invalidErr {
				if !errors.Is(err, rpcerr.InvalidRequest) {
					t.Fatalf("err = %v, want INVALID_REQUEST", err)
				}
				return
			}
			if err != nil || r != tt.records || w != tt.wait || b != tt.bytes {
				t.Fatalf("limits = %d, %v, %d, %v", r, w, b, err)
			}
		})
	}
}

func s(v string) *string { return &v }

func eqStr(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
