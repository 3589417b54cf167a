package server_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/services/gateway/server"
)

func TestTopicLifecycleREST(t *testing.T) {
	e := start(t, 3, nil)
	status, out := e.post(t, "/v1/topics", `{"name":"orders","partitions":3,"replication_factor":2,"configs":{"min.insync.replicas":"2"}}`)
	if status != http.StatusOK {
		t.Fatalf("create: %d %v", status, out)
	}
	if out["name"] != "orders" || num(t, out["replication_factor"]) != 2 || len(out["partitions"].([]any)) != 3 {
		t.Fatalf("create answered %v", out)
	}
	if out["configs"].(map[string]any)["min.insync.replicas"] != "2" {
		t.Errorf("configs = %v", out["configs"])
	}
	// A produce right after the create finds the topic.
	if status, out := e.post(t, "/v1/topics/orders/records", `{"records":[{"value":"a","partition":1},{"value":"b","partition":1}]}`); status != 200 {
		t.Fatalf("produce after create: %d %v", status, out)
	}
	e.createTopic(t, "alpha", 1, 1)

	status, out = e.get(t, "/v1/topics")
	topics := out["topics"].([]any)
	if status != 200 || len(topics) != 2 || topics[0].(map[string]any)["name"] != "alpha" {
		t.Fatalf("list: %d %v", status, out)
	}
	if o := topics[1].(map[string]any); num(t, o["partitions"]) != 3 || num(t, o["replication_factor"]) != 2 {
		t.Errorf("list entry %v, want partitions 3, replication_factor 2", o)
	}

	status, out = e.get(t, "/v1/topics/orders")
	if status != 200 {
		t.Fatalf("describe: %d %v", status, out)
	}
	p1 := out["partitions"].([]any)[1].(map[string]any)
	if num(t, p1["partition"]) != 1 || num(t, p1["high_watermark"]) != 2 || num(t, p1["log_start_offset"]) != 0 {
		t.Errorf("partition 1 = %v, want high_watermark 2", p1)
	}
	if num(t, p1["leader"]) != 2 || len(p1["replicas"].([]any)) != 2 || len(p1["isr"].([]any)) != 2 {
		t.Errorf("partition 1 = %v, want leader 2 with two replicas in sync", p1)
	}
	if _, ok := p1["leader_epoch"]; !ok {
		t.Errorf("partition 1 lacks leader_epoch: %v", p1)
	}

	status, out = e.get(t, "/v1/topics/orders/offsets")
	if status != 200 {
		t.Fatalf("offsets: %d %v", status, out)
	}
	parts := out["partitions"].([]any)
	if len(parts) != 3 || num(t, parts[1].(map[string]any)["high_watermark"]) != 2 || num(t, parts[0].(map[string]any)["high_watermark"]) != 0 {
		t.Errorf("offsets = %v", out)
	}

	if status, out := e.do(t, http.MethodDelete, "/v1/topics/orders", http.NoBody); status != 200 {
		t.Fatalf("delete: %d %v", status, out)
	}
	if status, out := e.get(t, "/v1/topics/orders"); status != 404 {
		t.Fatalf("describe after delete: %d %v", status, out)
	}
	if status, out := e.post(t, "/v1/topics/orders/records", `{"records":[{"value":"a"}]}`); status != 404 {
		t.Fatalf("produce after delete: %d %v", status, out)
	}
}

func TestDescribeShowsOfflinePartition(t *testing.T) {
	e := start(t, 1, nil)
	e.createTopic(t, "dark", 2, 1)
	e.meta.MoveLeader("dark", 1, -1)
	eventually(t, 5*time.Second, func() bool {
		_, out := e.get(t, "/v1/topics/dark")
		return num(t, out["partitions"].([]any)[1].(map[string]any)["leader"]) == -1
	})
	_, out := e.get(t, "/v1/topics/dark")
	p1 := out["partitions"].([]any)[1].(map[string]any)
	if num(t, p1["high_watermark"]) != -1 {
		t.Errorf("offline partition shows %v, want high_watermark -1", p1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := e.client.ListOffsets(ctx, &runnelv1.ListOffsetsRequest{Topic: "dark"})
	if err == nil || !strings.Contains(err.Error(), "LEADER_NOT_AVAILABLE") {
		t.Errorf("ListOffsets of an offline partition = %v, want LEADER_NOT_AVAILABLE", err)
	}
}

func TestGRPCProduceConsume(t *testing.T) {
	e := start(t, 1, nil)
	e.createTopic(t, "g", 1, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ts := int64(1_700_000_000_123)
	resp, err := e.client.Produce(ctx, &runnelv1.ProduceRequest{Topic: "g", Records: []*runnelv1.ProduceRecord{
		{KeyBase64: []byte{0xc3, 0x28}, ValueBase64: []byte("plain text"), TimestampMs: &ts},
		{Value: str("second")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetResults()[1].GetOffset() != 1 {
		t.Fatalf("results = %v", resp.GetResults())
	}
	got, err := e.client.Consume(ctx, &runnelv1.ConsumeRequest{Topic: "g", Partition: 0})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.GetRecords()) != 2 || got.GetNextOffset() != 2 || got.GetHighWatermark() != 2 {
		t.Fatalf("consume = %v", got)
	}
	r0 := got.GetRecords()[0]
	if r0.KeyBase64 == nil || r0.Key != nil || r0.GetValue() != "plain text" || r0.ValueBase64 != nil {
		t.Errorf("record 0 = %v: want a binary key and a text value", r0)
	}
	if r0.GetTimestamp().AsTime().UnixMilli() != ts {
		t.Errorf("timestamp = %v, want %d", r0.GetTimestamp().AsTime(), ts)
	}
	// max_records and an offset in the middle.
	got, err = e.client.Consume(ctx, &runnelv1.ConsumeRequest{Topic: "g", Offset: int64p(1), MaxRecords: 5})
	if err != nil || len(got.GetRecords()) != 1 || got.GetRecords()[0].GetValue() != "second" {
		t.Fatalf("consume from 1 = %v, %v", got, err)
	}
	got, err = e.client.Consume(ctx, &runnelv1.ConsumeRequest{Topic: "g", MaxRecords: 1})
	if err != nil || len(got.GetRecords()) != 1 || got.GetNextOffset() != 1 {
		t.Fatalf("consume max 1 = %v, %v", got, err)
	}
	list, err := e.client.ListTopics(ctx, &runnelv1.ListTopicsRequest{})
	if err != nil || len(list.GetTopics()) != 1 || list.GetTopics()[0].GetPartitions() != 1 {
		t.Fatalf("list = %v, %v", list, err)
	}
}

func TestConsumeLongPoll(t *testing.T) {
	e := start(t, 1, nil)
	e.createTopic(t, "poll", 1, 1)
	type result struct {
		status int
		out    map[string]any
		took   time.Duration
	}
	done := make(chan result, 1)
	go func() {
		begin := time.Now()
		status, out := e.get(t, "/v1/topics/poll/partitions/0/records?offset=0&max_wait_ms=10000")
		done <- result{status, out, time.Since(begin)}
	}()
	// Produce once the poll is waiting (at most a few seconds in); a poll that returned at once
	// with nothing fails below.
	var polled result
	select {
	case polled = <-done:
		t.Fatalf("long poll returned before any record: %v", polled.out)
	case <-time.After(100 * time.Millisecond):
	}
	if status, out := e.post(t, "/v1/topics/poll/records", `{"acks":"1","records":[{"value":"wake"}]}`); status != 200 {
		t.Fatalf("produce: %d %v", status, out)
	}
	select {
	case polled = <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("long poll did not return")
	}
	recs, _ := polled.out["records"].([]any)
	if polled.status != 200 || len(recs) != 1 || recs[0].(map[string]any)["value"] != "wake" {
		t.Fatalf("long poll = %d %v", polled.status, polled.out)
	}
	if polled.took >= 10*time.Second {
		t.Errorf("long poll took %v: it waited out max_wait_ms instead of waking", polled.took)
	}
	if num(t, polled.out["next_offset"]) != 1 {
		t.Errorf("next_offset = %v, want 1", polled.out["next_offset"])
	}
	// An empty poll waits max_wait_ms and answers no records.
	status, out := e.get(t, "/v1/topics/poll/partitions/0/records?offset=1&max_wait_ms=50")
	if status != 200 || len(out["records"].([]any)) != 0 || num(t, out["next_offset"]) != 1 {
		t.Errorf("empty poll = %d %v", status, out)
	}
}

func TestMetadataFailoverAndMetrics(t *testing.T) {
	var dead string
	e := start(t, 1, func(c *server.Config) {
		dead = deadAddr(t)
		c.MetadataAddrs = append([]string{dead}, c.MetadataAddrs...)
	})
	e.createTopic(t, "m", 1, 1)
	if status, out := e.post(t, "/v1/topics/m/records", `{"acks":"1","records":[{"value":"a"},{"value":"b"}]}`); status != 200 {
		t.Fatalf("produce: %d %v", status, out)
	}
	if status, _ := e.get(t, "/v1/topics/m/partitions/0/records"); status != 200 {
		t.Fatalf("consume: %d", status)
	}
	resp, err := e.http.Get(e.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		"runnel_gateway_produce_records_total", "runnel_gateway_produce_bytes_total",
		"runnel_gateway_produce_latency", "runnel_gateway_consume_records_total",
		"runnel_gateway_requests_total",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func int64p(v int64) *int64 { return &v }
