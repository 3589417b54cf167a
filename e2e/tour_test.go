package e2e

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/runnel/runnel/e2e/harness"
)

// testTour is the README's five-minute tour, step by step: the curl calls as REST requests with
// the same bodies, then the CLI commands; each step's answer is checked for what the README says
// it shows.
func testTour(t *testing.T, c *harness.Cluster) {
	t.Run("REST", func(t *testing.T) { tourREST(t, c) })
	t.Run("CLI", func(t *testing.T) { tourCLI(t, c) })
}

func tourREST(t *testing.T, c *harness.Cluster) {
	ctx := testCtx(t, 2*time.Minute)
	rest := c.Client()
	storageIDs := map[int32]bool{}
	for _, s := range c.Endpoints().Storage {
		storageIDs[s.ID] = true
	}
	post := func(path, body string) []byte {
		t.Helper()
		r, err := rest.Do(ctx, http.MethodPost, path, body)
		if err != nil || r.Status != http.StatusOK {
			t.Fatalf("POST %s %s: %v %+v", path, body, err, r)
		}
		return r.Body
	}

	// a topic with 3 partitions
	var created harness.Topic
	if err := json.Unmarshal(post("/v1/topics", `{"name":"orders","partitions":3,"replication_factor":1}`), &created); err != nil ||
		created.Name != "orders" || len(created.Partitions) != 3 {
		t.Fatalf("create orders answered %+v (%v), want the topic with 3 partitions", created, err)
	}
	list, err := rest.ListTopics(ctx)
	if err != nil {
		t.Fatalf("GET /v1/topics: %v", err)
	}
	if !slices.Contains(list, harness.TopicSummary{Name: "orders", Partitions: 3, ReplicationFactor: 1}) {
		t.Errorf("GET /v1/topics: %+v lacks orders with 3 partitions and RF 1", list)
	}
	desc, err := rest.Describe(ctx, "orders")
	if err != nil {
		t.Fatalf("GET /v1/topics/orders: %v", err)
	}
	if desc.ReplicationFactor != 1 || len(desc.Partitions) != 3 {
		t.Fatalf("GET /v1/topics/orders: RF %d, %d partitions; want 1 and 3", desc.ReplicationFactor, len(desc.Partitions))
	}
	for i, p := range desc.Partitions {
		if p.Partition != int32(i) || !storageIDs[p.Leader] || !slices.Equal(p.Replicas, []int32{p.Leader}) ||
			!slices.Contains(p.ISR, p.Leader) || p.HighWatermark != 0 || p.LogStartOffset != 0 {
			t.Errorf("partition %d is %+v; want a live leader that is its only replica and in its ISR, offsets 0", i, p)
		}
	}

	// write records: keyed ones always land in the same partition, unkeyed ones go round-robin
	var res harness.ProduceResponse
	body := post("/v1/topics/orders/records", `{
  "acks": "all",
  "records": [
    {"key": "user-1", "value": "hello", "headers": {"h": "v"}},
    {"value": "no key"},
    {"partition": 2, "value": "pinned"}
  ]}`)
	if err := json.Unmarshal(body, &res); err != nil || len(res.Results) != 3 {
		t.Fatalf("produce answered %s (%v), want 3 results", body, err)
	}
	for i, r := range res.Results {
		if r.Offset == nil || r.Error != "" {
			t.Fatalf("produce: result %d is %+v, want an offset", i, r)
		}
	}
	user1 := kafkaPartition([]byte("user-1"), 3)
	if res.Results[0].Partition != user1 || res.Results[2].Partition != 2 {
		t.Errorf("produce: partitions %d and %d, want %d (murmur2 of user-1) and 2", res.Results[0].Partition, res.Results[2].Partition, user1)
	}

	// read them back (only records below the high watermark are served)
	got, err := rest.Consume(ctx, "orders", 2, 0, 10)
	if err != nil {
		t.Fatalf("consume partition 2: %v", err)
	}
	if i := slices.IndexFunc(got.Records, func(r harness.ConsumedRecord) bool { return string(r.ValueBytes()) == "pinned" }); i < 0 ||
		got.Records[i].Offset != *res.Results[2].Offset || got.Records[i].Timestamp == "" {
		t.Errorf("partition 2 reads %+v, want pinned at offset %d with a timestamp", got.Records, *res.Results[2].Offset)
	}
	if int64(got.HighWatermark) != int64(len(got.Records)) {
		t.Errorf("partition 2: %d records, high watermark %d", len(got.Records), got.HighWatermark)
	}
	got, err = rest.Consume(ctx, "orders", user1, int64(*res.Results[0].Offset), 1)
	if err != nil || len(got.Records) != 1 || string(got.Records[0].KeyBytes()) != "user-1" ||
		string(got.Records[0].ValueBytes()) != "hello" || got.Records[0].Headers["h"] != "v" {
		t.Errorf("partition %d reads %v %+v, want user-1=hello with header h=v", user1, err, got)
	}
	var total int64
	for _, hw := range highWatermarks(t, rest, "orders") {
		total += hw
	}
	if total != 3 {
		t.Errorf("offsets of orders: high watermarks sum to %d, want 3", total)
	}

	// mistakes get a named error and change nothing
	r, err := rest.Do(ctx, http.MethodPost, "/v1/topics", `{"name":"bad/name","partitions":1,"replication_factor":1}`)
	if err != nil {
		t.Fatalf("create bad/name: %v", err)
	}
	checkErrorBody(t, errorAnswer(t, r), s400, "INVALID_TOPIC_EXCEPTION")

	if err := rest.DeleteTopic(ctx, "orders"); err != nil {
		t.Fatalf("DELETE /v1/topics/orders: %v", err)
	}
	_, err = rest.Describe(ctx, "orders")
	var e *harness.APIError
	if !errors.As(err, &e) || e.Status != http.StatusNotFound {
		t.Errorf("describe orders after delete: %v, want 404", err)
	}
}

func tourCLI(t *testing.T, c *harness.Cluster) {
	ctx := testCtx(t, 2*time.Minute)
	rest := c.Client()

	c.MustRunCLI(t, "", "topic", "create", "clicks", "-p", "6", "-r", "1", "--config", "retention.ms=86400000")
	desc, err := rest.Describe(ctx, "clicks")
	if err != nil || len(desc.Partitions) != 6 || desc.ReplicationFactor != 1 || desc.Configs["retention.ms"] != "86400000" {
		t.Fatalf("runnel topic create clicks made %v %+v; want 6 partitions, RF 1, retention.ms=86400000", err, desc)
	}
	if out := c.MustRunCLI(t, "", "topic", "list"); !strings.Contains(out, "clicks") {
		t.Errorf("runnel topic list does not show clicks:\n%s", out)
	}
	out := c.MustRunCLI(t, "", "topic", "describe", "clicks")
	low := strings.ToLower(out)
	for _, word := range []string{"clicks", "leader", "replicas", "isr"} {
		if !strings.Contains(low, word) {
			t.Errorf("runnel topic describe clicks does not mention %q:\n%s", word, out)
		}
	}
	if lines := strings.Count(strings.TrimSpace(out), "\n") + 1; lines < 6 {
		t.Errorf("runnel topic describe clicks shows %d lines, want a line per partition at least:\n%s", lines, out)
	}

	c.MustRunCLI(t, "user-1:first\nuser-2:second\nuser-1:third\n", "produce", "clicks", "--key-separator", ":")
	out = c.MustRunCLI(t, "", "consume", "clicks", "--offset", "earliest", "--max", "3", "--format", "json")
	recs := parseJSONLines(t, out)
	if len(recs) != 3 {
		t.Fatalf("runnel consume --max 3 --format json printed %d records:\n%s", len(recs), out)
	}
	slices.SortFunc(recs, func(a, b harness.ConsumedRecord) int {
		return strings.Compare(string(a.ValueBytes()), string(b.ValueBytes()))
	})
	want := []struct{ key, value string }{{"user-1", "first"}, {"user-2", "second"}, {"user-1", "third"}}
	slices.SortFunc(want, func(a, b struct{ key, value string }) int { return strings.Compare(a.value, b.value) })
	for i, w := range want {
		r := recs[i]
		if string(r.KeyBytes()) != w.key || string(r.ValueBytes()) != w.value || r.Topic != "clicks" ||
			r.Partition != kafkaPartition([]byte(w.key), 6) || r.Timestamp == "" {
			t.Errorf("record %d is %+v; want %s=%s in partition %d (murmur2) with a timestamp", i, r, w.key, w.value, kafkaPartition([]byte(w.key), 6))
		}
	}
	first, third := recs[0], recs[2] // sorted by value: first, second, third
	if first.Partition == third.Partition && first.Offset >= third.Offset {
		t.Errorf("user-1's records out of order: first at %d, third at %d", first.Offset, third.Offset)
	}
	out = c.MustRunCLI(t, "", "consume", "clicks", "--offset", "earliest", "--max", "3")
	if lines := strings.Fields(out); !slices.Contains(lines, "first") || !slices.Contains(lines, "second") || !slices.Contains(lines, "third") {
		t.Errorf("runnel consume (text) printed %q, want the three values", out)
	}

	out = c.MustRunCLI(t, "", "bench", "produce", "bench", "--records", "2000", "--record-size", "100")
	if !strings.Contains(out, "records/s") {
		t.Errorf("runnel bench produce printed no throughput:\n%s", out)
	}
	var benched int64
	for _, hw := range highWatermarks(t, rest, "bench") {
		benched += hw
	}
	if benched != 2000 {
		t.Errorf("runnel bench produce --records 2000 left %d records", benched)
	}

	c.MustRunCLI(t, "", "topic", "delete", "clicks")
	if out := c.MustRunCLI(t, "", "topic", "list"); strings.Contains(out, "clicks") {
		t.Errorf("runnel topic list still shows clicks after delete:\n%s", out)
	}
	if r := c.RunCLI(t, "", "topic", "describe", "clicks"); r.ExitCode == 0 || !strings.Contains(r.Stderr, "UNKNOWN_TOPIC_OR_PARTITION") {
		t.Errorf("runnel topic describe of a deleted topic: exit %d, stderr %q; want a failure naming UNKNOWN_TOPIC_OR_PARTITION", r.ExitCode, r.Stderr)
	}
}

// parseJSONLines parses the output of `runnel consume --format json`: one record per line.
func parseJSONLines(t *testing.T, out string) []harness.ConsumedRecord {
	t.Helper()
	var recs []harness.ConsumedRecord
	for i, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var r harness.ConsumedRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %d of runnel consume --format json is not a JSON record: %v: %q", i+1, err, line)
		}
		recs = append(recs, r)
	}
	return recs
}
