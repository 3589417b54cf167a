// Package telemetry sets up a service's logging, tracing and metrics. METRICS.md (beside this
// file) lists every metric, span and attribute the services emit.
//
//   - Logs: log/slog, JSON (production) or text (the dev cluster), each record carrying trace_id and
//     span_id when its context holds a span, and the service and node as attributes.
//   - Traces: an OpenTelemetry TracerProvider configured by the standard OTEL_* variables. Nothing
//     is exported unless OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set
//     (or OTEL_TRACES_EXPORTER=otlp); OTEL_TRACES_EXPORTER=none turns export off. The protocol
//     follows OTEL_EXPORTER_OTLP_PROTOCOL / OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "grpc" (default) or
//     "http/protobuf". Sampling follows OTEL_TRACES_SAMPLER(_ARG), parent-based always-on by
//     default; Setup refuses a sampler the SDK does not know or a bad ratio. Without an exporter
//     (and without Config.SpanProcessors) the provider is a no-op one and Tracing reports false:
//     services then make no spans of their own and add no record headers. W3C trace context and
//     baggage are the propagators. The resource holds service.name, service.instance.id and
//     runnel.node.id, then OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME.
//   - Metrics: an OpenTelemetry MeterProvider whose reader is a Prometheus exporter; MetricsHandler
//     serves it in the Prometheus text format (the /metrics endpoint). Instruments are named
//     "runnel.…" and appear as runnel_… in Prometheus.
//
// gRPC servers and clients get otelgrpc stats handlers (ServerOptions, DialOptions) for every
// method but LongLivedMethods (node-long streams and health checks); HTTP handlers get otelhttp
// (WrapHTTP), whose span a handler may rename (NameHTTPSpan).
//
// Records carry their producer's trace context in the header TraceparentHeader (a W3C traceparent
// value): Traceparent formats one, ParseTraceparent reads one (strictly: anything malformed is
// ignored), and Links gathers span links from many records, each context once, at most MaxLinks.
package telemetry
