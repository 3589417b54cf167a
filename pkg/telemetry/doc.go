// Package telemetry sets up a service's logging, tracing and metrics.
//
//   - Logs: log/slog, JSON (production) or text (the dev cluster), each record carrying trace_id and
//     span_id when its context holds a span, and the service and node as attributes.
//   - Traces: an OpenTelemetry TracerProvider configured by the standard OTEL_* variables. Nothing
//     is exported unless OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set
//     (or OTEL_TRACES_EXPORTER=otlp); OTEL_TRACES_EXPORTER=none turns export off. The protocol
//     follows OTEL_EXPORTER_OTLP_PROTOCOL / OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "grpc" (default) or
//     "http/protobuf". Sampling follows OTEL_TRACES_SAMPLER(_ARG), parent-based always-on by default.
//     W3C trace context and baggage are the propagators.
//   - Metrics: an OpenTelemetry MeterProvider whose reader is a Prometheus exporter; MetricsHandler
//     serves it in the Prometheus text format (the /metrics endpoint). Instruments are named
//     "runnel.…" and appear as runnel_… in Prometheus.
//
// gRPC servers and clients get otelgrpc stats handlers (ServerOptions, DialOptions); HTTP handlers
// get otelhttp (WrapHTTP).
package telemetry
