package produce

import (
	"errors"
	"strings"
	"testing"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/partitioner"
	"github.com/runnel/runnel/pkg/record"
	"github.com/runnel/runnel/pkg/rpcerr"
)

func str(s string) *string { return &s }
func i32(v int32) *int32   { return &v }
func i64(v int64) *int64   { return &v }

func TestPartitionChoice(t *testing.T) {
	topic := &runnelv1.Topic{Name: "t", Partitions: 5}
	keys := []string{"user-1", "user-2", "", "k", "a longer key with spaces", "ключ"}
	var recs []*runnelv1.ProduceRecord
	for _, k := range keys {
		recs = append(recs, &runnelv1.ProduceRecord{Key: str(k), Value: str("v")})
	}
	recs = append(recs,
		&runnelv1.ProduceRecord{KeyBase64: []byte{0, 1, 2, 0xff}},
		&runnelv1.ProduceRecord{Key: str("user-1"), Partition: i32(4)}, // explicit wins over the key
		&runnelv1.ProduceRecord{Value: str("rr")},
		&runnelv1.ProduceRecord{Value: str("rr")},
		&runnelv1.ProduceRecord{Value: str("rr")},
		&runnelv1.ProduceRecord{Value: str("rr")},
		&runnelv1.ProduceRecord{Value: str("rr")},
	)
	items, err := prepare(&runnelv1.ProduceRequest{Records: recs}, topic, time.Now(), "")
	if err != nil {
		t.Fatal(err)
	}
	c := newChooser()
	c.assign("t", 5, items)
	for i, k := range keys {
		if want := int32(partitioner.ForKey([]byte(k), 5)); items[i].partition != want {
			t.Errorf("key %q went to %d, want %d (partitioner.ForKey)", k, items[i].partition, want)
		}
	}
	n := len(keys)
	if want := int32(partitioner.ForKey([]byte{0, 1, 2, 0xff}, 5)); items[n].partition != want {
		t.Errorf("binary key went to %d, want %d", items[n].partition, want)
	}
	if items[n+1].partition != 4 {
		t.Errorf("explicit partition 4 became %d", items[n+1].partition)
	}
	seen := map[int32]bool{}
	for _, it := range items[n+2:] {
		seen[it.partition] = true
	}
	if len(seen) != 5 {
		t.Errorf("5 unkeyed records covered partitions %v, want all 5 (round-robin)", seen)
	}
	// The round-robin continues across requests of the same topic.
	more, _ := prepare(&runnelv1.ProduceRequest{Records: []*runnelv1.ProduceRecord{{Value: str("x")}}}, topic, time.Now(), "")
	c.assign("t", 5, more)
	if last := items[len(items)-1].partition; more[0].partition != (last+1)%5 {
		t.Errorf("next request's unkeyed record went to %d after %d", more[0].partition, last)
	}
}

func TestPrepareConvertsRecords(t *testing.T) {
	topic := &runnelv1.Topic{Name: "t", Partitions: 1}
	now := time.UnixMilli(1_000_000)
	items, err := prepare(&runnelv1.ProduceRequest{Records: []*runnelv1.ProduceRecord{
		{Key: str(""), Value: str("text"), Headers: map[string]string{"b": "2", "a": ""}},
		{KeyBase64: []byte{}, ValueBase64: []byte{1, 2}, TimestampMs: i64(42)},
		{},
	}}, topic, now, "")
	if err != nil {
		t.Fatal(err)
	}
	r0, r1, r2 := items[0].rec, items[1].rec, items[2].rec
	if r0.Key == nil || len(r0.Key) != 0 || string(r0.Value) != "text" || r0.Timestamp != now.UnixMilli() {
		t.Errorf("record 0 = %+v: want an empty (not null) key and the gateway's time", r0)
	}
	if len(r0.Headers) != 2 || r0.Headers[0].Key != "a" || r0.Headers[0].Value == nil || r0.Headers[1].Key != "b" {
		t.Errorf("headers = %+v: want sorted, an empty value not null", r0.Headers)
	}
	if r1.Key == nil || string(r1.Value) != "\x01\x02" || r1.Timestamp != 42 {
		t.Errorf("record 1 = %+v", r1)
	}
	if r2.Key != nil || r2.Value != nil {
		t.Errorf("record 2 = %+v: want null key and value", r2)
	}
}

func TestPrepareRejects(t *testing.T) {
	topic := &runnelv1.Topic{Name: "t", Partitions: 3, Configs: map[string]string{"max.message.bytes": "200"}}
	big := strings.Repeat("x", 200)
	tests := []struct {
		name string
		recs []*runnelv1.ProduceRecord
		want *rpcerr.Code
	}{
		{"no records", nil, rpcerr.InvalidRequest},
		{"key twice", []*runnelv1.ProduceRecord{{Key: str("k"), KeyBase64: []byte("k")}}, rpcerr.InvalidRequest},
		{"value twice", []*runnelv1.ProduceRecord{{Value: str("v"), ValueBase64: []byte("v")}}, rpcerr.InvalidRequest},
		{"partition too high", []*runnelv1.ProduceRecord{{Partition: i32(3)}}, rpcerr.UnknownTopicOrPartition},
		{"partition negative", []*runnelv1.ProduceRecord{{Partition: i32(-1)}}, rpcerr.UnknownTopicOrPartition},
		{"negative timestamp", []*runnelv1.ProduceRecord{{TimestampMs: i64(-1)}}, rpcerr.InvalidRequest},
		{"too large", []*runnelv1.ProduceRecord{{Value: str("ok")}, {Value: str(big)}}, rpcerr.MessageTooLarge},
		{"too large by headers", []*runnelv1.ProduceRecord{{Headers: map[string]string{"h": big}}}, rpcerr.MessageTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := prepare(&runnelv1.ProduceRequest{Records: tt.recs}, topic, time.Now(), "")
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %s", err, tt.want.Name)
			}
		})
	}
}

// The size checks are exact for one record and an upper bound for a batch, or batches could
// pass max.message.bytes.
func TestSizes(t *testing.T) {
	recs := []record.Record{
		{Timestamp: 1},
		{Timestamp: 1 << 40, Key: []byte("key"), Value: []byte(strings.Repeat("v", 300))},
		{Timestamp: 5, Key: []byte{}, Value: []byte{}, Headers: []record.Header{{Key: "a", Value: nil}, {Key: "bb", Value: []byte("x")}}},
		{Timestamp: 7, Value: make([]byte, 70000), Headers: []record.Header{{Key: strings.Repeat("h", 200), Value: make([]byte, 20000)}}},
	}
	total := record.HeaderSize
	for i := range recs {
		enc, err := record.Encode(nil, recs[i:i+1], record.EncodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := singleBatchSize(&recs[i]); got != len(enc) {
			t.Errorf("record %d: singleBatchSize = %d, encoded %d", i, got, len(enc))
		}
		total += batchShare(&recs[i])
	}
	enc, err := record.Encode(nil, recs, record.EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if total < len(enc) {
		t.Errorf("batch bound %d below the encoded size %d", total, len(enc))
	}
}

func TestMaxMessageBytes(t *testing.T) {
	tests := []struct {
		configs map[string]string
		want    int
	}{
		{nil, DefaultMaxMessageBytes},
		{map[string]string{"max.message.bytes": "5000"}, 5000},
		{map[string]string{"max.message.bytes": "junk"}, DefaultMaxMessageBytes},
		{map[string]string{"max.message.bytes": "-3"}, DefaultMaxMessageBytes},
	}
	for _, tt := range tests {
		if got := maxMessageBytes(&runnelv1.Topic{Configs: tt.configs}); got != tt.want {
			t.Errorf("maxMessageBytes(%v) = %d, want %d", tt.configs, got, tt.want)
		}
	}
}

func TestCommonError(t *testing.T) {
	fail := func(name string) *runnelv1.ProduceResult {
		return &runnelv1.ProduceResult{Error: str(name), Message: str("why")}
	}
	ok := &runnelv1.ProduceResult{Offset: i64(3)}
	tests := []struct {
		name    string
		results []*runnelv1.ProduceResult
		want    *rpcerr.Code
	}{
		{"all same", []*runnelv1.ProduceResult{fail("NOT_ENOUGH_REPLICAS"), fail("NOT_ENOUGH_REPLICAS")}, rpcerr.NotEnoughReplicas},
		{"one", []*runnelv1.ProduceResult{fail("REQUEST_TIMED_OUT")}, rpcerr.RequestTimedOut},
		{"mixed errors", []*runnelv1.ProduceResult{fail("NOT_ENOUGH_REPLICAS"), fail("REQUEST_TIMED_OUT")}, nil},
		{"some ok", []*runnelv1.ProduceResult{fail("NOT_ENOUGH_REPLICAS"), ok}, nil},
		{"all ok", []*runnelv1.ProduceResult{ok}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := commonError(tt.results)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("err = %v, want none", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %s", err, tt.want.Name)
			}
		})
	}
}

// The request's traceparent goes on every record without one, in key order with the others, and
// counts in the record's size.
func TestPrepareAddsTraceparent(t *testing.T) {
	const tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	const own = "00-11111111111111111111111111111111-2222222222222222-01"
	topic := &runnelv1.Topic{Name: "t", Partitions: 1}
	tests := []struct {
		name        string
		traceparent string
		headers     map[string]string
		want        []record.Header
	}{
		{"no headers", tp, nil, []record.Header{{Key: "traceparent", Value: []byte(tp)}}},
		{"sorted among others", tp, map[string]string{"a": "1", "z": "2"},
			[]record.Header{{Key: "a", Value: []byte("1")}, {Key: "traceparent", Value: []byte(tp)}, {Key: "z", Value: []byte("2")}}},
		{"the record's own wins", tp, map[string]string{"traceparent": own}, []record.Header{{Key: "traceparent", Value: []byte(own)}}},
		{"tracing off", "", map[string]string{"a": "1"}, []record.Header{{Key: "a", Value: []byte("1")}}},
		{"tracing off, no headers", "", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := &runnelv1.ProduceRequest{Records: []*runnelv1.ProduceRecord{{Value: str("v"), Headers: tc.headers}}}
			items, err := prepare(req, topic, time.Now(), tc.traceparent)
			if err != nil {
				t.Fatal(err)
			}
			got := items[0].rec.Headers
			if len(got) != len(tc.want) {
				t.Fatalf("headers %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i].Key != tc.want[i].Key || string(got[i].Value) != string(tc.want[i].Value) {
					t.Fatalf("headers %v, want %v", got, tc.want)
				}
			}
			plain, _ := prepare(req, topic, time.Now(), "")
			if tc.traceparent != "" && tc.headers["traceparent"] == "" && items[0].share <= plain[0].share {
				t.Errorf("share %d does not count the header (%d without)", items[0].share, plain[0].share)
			}
		})
	}
}
