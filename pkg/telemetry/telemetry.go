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
}

// Telemetry holds a service's logger and OpenTelemetry providers.
type Telemetry struct {
	Logger         *slog.Logger
	Tracer         trace.TracerProvider
	Meter          metric.MeterProvider
	MetricsHandler http.Handler
	Propagator     propagation.TextMapPropagator

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

	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(
		attribute.String("service.name", cfg.ServiceName),
		attribute.String("runnel.node.id", cfg.NodeID),
	))
	if err != nil {
		return nil, fmt.Errorf("telemetry: resource: %w", err)
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

	// Traces: exported only when configured.
	exporter, err := traceExporter(ctx)
	if err != nil {
		return nil, err
	}
	if exporter != nil {
		tp := sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithBatcher(exporter))
		t.Tracer = tp
		t.shutdown = append(t.shutdown, tp.Shutdown)
	} else {
		t.Tracer = tracenoop.NewTracerProvider()
	}
	return t, nil
}

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

// ServerOptions instrument a gRPC server.
func (t *Telemetry) ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{grpc.StatsHandler(otelgrpc.NewServerHandler(
		otelgrpc.WithTracerProvider(t.Tracer), otelgrpc.WithMeterProvider(t.Meter),
		otelgrpc.WithPropagators(t.Propagator)))}
}

// DialOptions instrument a gRPC client connection.
func (t *Telemetry) DialOptions() []grpc.DialOption {
	return []grpc.DialOption{grpc.WithStatsHandler(otelgrpc.NewClientHandler(
		otelgrpc.WithTracerProvider(t.Tracer), otelgrpc.WithMeterProvider(t.Meter),
		otelgrpc.WithPropagators(t.Propagator)))}
}

// WrapHTTP instruments an HTTP handler.
func (t *Telemetry) WrapHTTP(h http.Handler, operation string) http.Handler {
	return otelhttp.NewHandler(h, operation, otelhttp.WithTracerProvider(t.Tracer),
		otelhttp.WithMeterProvider(t.Meter), otelhttp.WithPropagators(t.Propagator))
}
