package telemetry

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// WrapHTTP names a request's span "METHOD pattern", or what the handler chose with NameHTTPSpan.
func TestHTTPSpanNames(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_TRACES_EXPORTER", "")
	rec := tracetest.NewSpanRecorder()
	tel, err := Setup(context.Background(), Config{ServiceName: "runnel-test", LogWriter: io.Discard,
		SpanProcessors: []sdktrace.SpanProcessor{rec}})
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(context.Background())
	inner := http.NewServeMux()
	inner.HandleFunc("/named", func(w http.ResponseWriter, r *http.Request) {
		if !NameHTTPSpan(r.Context(), "runnel.v1.GatewayService/Produce") {
			t.Error("NameHTTPSpan outside a wrapped request")
		}
	})
	inner.HandleFunc("/plain", func(http.ResponseWriter, *http.Request) {})
	outer := http.NewServeMux()
	outer.Handle("/", tel.WrapHTTP(inner, "rest"))
	outer.Handle("GET /direct", tel.WrapHTTP(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), "direct"))

	tests := []struct{ method, path, want string }{
		{"POST", "/named", "runnel.v1.GatewayService/Produce"},
		{"GET", "/plain", "GET /plain"}, // the innermost ServeMux pattern
		{"GET", "/direct", "GET /direct"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			outer.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(tc.method, tc.path, nil))
			spans := rec.Ended()
			if got := spans[len(spans)-1].Name(); got != tc.want {
				t.Fatalf("span name %q, want %q", got, tc.want)
			}
		})
	}
	if NameHTTPSpan(context.Background(), "x") {
		t.Fatal("NameHTTPSpan reported a name set outside a request")
	}
}
