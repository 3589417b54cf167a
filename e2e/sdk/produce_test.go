package sdk

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/runnel/runnel/e2e/harness"
	"github.com/runnel/runnel/pkg/client"
	"github.com/runnel/runnel/pkg/partitioner"
)

// TestProduceConsumeInOrder: 5,000 records (4,000 keyed over 200 keys, 1,000 unkeyed) sent with
// the SDK's async producer (acks=all, RF 3) are all read back with the SDK's Consumer, each at the
// partition and offset its delivery reported, offsets contiguous per partition, per-key order
// kept, headers intact, keyed records on Kafka's murmur2 partition.
func TestProduceConsumeInOrder(t *testing.T) {
	const topic, parts, keys, perKey, unkeyed = "orders", 6, 200, 20, 1000
	c, cl := startCluster(t, 3)
	createTopic(t, c, topic, parts, 3)
	ctx := testCtx(t, 3*time.Minute)

	p, err := cl.NewProducer(client.WithLinger(5 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cctx, cancel := closeCtx()
		defer cancel()
		_ = p.Close(cctx)
	})
	var mu sync.Mutex
	delivered := map[string]client.Delivery{}
	var failures []error
	send := func(key []byte, value string) {
		r := &client.Record{Topic: topic, Key: key, Value: []byte(value), Headers: map[string]string{"v": value}}
		err := p.SendAsync(ctx, r, func(d client.Delivery, err error) {
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failures = append(failures, fmt.Errorf("%s: %w", value, err))
				return
			}
			delivered[value] = d
		})
		if err != nil {
			t.Fatalf("send %s: %v", value, err)
		}
	}
	for seq := range perKey {
		for k := range keys {
			send([]byte("key-"+strconv.Itoa(k)), fmt.Sprintf("key-%d/%d", k, seq))
		}
		for i := range unkeyed / perKey {
			send(nil, fmt.Sprintf("none/%d", seq*(unkeyed/perKey)+i))
		}
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(failures) > 0 {
		t.Fatalf("%d records failed, first: %v", len(failures), failures[0])
	}
	mu.Unlock()
	total := keys*perKey + unkeyed
	if len(delivered) != total {
		t.Fatalf("%d records delivered, want %d", len(delivered), total)
	}
	perPartition := map[int32]int{}
	for v, d := range delivered {
		perPartition[d.Partition]++
		if key, _, ok := strings.Cut(v, "/"); ok && key != "none" {
			if want := int32(partitioner.ForKey([]byte(key), parts)); d.Partition != want {
				t.Fatalf("%s went to partition %d, murmur2 says %d", v, d.Partition, want)
			}
		}
	}

	cons, err := cl.NewConsumer(client.WithMaxPollRecords(1000))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cons.Close() })
	if err := cons.Assign(ctx, partitions(topic, parts)); err != nil {
		t.Fatal(err)
	}
	next := map[int32]int64{}
	lastSeq := map[string]int{}
	for read := 0; read < total; {
		recs, err := cons.Poll(ctx)
		if err != nil {
			t.Fatalf("poll after %d of %d records: %v", read, total, err)
		}
		for _, r := range recs {
			read++
			v := string(r.Value)
			if r.Offset != next[r.Partition] {
				t.Fatalf("partition %d: record %s at offset %d, want %d", r.Partition, v, r.Offset, next[r.Partition])
			}
			next[r.Partition]++
			if d := delivered[v]; d.Partition != r.Partition || d.Offset != r.Offset {
				t.Fatalf("record %s read at %d/%d, delivered at %d/%d", v, r.Partition, r.Offset, d.Partition, d.Offset)
			}
			if r.Headers["v"] != v {
				t.Fatalf("record %s has headers %v", v, r.Headers)
			}
			key, seqText, _ := strings.Cut(v, "/")
			seq, _ := strconv.Atoi(seqText)
			if prev, ok := lastSeq[key]; ok && key != "none" && seq <= prev {
				t.Fatalf("key %s: record %d read after %d", key, seq, prev)
			}
			lastSeq[key] = seq
		}
	}
	for part := range int32(parts) {
		if next[part] != int64(perPartition[part]) {
			t.Fatalf("partition %d: read %d records, %d delivered there", part, next[part], perPartition[part])
		}
		if pos, _ := cons.Position(client.TopicPartition{Topic: topic, Partition: part}); pos != next[part] {
			t.Fatalf("partition %d: position %d, want %d", part, pos, next[part])
		}
	}
}

// TestKeyedPartitionsMatchGateway: for text, binary and empty keys, the partition the SDK picks
// is the one the gateway picks for the same key sent over REST without a partition.
func TestKeyedPartitionsMatchGateway(t *testing.T) {
	const topic, parts = "keys", 12
	c, cl := startCluster(t, 1)
	createTopic(t, c, topic, parts, 1)
	ctx := testCtx(t, 2*time.Minute)
	var keys [][]byte
	for i := range 100 {
		keys = append(keys, []byte("user-"+strconv.Itoa(i)))
	}
	keys = append(keys, []byte{}, []byte{0xff, 0x00, 0xfe}, []byte{0x80}, []byte("ünïcödé"))

	var rest []harness.ProduceRecord
	for _, k := range keys {
		r := harness.ProduceRecord{Value: harness.Ptr("rest")}
		if utf8.Valid(k) {
			r.Key = harness.Ptr(string(k))
		} else {
			r.KeyBase64 = k
		}
		rest = append(rest, r)
	}
	resp, err := c.Client().Produce(ctx, topic, "all", rest)
	if err != nil {
		t.Fatal(err)
	}

	p, err := cl.NewProducer(client.WithLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cctx, cancel := closeCtx()
		defer cancel()
		_ = p.Close(cctx)
	})
	for i, k := range keys {
		t.Run(fmt.Sprintf("%x", k), func(t *testing.T) {
			d, err := p.Send(ctx, &client.Record{Topic: topic, Key: k, Value: []byte("sdk")})
			if err != nil {
				t.Fatal(err)
			}
			if got := resp.Results[i]; got.Error != "" || got.Partition != d.Partition {
				t.Fatalf("key %q: SDK partition %d, gateway partition %d (%s)", k, d.Partition, got.Partition, got.Error)
			}
		})
	}
}
