package api

import (
	"context"
	"strings"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/pkg/telemetry"
	"github.com/runnel/runnel/services/gateway/internal/produce"
)

// LatencyBuckets are the bucket bounds (ms) of runnel.gateway.request.latency.
var LatencyBuckets = []float64{0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000}

// observer holds the API's instruments and tracer.
type observer struct {
	requests metric.Int64Counter
	latency  metric.Float64Histogram
	tracer   trace.Tracer // nil: no receive spans
}

func newObserver(meter metric.Meter, tracer trace.Tracer) (*observer, error) {
	if meter == nil {
		meter = noop.NewMeterProvider().Meter("")
	}
	o := &observer{tracer: tracer}
	var err error
	if o.requests, err = meter.Int64Counter("runnel.gateway.requests",
		metric.WithDescription("Gateway API calls by api and outcome (OK or the catalogue name)."),
		metric.WithUnit("{request}")); err != nil {
		return nil, err
	}
	if o.latency, err = meter.Float64Histogram("runnel.gateway.request.latency",
		metric.WithDescription("Time to answer a gateway API call (gRPC or REST), by api, and acks for Produce."),
		metric.WithUnit("ms"), metric.WithExplicitBucketBoundaries(LatencyBuckets...)); err != nil {
		return nil, err
	}
	return o, nil
}

// done counts a call, records its latency, names its REST span and turns its error into a
// catalogue error. extra attributes go on the latency only.
func (s *Service) done(ctx context.Context, api string, start time.Time, err error, extra ...attribute.KeyValue) error {
	code := "OK"
	if err != nil {
		err = rpcerr.FromStatus(err)
		code = rpcerr.CodeOf(err).Name
	}
	apiAttr := attribute.String("api", api)
	s.obs.requests.Add(ctx, 1, metric.WithAttributes(apiAttr, attribute.String("code", code)))
	ms := float64(time.Since(start)) / float64(time.Millisecond)
	if len(extra) == 0 {
		s.obs.latency.Record(ctx, ms, metric.WithAttributes(apiAttr))
	} else {
		s.obs.latency.Record(ctx, ms, metric.WithAttributes(append(extra, apiAttr)...))
	}
	nameRESTSpan(ctx)
	return err
}

// nameRESTSpan gives the HTTP server span of a REST call (which otelhttp would name "POST /")
// the gRPC method's name, as the gRPC server span of the same call has, and its route.
func nameRESTSpan(ctx context.Context) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	method, ok := runtime.RPCMethod(ctx)
	if !ok {
		return // a gRPC call: otelgrpc named it
	}
	telemetry.NameHTTPSpan(ctx, strings.TrimPrefix(method, "/"))
	if route, ok := runtime.HTTPPathPattern(ctx); ok {
		span.SetAttributes(attribute.String("http.route", route))
	}
}

// acksAttr is the acks attribute of a Produce's latency ("invalid" when acks is not valid).
func acksAttr(req *runnelv1.ProduceRequest) attribute.KeyValue {
	acks, err := produce.ParseAcks(req.GetAcks())
	if err != nil {
		return attribute.String("acks", "invalid")
	}
	return attribute.String("acks", produce.AcksName(acks))
}

// startReceive starts the span of a read (Consume of topic, FetchGroupRecords of group) as a
// child of the call's span, only when that span is recorded: "receive <topic>" or "receive".
// endReceive links it to the trace contexts of the records returned (their traceparent headers,
// each once, at most telemetry.MaxLinks).
func (o *observer) startReceive(ctx context.Context, topic string, partition int32, group string) (context.Context, trace.Span) {
	if o.tracer == nil || !trace.SpanFromContext(ctx).IsRecording() {
		return ctx, nil
	}
	name := "receive"
	var attrs []attribute.KeyValue
	if group != "" {
		attrs = append(attrs, attribute.String("runnel.group", group))
	} else {
		name += " " + topic
		attrs = append(attrs, attribute.String("runnel.topic", topic), attribute.Int("runnel.partition", int(partition)))
	}
	return o.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(attrs...))
}

func endReceive(span trace.Span, recs []*runnelv1.ConsumedRecord, err error) {
	if span == nil {
		return
	}
	var links telemetry.Links
	for _, r := range recs {
		links.Add(r.GetHeaders()[telemetry.TraceparentHeader])
	}
	links.AddTo(span)
	span.SetAttributes(attribute.Int("runnel.records", len(recs)))
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, rpcerr.CodeOf(err).Name)
	}
	span.End()
}
