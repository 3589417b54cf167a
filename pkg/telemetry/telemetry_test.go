package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"
)

func TestLoggerCarriesTraceIDs(t *testing.T) {
	var buf bytes.Buffer
	l, err := NewLogger(&buf, "json", "info")
	if err != nil {
		t.Fatal(err)
	}
	tid, _ := trace.TraceIDFromHex("0102030405060708090a0b0c0d0e0f10")
	sid, _ := trace.SpanIDFromHex("0102030405060708")
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid}))
	l.InfoContext(ctx, "append", "topic", "orders")
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("log line is not JSON: %q", buf.String())
	}
	if rec["trace_id"] != tid.String() || rec["span_id"] != sid.String() || rec["topic"] != "orders" {
		t.Fatalf("log record = %v", rec)
	}
}

func TestBadLogSettings(t *testing.T) {
	if _, err := NewLogger(io.Discard, "xml", ""); err == nil {
		t.Fatal("format xml accepted")
	}
	if _, err := NewLogger(io.Discard, "", "loud"); err == nil {
		t.Fatal("level loud accepted")
	}
}

func TestMetricsExposedWithRunnelPrefix(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_TRACES_EXPORTER", "")
	tel, err := Setup(context.Background(), Config{ServiceName: "runnel-test", NodeID: "1", LogWriter: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(context.Background())
	c, err := tel.Meter.Meter("runnel/test").Int64Counter("runnel.produce.records")
	if err != nil {
		t.Fatal(err)
	}
	c.Add(context.Background(), 5)
	rec := httptest.NewRecorder()
	tel.MetricsHandler.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), "runnel_produce_records_total 5") {
		t.Fatalf("metrics do not show the counter:\n%s", rec.Body.String())
	}
}

func TestUnsupportedExporter(t *testing.T) {
	t.Setenv("OTEL_TRACES_EXPORTER", "zipkin")
	if _, err := Setup(context.Background(), Config{ServiceName: "x", LogWriter: io.Discard}); err == nil {
		t.Fatal("unsupported exporter accepted")
	}
}
