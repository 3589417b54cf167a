package telemetry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
	"google.golang.org/grpc"
)

// Config says who is reporting and how to log.
type Config struct {
	ServiceName string    // "runnel-gateway", "runnel-storage", "runnel-metadata"
	NodeID      string    // the node's id, a resource attribute (runnel.node.id)
	LogFormat   string    // "json" (default) or "text"
	LogLevel    string    // "debug", "info" (default), "warn", "error"
	LogWriter   io.Writer // default os.Stderr
	// SpanProcessors get every span besides the OTLP exporter the environment configures; with
	// one, tracing is on even without OTEL_* variables (tests record spans with
	// sdk/trace/tracetest.SpanRecorder).
	SpanProcessors []sdktrace.SpanProcessor
}

// Telemetry holds a service's logger and OpenTelemetry providers.
type Telemetry struct {
	Logger         *slog.Logger
	Tracer         trace.TracerProvider
	Meter          metric.MeterProvider
	MetricsHandler http.Handler
	Propagator     propagation.TextMapPropagator

	tracing  bool // spans are exported (an OTLP exporter is configured)
	shutdown []func(context.Context) error
}

// Setup builds the logger and providers from cfg and the OTEL_* environment.
func Setup(ctx context.Context, cfg Config) (*Telemetry, error) {
	if cfg.ServiceName == "" {
		return nil, errors.New("telemetry: ServiceName is required")
	}
	logger, err := NewLogger(cfg.LogWriter, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return nil, err
	}
	logger = logger.With("service", cfg.ServiceName, "node", cfg.NodeID)

	res, err := newResource(ctx, cfg)
	if err != nil {
		return nil, err
	}
	t := &Telemetry{
		Logger:     logger,
		Propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
	}

	// Metrics: a private Prometheus registry per Telemetry, so tests can run several services in
	// one process.
	reg := prometheus.NewRegistry()
	exp, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo())
	if err != nil {
		return nil, fmt.Errorf("telemetry: prometheus exporter: %w", err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithResource(res), sdkmetric.WithReader(exp))
	t.Meter = mp
	t.MetricsHandler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	t.shutdown = append(t.shutdown, mp.Shutdown)

	// Traces: exported only when configured. The SDK reads OTEL_TRACES_SAMPLER(_ARG) and
	// OTEL_BSP_*; the sampler settings are checked first so a typo fails the start instead of
	// silently falling back to the default.
	if err := checkSampler(); err != nil {
		_ = mp.Shutdown(ctx)
		return nil, err
	}
	exporter, err := traceExporter(ctx)
	if err != nil {
		_ = mp.Shutdown(ctx)
		return nil, err
	}
	if exporter != nil || len(cfg.SpanProcessors) > 0 {
		opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
		if exporter != nil {
			opts = append(opts, sdktrace.WithBatcher(exporter))
		}
		for _, sp := range cfg.SpanProcessors {
			opts = append(opts, sdktrace.WithSpanProcessor(sp))
		}
		tp := sdktrace.NewTracerProvider(opts...)
		t.Tracer = tp
		t.tracing = true
		t.shutdown = append(t.shutdown, tp.Shutdown)
	} else {
		t.Tracer = tracenoop.NewTracerProvider()
	}
	return t, nil
}

// newResource describes the process: service.name and service.instance.id (the node id),
// runnel.node.id, the SDK, then OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME, which win.
func newResource(ctx context.Context, cfg Config) (*resource.Resource, error) {
	attrs := []attribute.KeyValue{
		attribute.String("service.name", cfg.ServiceName),
		attribute.String("runnel.node.id", cfg.NodeID),
	}
	if cfg.NodeID != "" {
		attrs = append(attrs, attribute.String("service.instance.id", cfg.NodeID))
	}
	res, err := resource.New(ctx, resource.WithTelemetrySDK(), resource.WithAttributes(attrs...), resource.WithFromEnv())
	if err != nil {
		return nil, fmt.Errorf("telemetry: resource (OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME): %w", err)
	}
	return res, nil
}

// Tracing reports whether spans are exported. When false the tracer provider is a no-op one and
// instrumentation that costs more than a span (decoding record headers, say) can skip its work.
func (t *Telemetry) Tracing() bool { return t.tracing }

// traceExporter returns the OTLP exporter the environment asks for, or nil for none.
func traceExporter(ctx context.Context) (sdktrace.SpanExporter, error) {
	kind := strings.ToLower(strings.TrimSpace(os.Getenv("OTEL_TRACES_EXPORTER")))
	endpoint := os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") + os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT")
	switch {
	case kind == "none":
		return nil, nil
	case kind == "" && endpoint == "":
		return nil, nil
	case kind != "" && kind != "otlp":
		return nil, fmt.Errorf("telemetry: OTEL_TRACES_EXPORTER=%q is not supported (use otlp or none)", kind)
	}
	proto := os.Getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if proto == "" {
		proto = os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	switch proto {
	case "", "grpc":
		return otlptracegrpc.New(ctx)
	case "http/protobuf":
		return otlptracehttp.New(ctx)
	default:
		return nil, fmt.Errorf("telemetry: OTEL_EXPORTER_OTLP_PROTOCOL=%q is not supported (grpc or http/protobuf)", proto)
	}
}

// NewNop returns telemetry that logs nothing and records nothing, for tests.
func NewNop() *Telemetry {
	return &Telemetry{
		Logger:         slog.New(slog.DiscardHandler),
		Tracer:         tracenoop.NewTracerProvider(),
		Meter:          metricnoop.NewMeterProvider(),
		MetricsHandler: http.NotFoundHandler(),
		Propagator:     propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
	}
}

// Shutdown flushes and stops the providers. Safe to call more than once.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	var errs []error
	for _, f := range t.shutdown {
		errs = append(errs, f(ctx))
	}
	t.shutdown = nil
	return errors.Join(errs...)
}

// ServerOptions instrument a gRPC server (every call but the long-lived ones, see Instrumented).
func (t *Telemetry) ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{grpc.StatsHandler(otelgrpc.NewServerHandler(
		otelgrpc.WithTracerProvider(t.Tracer), otelgrpc.WithMeterProvider(t.Meter),
		otelgrpc.WithPropagators(t.Propagator), otelgrpc.WithFilter(instrumented)))}
}

// DialOptions instrument a gRPC client connection (every call but the long-lived ones, see
// Instrumented).
func (t *Telemetry) DialOptions() []grpc.DialOption {
	return []grpc.DialOption{grpc.WithStatsHandler(otelgrpc.NewClientHandler(
		otelgrpc.WithTracerProvider(t.Tracer), otelgrpc.WithMeterProvider(t.Meter),
		otelgrpc.WithPropagators(t.Propagator), otelgrpc.WithFilter(instrumented)))}
}

// WrapHTTP instruments an HTTP handler. Its server spans are named "METHOD pattern" (the
// ServeMux pattern that routed the request) unless the handler names them with NameHTTPSpan.
func (t *Telemetry) WrapHTTP(h http.Handler, operation string) http.Handler {
	inner := otelhttp.NewHandler(h, operation, otelhttp.WithTracerProvider(t.Tracer),
		otelhttp.WithMeterProvider(t.Meter), otelhttp.WithPropagators(t.Propagator),
		otelhttp.WithSpanNameFormatter(httpSpanName))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inner.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), spanNameKey{}, new(spanName))))
	})
}
