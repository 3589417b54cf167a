package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runnel/runnel/e2e/harness"
)

// loc is where a record is: partition and offset.
type loc struct {
	partition int32
	offset    int64
}

// TestKeyedRecordsSurviveRestart is issue 2's scenario: 10,000 keyed records produced over REST
// (acks=all, requests of 500, two concurrent producers with disjoint keys) into 6 partitions are
// all read back with REST and with the CLI, exactly once, each key in the one partition Kafka's
// murmur2 gives, per-key order kept, offsets contiguous; after the cluster is stopped and started
// again every record is still there at the same offset.
func TestKeyedRecordsSurviveRestart(t *testing.T) {
	const topic, parts, keys = "keyed", 6, 200
	perKey := 50 // 10,000 records
	if long() {
		perKey = 500
	}
	total := keys * perKey
	c := harness.Start(t, harness.Options{})
	createTopic(t, c.Client(), topic, parts, 1, nil)

	start := time.Now()
	produced := produceKeyed(t, c.Client(), topic, keys, perKey)
	t.Logf("%d records produced in %s", total, time.Since(start).Round(time.Millisecond))
	if len(produced) != total {
		t.Fatalf("%d records acknowledged, want %d", len(produced), total)
	}
	for v, l := range produced {
		key, _ := parseKeyed(t, v)
		if want := kafkaPartition([]byte(key), parts); l.partition != want {
			t.Fatalf("record %s went to partition %d; Kafka's murmur2 partitioner says %d", v, l.partition, want)
		}
	}

	before := readKeyed(t, c.Client(), topic, parts, keys, perKey)
	for l, v := range before {
		if produced[v] != l {
			t.Fatalf("record %s read at %v, acknowledged at %v", v, l, produced[v])
		}
	}

	t.Logf("read back over REST at %s", time.Since(start).Round(time.Millisecond))

	// The CLI reads the same records at the same places.
	out := c.MustRunCLI(t, "", "consume", topic, "--offset", "earliest", "--max", strconv.Itoa(total), "--format", "json")
	cli := parseJSONLines(t, out)
	if len(cli) != total {
		t.Fatalf("runnel consume --max %d printed %d records", total, len(cli))
	}
	seen := map[loc]bool{}
	for _, r := range cli {
		l := loc{r.Partition, int64(r.Offset)}
		if seen[l] {
			t.Fatalf("runnel consume printed %v twice", l)
		}
		seen[l] = true
		if v := before[l]; string(r.ValueBytes()) != v || !strings.HasPrefix(v, string(r.KeyBytes())+"/") || r.Topic != topic {
			t.Fatalf("runnel consume printed %s=%s (topic %q) at %v; REST reads %s there", r.KeyBytes(), r.ValueBytes(), r.Topic, l, v)
		}
	}

	t.Logf("read back with the CLI at %s", time.Since(start).Round(time.Millisecond))
	c.Stop(t)
	t.Logf("stopped at %s", time.Since(start).Round(time.Millisecond))
	c.StartAgain(t)
	t.Logf("started again at %s", time.Since(start).Round(time.Millisecond))
	var after map[loc]string
	harness.Eventually(t, 60*time.Second, func() error {
		for p := range int32(parts) {
			if _, _, err := c.Client().ConsumeAll(testCtx(t, 30*time.Second), topic, p, 0); err != nil {
				return err
			}
		}
		return nil
	})
	after = readKeyed(t, c.Client(), topic, parts, keys, perKey)
	for l, v := range before {
		if after[l] != v {
			t.Fatalf("after the restart %v holds %q, before it held %q", l, after[l], v)
		}
	}
}

// keyedValue is the value of the seq-th record of key: "key-007/00042".
func keyedValue(key string, seq int) string { return fmt.Sprintf("%s/%05d", key, seq) }

func parseKeyed(t *testing.T, v string) (string, int) {
	t.Helper()
	key, s, ok := strings.Cut(v, "/")
	seq, err := strconv.Atoi(s)
	if !ok || err != nil {
		t.Fatalf("value %q is not one this test wrote", v)
	}
	return key, seq
}

// produceKeyed writes perKey records for each of keys keys, in requests of 500 with acks=all,
// from two producers with disjoint keys, each sending its requests in order. It returns each
// value's acknowledged place.
func produceKeyed(t *testing.T, rest *harness.Client, topic string, keys, perKey int) map[string]loc {
	t.Helper()
	const producers, perRequest = 2, 500
	ctx := testCtx(t, 5*time.Minute)
	var (
		mu   sync.Mutex
		out  = map[string]loc{}
		errs []error
		wg   sync.WaitGroup
	)
	for w := range producers {
		var recs []harness.ProduceRecord
		for seq := range perKey {
			for k := w; k < keys; k += producers {
				key := fmt.Sprintf("key-%03d", k)
				recs = append(recs, harness.Text(key, keyedValue(key, seq)))
			}
		}
		wg.Go(func() {
			for len(recs) > 0 {
				n := min(perRequest, len(recs))
				batch := recs[:n]
				recs = recs[n:]
				res, err := rest.Produce(ctx, topic, "all", batch)
				if err == nil && len(res.Results) != len(batch) {
					err = fmt.Errorf("%d results for %d records", len(res.Results), len(batch))
				}
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
					mu.Unlock()
					return
				}
				for i, r := range res.Results {
					if r.Offset == nil {
						errs = append(errs, fmt.Errorf("record %s: %s %s", *batch[i].Value, r.Error, r.Message))
						continue
					}
					out[*batch[i].Value] = loc{r.Partition, int64(*r.Offset)}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("produce: %d errors, the first: %v", len(errs), errs[0])
	}
	return out
}

// readKeyed reads every partition over REST and checks what issue 2 promises: offsets contiguous
// from 0, every record exactly once, each key in its murmur2 partition only, per-key order kept.
func readKeyed(t *testing.T, rest *harness.Client, topic string, parts, keys, perKey int) map[loc]string {
	t.Helper()
	out := map[loc]string{}
	next := map[string]int{} // key → next sequence number expected
	keyPart := map[string]int32{}
	for p := range int32(parts) {
		recs, hw, err := rest.ConsumeAll(testCtx(t, time.Minute), topic, p, 0)
		if err != nil {
			t.Fatalf("read partition %d: %v", p, err)
		}
		if int64(len(recs)) != hw {
			t.Fatalf("partition %d: %d records below the high watermark %d", p, len(recs), hw)
		}
		for i, r := range recs {
			if int64(r.Offset) != int64(i) {
				t.Fatalf("partition %d: record %d has offset %d; offsets must be contiguous from 0", p, i, r.Offset)
			}
			v := string(r.ValueBytes())
			key, seq := parseKeyed(t, v)
			if string(r.KeyBytes()) != key {
				t.Fatalf("partition %d offset %d: key %q with value %q", p, i, r.KeyBytes(), v)
			}
			if kp, ok := keyPart[key]; ok && kp != p {
				t.Fatalf("key %s is in partitions %d and %d", key, kp, p)
			}
			keyPart[key] = p
			if want := kafkaPartition([]byte(key), parts); p != want {
				t.Fatalf("key %s is in partition %d; Kafka's murmur2 partitioner says %d", key, p, want)
			}
			if seq != next[key] {
				t.Fatalf("partition %d offset %d: %s follows sequence %d of its key; every record once and in order means %d", p, i, v, next[key]-1, next[key])
			}
			next[key]++
			out[loc{p, int64(i)}] = v
		}
	}
	if len(next) != keys {
		t.Fatalf("%d keys read back, want %d", len(next), keys)
	}
	for k, n := range next {
		if n != perKey {
			t.Fatalf("key %s: %d records read back, want %d", k, n, perKey)
		}
	}
	return out
}
