package e2e

import (
	"bytes"
	"testing"
	"time"

	"github.com/runnel/runnel/e2e/harness"
)

// testProduceShapes checks the produce JSON contract of API.md: results in record order, acks 0
// answers with partitions only, binary keys and values round-trip as *_base64, headers
// round-trip, keyed records land where Kafka's murmur2 puts them and an explicit partition wins.
func testProduceShapes(t *testing.T, c *harness.Cluster) {
	const topic, parts = "shapes", 6
	rest := c.Client()
	createTopic(t, rest, topic, parts, 1, nil)

	// readAt reads the one record at (partition, offset).
	readAt := func(t *testing.T, p int32, off harness.Int64) harness.ConsumedRecord {
		t.Helper()
		got, err := rest.Consume(testCtx(t, time.Minute), topic, p, int64(off), 1)
		if err != nil {
			t.Fatalf("consume %d@%d: %v", p, off, err)
		}
		if len(got.Records) != 1 || got.Records[0].Offset != off {
			t.Fatalf("consume %d@%d: %+v, want the one record at that offset", p, off, got.Records)
		}
		return got.Records[0]
	}
	produce := func(t *testing.T, acks any, recs ...harness.ProduceRecord) []harness.ProduceResult {
		t.Helper()
		res, err := rest.Produce(testCtx(t, time.Minute), topic, acks, recs)
		if err != nil {
			t.Fatalf("produce: %v", err)
		}
		if len(res.Results) != len(recs) {
			t.Fatalf("produce: %d results for %d records", len(res.Results), len(recs))
		}
		return res.Results
	}

	t.Run("results in record order", func(t *testing.T) {
		order := []int32{2, 0, 5, 2, 1, 0}
		var recs []harness.ProduceRecord
		for i, p := range order {
			recs = append(recs, harness.ProduceRecord{Partition: harness.Ptr(p), Value: harness.Ptr("order-" + string(rune('a'+i)))})
		}
		res := produce(t, "all", recs...)
		last := map[int32]harness.Int64{}
		for i, r := range res {
			if r.Partition != order[i] || r.Offset == nil || r.Error != "" {
				t.Fatalf("result %d is %+v, want partition %d with an offset", i, r, order[i])
			}
			if prev, ok := last[r.Partition]; ok && *r.Offset <= prev {
				t.Errorf("result %d: offset %d not after %d on partition %d", i, *r.Offset, prev, r.Partition)
			}
			last[r.Partition] = *r.Offset
			if got := readAt(t, r.Partition, *r.Offset); string(got.ValueBytes()) != *recs[i].Value {
				t.Errorf("record %d reads back as %q, want %q", i, got.ValueBytes(), *recs[i].Value)
			}
		}
	})

	t.Run("acks as strings and numbers", func(t *testing.T) {
		for _, acks := range []any{"all", "-1", "1", -1, 1, nil} {
			res := produce(t, acks, harness.Text("", "acks"))
			if res[0].Offset == nil || res[0].Error != "" {
				t.Errorf("acks %v: result %+v, want an offset", acks, res[0])
			}
		}
	})

	t.Run("acks 0 answers with the partition only", func(t *testing.T) {
		before := highWatermarks(t, rest, topic)[3]
		res := produce(t, "0", harness.ProduceRecord{Partition: harness.Ptr[int32](3), Value: harness.Ptr("fire and forget")})
		if res[0].Partition != 3 || res[0].Offset != nil || res[0].Error != "" {
			t.Fatalf("acks 0: result %+v, want partition 3 and no offset", res[0])
		}
		harness.Eventually(t, 30*time.Second, func() error {
			if highWatermarks(t, rest, topic)[3] <= before {
				return errNotYet("the acks=0 record is not readable yet")
			}
			return nil
		})
		if got := readAt(t, 3, harness.Int64(before)); string(got.ValueBytes()) != "fire and forget" {
			t.Errorf("acks 0 record reads back as %q", got.ValueBytes())
		}
	})

	t.Run("binary keys and values and headers round-trip", func(t *testing.T) {
		key := []byte{0xff, 0x00, 0xfe, 'k'}
		val := []byte{0x80, 0x81, 0x00, 0xc3, 0x28}
		res := produce(t, "all",
			harness.ProduceRecord{KeyBase64: key, ValueBase64: val, Headers: map[string]string{"trace": "abc", "empty": ""}},
			harness.ProduceRecord{Key: harness.Ptr("héllo wörld"), Value: harness.Ptr("ünïcode ✓"), Headers: map[string]string{"x-a": "1", "x-b": "2"}},
		)
		got := readAt(t, res[0].Partition, *res[0].Offset)
		if got.Key != nil || got.Value != nil || !bytes.Equal(got.KeyBase64, key) || !bytes.Equal(got.ValueBase64, val) {
			t.Errorf("binary record reads back as %+v, want key_base64 %x and value_base64 %x only", got, key, val)
		}
		if len(got.Headers) != 2 || got.Headers["trace"] != "abc" || got.Headers["empty"] != "" {
			t.Errorf("headers read back as %v, want trace=abc and empty=\"\"", got.Headers)
		}
		if res[0].Partition != kafkaPartition(key, parts) {
			t.Errorf("binary key went to partition %d, murmur2 says %d", res[0].Partition, kafkaPartition(key, parts))
		}
		got = readAt(t, res[1].Partition, *res[1].Offset)
		if got.Key == nil || *got.Key != "héllo wörld" || got.Value == nil || *got.Value != "ünïcode ✓" ||
			got.Headers["x-a"] != "1" || got.Headers["x-b"] != "2" {
			t.Errorf("UTF-8 record reads back as %+v", got)
		}
	})

	t.Run("keys land on murmur2 partitions and an explicit partition wins", func(t *testing.T) {
		var recs []harness.ProduceRecord
		keys := []string{"", "a", "user-1", "user-2", "order-42", "ключ", "a-much-longer-key-with-more-than-sixteen-bytes"}
		for _, k := range keys {
			recs = append(recs, harness.ProduceRecord{Key: harness.Ptr(k), Value: harness.Ptr("v")})
		}
		pinned := (kafkaPartition([]byte("user-1"), parts) + 1) % parts
		recs = append(recs, harness.ProduceRecord{Key: harness.Ptr("user-1"), Partition: harness.Ptr(pinned), Value: harness.Ptr("pinned")})
		res := produce(t, "1", recs...)
		for i, k := range keys {
			if want := kafkaPartition([]byte(k), parts); res[i].Partition != want {
				t.Errorf("key %q went to partition %d, murmur2 says %d", k, res[i].Partition, want)
			}
		}
		if last := res[len(res)-1]; last.Partition != pinned {
			t.Errorf("explicit partition %d with key user-1 went to %d", pinned, last.Partition)
		}
	})

	t.Run("unkeyed records spread over partitions", func(t *testing.T) {
		var recs []harness.ProduceRecord
		for range 2 * parts {
			recs = append(recs, harness.Text("", "spread"))
		}
		seen := map[int32]int{}
		for _, r := range produce(t, "all", recs...) {
			seen[r.Partition]++
		}
		if len(seen) != parts {
			t.Errorf("%d unkeyed records went to partitions %v, want every one of %d", 2*parts, seen, parts)
		}
	})
}

// errNotYet is the error of a condition that does not hold yet.
type errNotYet string

func (e errNotYet) Error() string { return string(e) }
