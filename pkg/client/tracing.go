package client

import (
	"context"
	"maps"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Span attributes (OpenTelemetry messaging conventions).
var (
	attrSystem = attribute.String("messaging.system", "runnel")
)

func attrDestination(topic string) attribute.KeyValue {
	return attribute.String("messaging.destination.name", topic)
}

func attrPartition(p int32) attribute.KeyValue {
	return attribute.String("messaging.destination.partition.id", strconv.FormatInt(int64(p), 10))
}

// startSendSpan starts the producer span of one record, a child of ctx's span, and returns the
// headers to send: the record's own plus the span's trace context ("traceparent"), in a new map
// when anything was added (the caller's map is never modified).
func (c *Client) startSendSpan(ctx context.Context, topic string, headers map[string]string) (trace.Span, map[string]string) {
	ctx, span := c.tracer.Start(ctx, "send "+topic,
		trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(attrSystem, attribute.String("messaging.operation.name", "send"), attrDestination(topic)))
	carrier := propagation.MapCarrier{}
	c.propagator.Inject(ctx, carrier)
	if len(carrier) == 0 {
		return span, headers
	}
	out := make(map[string]string, len(headers)+len(carrier))
	maps.Copy(out, headers)
	maps.Copy(out, carrier)
	return span, out
}

// endSendSpan ends a producer span with where the record went or why it failed.
func endSendSpan(span trace.Span, d Delivery, err error) {
	if !span.IsRecording() {
		span.End()
		return
	}
	span.SetAttributes(attrPartition(d.Partition))
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	} else if d.Offset >= 0 {
		span.SetAttributes(attribute.Int64("messaging.kafka.offset", d.Offset))
	}
	span.End()
}

// startPollSpan starts the span of one Poll.
func (c *Client) startPollSpan(ctx context.Context, group string) (context.Context, trace.Span) {
	attrs := []attribute.KeyValue{attrSystem, attribute.String("messaging.operation.name", "poll")}
	name := "poll"
	if group != "" {
		attrs = append(attrs, attribute.String("messaging.consumer.group.name", group))
		name = "poll " + group
	}
	return c.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(attrs...))
}

// maxPollLinks bounds the span links a poll span carries (one per record with a trace context).
const maxPollLinks = 128

// endPollSpan ends a poll span with the number of records returned and a link to the producer's
// span of each record that carries one (header "traceparent"), up to maxPollLinks.
func (c *Client) endPollSpan(span trace.Span, recs []*Record, err error) {
	if span.IsRecording() {
		span.SetAttributes(attribute.Int("messaging.batch.message_count", len(recs)))
		links := 0
		for _, r := range recs {
			if links == maxPollLinks {
				break
			}
			if len(r.Headers) == 0 {
				continue
			}
			sc := trace.SpanContextFromContext(c.propagator.Extract(context.Background(), propagation.MapCarrier(r.Headers)))
			if sc.IsValid() {
				span.AddLink(trace.Link{SpanContext: sc, Attributes: []attribute.KeyValue{
					attrDestination(r.Topic), attrPartition(r.Partition), attribute.Int64("messaging.kafka.offset", r.Offset)}})
				links++
			}
		}
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
	}
	span.End()
}

// ExtractContext returns ctx carrying the trace context a producer wrote into the record's
// headers (with the client's propagator), so a consumer's span can link to or continue the
// producer's trace.
func (c *Client) ExtractContext(ctx context.Context, r *Record) context.Context {
	if len(r.Headers) == 0 {
		return ctx
	}
	return c.propagator.Extract(ctx, propagation.MapCarrier(r.Headers))
}
