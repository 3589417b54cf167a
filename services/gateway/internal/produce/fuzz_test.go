package produce

import (
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/record"
)

// FuzzValidateRequest feeds arbitrary JSON bodies through the REST decoding and the whole-request
// validation. Invariants: no panic; a request that validates has one item per record, each with a
// partition in range, and its records encode to a batch no larger than the sum of their shares,
// each alone within max.message.bytes.
func FuzzValidateRequest(f *testing.F) {
	f.Add([]byte(`{"acks":"all","records":[{"key":"user-1","value":"hello","headers":{"h":"v"}},{"value":"no key"},{"partition":2,"value":"pinned"}]}`))
	f.Add([]byte(`{"acks":0,"records":[{"key_base64":"AAEC","value_base64":"/w=="}]}`))
	f.Add([]byte(`{"records":[{"key":"k","key_base64":"aw=="}]}`))
	f.Add([]byte(`{"acks":"2","records":[]}`))
	f.Add([]byte(`{"records":[{"timestamp_ms":"-5","partition":-1}]}`))
	f.Add([]byte(`{"timeout_ms":100,"records":[{"value":"` + string(make([]byte, 300)) + `"}]}`))
	topic := &runnelv1.Topic{Name: "t", Partitions: 3, Configs: map[string]string{"max.message.bytes": "256"}}
	c := newChooser()
	f.Fuzz(func(t *testing.T, body []byte) {
		var req runnelv1.ProduceRequest
		if protojson.Unmarshal(body, &req) != nil {
			return
		}
		_, _ = ParseAcks(req.GetAcks())
		items, err := prepare(&req, topic, time.UnixMilli(1), "")
		if err != nil {
			return
		}
		if len(items) != len(req.GetRecords()) {
			t.Fatalf("%d items for %d records", len(items), len(req.GetRecords()))
		}
		c.assign("t", 3, items)
		recs := make([]record.Record, len(items))
		bound := record.HeaderSize
		for i, it := range items {
			if it.partition < 0 || it.partition >= 3 {
				t.Fatalf("record %d got partition %d", i, it.partition)
			}
			if n := singleBatchSize(&it.rec); n > 256 {
				t.Fatalf("record %d passed validation with a %d-byte batch", i, n)
			}
			recs[i] = it.rec
			bound += it.share
		}
		enc, err := record.Encode(nil, recs, record.EncodeOptions{})
		if err != nil {
			t.Fatalf("valid records do not encode: %v", err)
		}
		if len(enc) > bound {
			t.Fatalf("batch of %d bytes above its bound %d", len(enc), bound)
		}
	})
}
