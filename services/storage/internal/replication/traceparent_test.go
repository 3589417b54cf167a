package replication

import (
	"testing"

	"github.com/runnel/runnel/pkg/record"
)

const testTP = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

func encodeBatch(t testing.TB, c record.Compression, recs ...record.Record) []byte {
	t.Helper()
	b, err := record.Encode(nil, recs, record.EncodeOptions{BaseOffset: 42, Compression: c})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFirstTraceparent(t *testing.T) {
	withTP := record.Record{Key: []byte("k"), Value: []byte("v"), Headers: []record.Header{
		{Key: "a", Value: []byte("1")}, {Key: "traceparent", Value: []byte(testTP)}, {Key: "z", Value: nil}}}
	plain := record.Record{Value: []byte("v")}
	two := append(encodeBatch(t, record.CompressionNone, withTP), encodeBatch(t, record.CompressionNone, plain)...)
	tests := []struct {
		name    string
		records []byte
		want    string
		ok      bool
	}{
		{"first record has it", encodeBatch(t, record.CompressionNone, withTP, plain), testTP, true},
		{"several batches: the first counts", two, testTP, true},
		{"only a later record has it", encodeBatch(t, record.CompressionNone, plain, withTP), "", false},
		{"no headers", encodeBatch(t, record.CompressionNone, plain), "", false},
		{"null key and value", encodeBatch(t, record.CompressionNone, record.Record{Headers: withTP.Headers}), testTP, true},
		{"compressed", encodeBatch(t, record.CompressionGzip, withTP), "", false},
		{"truncated", encodeBatch(t, record.CompressionNone, withTP)[:record.HeaderSize+5], "", false},
		{"empty", nil, "", false},
		{"garbage", []byte("not a batch at all, not even close to one......................"), "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, ok := firstTraceparent(tc.records)
			if ok != tc.ok || string(v) != tc.want {
				t.Fatalf("firstTraceparent = %q, %v; want %q, %v", v, ok, tc.want, tc.ok)
			}
		})
	}
}

func FuzzFirstTraceparent(f *testing.F) {
	f.Add(encodeBatch(f, record.CompressionNone, record.Record{Value: []byte("v"),
		Headers: []record.Header{{Key: "traceparent", Value: []byte(testTP)}}}))
	f.Add(encodeBatch(f, record.CompressionNone, record.Record{Key: []byte("k")}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		v, ok := firstTraceparent(b)
		if !ok && v != nil {
			t.Fatalf("value %q without ok", v)
		}
		if ok {
			if _, recs, err := record.Decode(b); err == nil && len(recs) > 0 {
				// A batch that decodes must agree with the full decoder.
				var want string
				found := false
				for _, h := range recs[0].Headers {
					if h.Key == "traceparent" && h.Value != nil {
						want, found = string(h.Value), true
						break
					}
				}
				if !found || want != string(v) {
					t.Fatalf("firstTraceparent %q, the decoder's first record has %q (%v)", v, want, found)
				}
			}
		}
	})
}
