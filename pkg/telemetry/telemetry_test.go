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

// tracingEnv points the exporter at a port nothing listens on: spans are never ended in these
// tests, so nothing is exported and Shutdown returns at once.
func tracingEnv(t *testing.T, sampler, arg string) {
	t.Setenv("OTEL_TRACES_EXPORTER", "")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1")
	t.Setenv("OTEL_TRACES_SAMPLER", sampler)
	t.Setenv("OTEL_TRACES_SAMPLER_ARG", arg)
}

func TestSamplerFromEnvironment(t *testing.T) {
	remoteSampled := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}, TraceFlags: trace.FlagsSampled, Remote: true})
	tests := []struct {
		name, sampler, arg string
		bad                bool
		root, child        bool // sampled: a root span, a child of a sampled remote parent
	}{
		{name: "default is parent-based always on", root: true, child: true},
		{name: "always off", sampler: "always_off", root: false, child: false},
		{name: "parent-based ratio 0", sampler: "parentbased_traceidratio", arg: "0", root: false, child: true},
		{name: "ratio 0 ignores the parent", sampler: "traceidratio", arg: "0", root: false, child: false},
		{name: "parent-based ratio 1", sampler: "parentbased_traceidratio", arg: "1", root: true, child: true},
		{name: "unknown sampler", sampler: "sometimes", bad: true},
		{name: "ratio above 1", sampler: "parentbased_traceidratio", arg: "2", bad: true},
		{name: "ratio not a number", sampler: "traceidratio", arg: "one", bad: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tracingEnv(t, tc.sampler, tc.arg)
			tel, err := Setup(context.Background(), Config{ServiceName: "runnel-test", NodeID: "1", LogWriter: io.Discard})
			if tc.bad {
				if err == nil {
					tel.Shutdown(context.Background())
					t.Fatal("Setup accepted the sampler settings")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer tel.Shutdown(context.Background())
			if !tel.Tracing() {
				t.Fatal("Tracing() = false with an endpoint set")
			}
			tr := tel.Tracer.Tracer("test")
			_, root := tr.Start(context.Background(), "root")
			_, child := tr.Start(trace.ContextWithRemoteSpanContext(context.Background(), remoteSampled), "child")
			if root.SpanContext().IsSampled() != tc.root || child.SpanContext().IsSampled() != tc.child {
				t.Fatalf("sampled root %v child %v, want %v %v", root.SpanContext().IsSampled(),
					child.SpanContext().IsSampled(), tc.root, tc.child)
			}
		})
	}
}

func TestNoEndpointNoTracing(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	t.Setenv("OTEL_TRACES_EXPORTER", "")
	tel, err := Setup(context.Background(), Config{ServiceName: "runnel-test", LogWriter: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(context.Background())
	_, span := tel.Tracer.Tracer("test").Start(context.Background(), "x")
	if tel.Tracing() || span.IsRecording() {
		t.Fatalf("tracing on without an endpoint: Tracing %v, recording %v", tel.Tracing(), span.IsRecording())
	}
}

func TestResourceOnMetrics(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_TRACES_EXPORTER", "")
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=test")
	tel, err := Setup(context.Background(), Config{ServiceName: "runnel-storage", NodeID: "3", LogWriter: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(context.Background())
	rec := httptest.NewRecorder()
	tel.MetricsHandler.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{`service_name="runnel-storage"`, `runnel_node_id="3"`, `service_instance_id="3"`, `deployment_environment="test"`} {
		if !strings.Contains(body, want) {
			t.Errorf("target_info lacks %s:\n%s", want, body)
		}
	}
}

func TestLogsOfASpanCarryItsIDs(t *testing.T) {
	tracingEnv(t, "", "")
	var buf bytes.Buffer
	tel, err := Setup(context.Background(), Config{ServiceName: "runnel-test", NodeID: "1", LogWriter: &buf})
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(context.Background())
	ctx, span := tel.Tracer.Tracer("test").Start(context.Background(), "append")
	tel.Logger.InfoContext(ctx, "in a span")
	tel.Logger.Info("outside")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("log lines: %q", buf.String())
	}
	var in, out map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &in); err != nil {
		t.Fatalf("default format is not JSON: %q", lines[0])
	}
	if err := json.Unmarshal([]byte(lines[1]), &out); err != nil {
		t.Fatal(err)
	}
	sc := span.SpanContext()
	if in["trace_id"] != sc.TraceID().String() || in["span_id"] != sc.SpanID().String() || in["service"] != "runnel-test" {
		t.Fatalf("line within the span: %v", in)
	}
	if _, ok := out["trace_id"]; ok {
		t.Fatalf("line outside a span has a trace id: %v", out)
	}
}
