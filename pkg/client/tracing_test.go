package client

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// recordingSpan is a span that records its links (the SDK has no tracing SDK to test with).
type recordingSpan struct {
	noop.Span
	links []trace.Link
	ended bool
}

func (s *recordingSpan) IsRecording() bool          { return true }
func (s *recordingSpan) AddLink(l trace.Link)       { s.links = append(s.links, l) }
func (s *recordingSpan) End(...trace.SpanEndOption) { s.ended = true }

// A poll span links to the producer span of every record that carries a traceparent header,
// at most maxPollLinks of them.
func TestPollSpanLinksProducers(t *testing.T) {
	cl, err := New("127.0.0.1:1") // never dialled
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Close() })
	producer := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		SpanID:     trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8},
		TraceFlags: trace.FlagsSampled,
	})
	headers := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(trace.ContextWithSpanContext(context.Background(), producer), headers)

	recs := []*Record{
		{Topic: "t", Partition: 1, Offset: 7, Headers: headers},
		{Topic: "t", Partition: 1, Offset: 8}, // no trace context: no link
		{Topic: "t", Partition: 1, Offset: 9, Headers: map[string]string{"traceparent": "garbage"}},
	}
	span := &recordingSpan{}
	cl.endPollSpan(span, recs, nil)
	if !span.ended {
		t.Fatal("the poll span was not ended")
	}
	if len(span.links) != 1 || span.links[0].SpanContext.TraceID() != producer.TraceID() ||
		span.links[0].SpanContext.SpanID() != producer.SpanID() {
		t.Fatalf("links %+v, want one to the producer span %s/%s", span.links, producer.TraceID(), producer.SpanID())
	}

	many := make([]*Record, 3*maxPollLinks)
	for i := range many {
		many[i] = &Record{Topic: "t", Offset: int64(i), Headers: headers}
	}
	span = &recordingSpan{}
	cl.endPollSpan(span, many, nil)
	if len(span.links) != maxPollLinks {
		t.Fatalf("%d links for %d traced records, want the bound %d", len(span.links), len(many), maxPollLinks)
	}
}
