package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/runnel/runnel/pkg/telemetry"
	"github.com/runnel/runnel/services/gateway/server"
)

// tracedTelemetry is telemetry with tracing on, recording spans in memory.
func tracedTelemetry(t *testing.T) (*telemetry.Telemetry, *tracetest.SpanRecorder) {
	t.Helper()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_TRACES_EXPORTER", "")
	rec := tracetest.NewSpanRecorder()
	tel, err := telemetry.Setup(context.Background(), telemetry.Config{ServiceName: "runnel-gateway", NodeID: "g-test",
		LogWriter: io.Discard, SpanProcessors: []sdktrace.SpanProcessor{rec}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	return tel, rec
}

// ended waits for an ended span named name that matches ok and returns it.
func ended(t *testing.T, rec *tracetest.SpanRecorder, name string, ok func(sdktrace.ReadOnlySpan) bool) sdktrace.ReadOnlySpan {
	t.Helper()
	var found sdktrace.ReadOnlySpan
	defer func() {
		if found == nil {
			for _, s := range rec.Ended() {
				t.Logf("span %q kind %v parent %v attrs %v", s.Name(), s.SpanKind(), s.Parent().SpanID(), s.Attributes())
			}
		}
	}()
	eventually(t, 5*time.Second, func() bool {
		for _, s := range rec.Ended() {
			if s.Name() == name && (ok == nil || ok(s)) {
				found = s
				return true
			}
		}
		return false
	})
	return found
}

func attr(s sdktrace.ReadOnlySpan, key string) (attribute.Value, bool) {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

func childOf(parent trace.SpanContext) func(sdktrace.ReadOnlySpan) bool {
	return func(s sdktrace.ReadOnlySpan) bool {
		return s.Parent().TraceID() == parent.TraceID() && s.Parent().SpanID() == parent.SpanID()
	}
}

// One REST produce is one trace: the REST span (named after the gRPC method) → produce.send →
// the Append client span; every record gets the request's traceparent unless it has its own; a
// consume's receive span links to the records' trace contexts.
func TestProduceAndConsumeTraces(t *testing.T) {
	tel, rec := tracedTelemetry(t)
	e := start(t, 1, func(c *server.Config) { c.Telemetry = tel })
	e.createTopic(t, "traced", 1, 1)
	const own = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	body := fmt.Sprintf(`{"acks":"all","records":[{"value":"a"},{"value":"b","headers":{"traceparent":%q,"h":"v"}}]}`, own)
	if status, out := e.post(t, "/v1/topics/traced/records", body); status != 200 {
		t.Fatalf("produce: %d %v", status, out)
	}

	produce := ended(t, rec, "runnel.v1.GatewayService/Produce", func(s sdktrace.ReadOnlySpan) bool {
		route, _ := attr(s, "http.route")
		return route.AsString() == "/v1/topics/{topic}/records"
	})
	if produce.SpanKind() != trace.SpanKindServer {
		t.Errorf("produce span kind %v, want server", produce.SpanKind())
	}
	send := ended(t, rec, "produce.send", childOf(produce.SpanContext()))
	if v, _ := attr(send, "runnel.records"); v.AsInt64() != 2 {
		t.Errorf("send span records = %v, want 2", v)
	}
	ended(t, rec, "runnel.v1.StorageService/Append", childOf(send.SpanContext()))

	recs := e.stores[0].Records(t, "traced", 0)
	if len(recs) != 2 {
		t.Fatalf("%d records stored", len(recs))
	}
	headers := func(i int) map[string]string {
		m := map[string]string{}
		for _, h := range recs[i].Headers {
			m[h.Key] = string(h.Value)
		}
		return m
	}
	if got, want := headers(0)[telemetry.TraceparentHeader], telemetry.Traceparent(produce.SpanContext()); got != want {
		t.Errorf("record 0 traceparent %q, want the produce span's %q", got, want)
	}
	if h := headers(1); h[telemetry.TraceparentHeader] != own || h["h"] != "v" {
		t.Errorf("record 1 headers %v: its own traceparent must stay", h)
	}

	if status, out := e.get(t, "/v1/topics/traced/partitions/0/records?offset=0"); status != 200 {
		t.Fatalf("consume: %d %v", status, out)
	}
	consume := ended(t, rec, "runnel.v1.GatewayService/Consume", nil)
	receive := ended(t, rec, "receive traced", childOf(consume.SpanContext()))
	if receive.SpanKind() != trace.SpanKindConsumer {
		t.Errorf("receive span kind %v, want consumer", receive.SpanKind())
	}
	ownSC, _ := telemetry.ParseTraceparent(own)
	want := map[trace.SpanID]bool{produce.SpanContext().SpanID(): true, ownSC.SpanID(): true}
	if len(receive.Links()) != len(want) {
		t.Fatalf("receive span has %d links, want %d", len(receive.Links()), len(want))
	}
	for _, l := range receive.Links() {
		if !want[l.SpanContext.SpanID()] {
			t.Errorf("receive span links to %v, not a producer", l.SpanContext)
		}
	}
}

// With tracing off the gateway adds no header to the records.
func TestNoTraceparentWithoutTracing(t *testing.T) {
	e := start(t, 1, nil)
	e.createTopic(t, "plain", 1, 1)
	if status, out := e.post(t, "/v1/topics/plain/records", `{"records":[{"value":"a"}]}`); status != 200 {
		t.Fatalf("produce: %d %v", status, out)
	}
	if recs := e.stores[0].Records(t, "plain", 0); len(recs) != 1 || len(recs[0].Headers) != 0 {
		t.Fatalf("records %v: want one, without headers", recs)
	}
}

// The latency histogram per api and acks, the consume byte counter and the group lag gauge.
func TestGatewayMetrics(t *testing.T) {
	e := start(t, 1, func(c *server.Config) { c.LagInterval = 20 * time.Millisecond })
	e.createTopic(t, "lagging", 2, 1)
	if status, out := e.post(t, "/v1/topics/lagging/records",
		`{"acks":"1","records":[{"partition":0,"value":"a"},{"partition":0,"value":"b"},{"partition":0,"value":"c"},{"partition":1,"value":"d"}]}`); status != 200 {
		t.Fatalf("produce: %d %v", status, out)
	}
	if status, _ := e.get(t, "/v1/topics/lagging/partitions/0/records?offset=0"); status != 200 {
		t.Fatalf("consume: %d", status)
	}
	status, joined := e.post(t, "/v1/groups/lagger/members", `{"topics":["lagging"],"session_timeout_ms":10000}`)
	if status != 200 {
		t.Fatalf("join: %d %v", status, joined)
	}
	commit := fmt.Sprintf(`{"member_id":%q,"generation":1,"offsets":[{"topic":"lagging","partition":0,"offset":1}]}`, joined["member_id"])
	if status, out := e.post(t, "/v1/groups/lagger/offsets", commit); status != 200 {
		t.Fatalf("commit: %d %v", status, out)
	}
	want := []string{
		`runnel_gateway_request_latency_milliseconds_bucket{acks="1",api="Produce",le="+Inf"} 1`,
		`runnel_gateway_request_latency_milliseconds_count{api="Consume"} 1`,
		`runnel_gateway_consume_bytes_total{topic="lagging"}`,
		`runnel_group_lag{group="lagger",partition="0",topic="lagging"} 2`,
		`runnel_group_lag{group="lagger",partition="1",topic="lagging"} 1`,
	}
	var body string
	eventually(t, 5*time.Second, func() bool {
		resp, err := e.http.Get(e.base + "/metrics")
		if err != nil {
			return false
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body = string(b)
		if resp.StatusCode != http.StatusOK {
			return false
		}
		for _, w := range want {
			if !strings.Contains(body, w) {
				return false
			}
		}
		return true
	})
}
