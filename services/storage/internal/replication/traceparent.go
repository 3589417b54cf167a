package replication

import (
	"context"
	"encoding/binary"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/runnel/runnel/pkg/record"
	"github.com/runnel/runnel/pkg/telemetry"
)

// firstTraceparent returns the value of the traceparent header of the first record of the first
// batch in records (as a leader sends them), without decoding anything else: the batch header,
// then the first record's fields up to its headers. A compressed batch, a record without the
// header or bytes that do not parse give ok false. Nothing is copied: the value aliases records.
func firstTraceparent(records []byte) (value []byte, ok bool) {
	h, err := record.ParseHeader(records)
	if err != nil || h.Compression() != record.CompressionNone || h.RecordCount < 1 {
		return nil, false
	}
	end := min(h.Size(), len(records))
	if end < record.HeaderSize {
		return nil, false
	}
	b := records[record.HeaderSize:end]
	length, n := binary.Varint(b)
	if n <= 0 || length < 1 || length > int64(len(b)-n) {
		return nil, false
	}
	r := fieldReader{b: b[n : n+int(length)]}
	r.skip(1)  // attributes
	r.varint() // timestamp delta
	r.varint() // offset delta
	r.bytes()  // key
	r.bytes()  // value
	count := r.varint()
	for i := int64(0); i < count && !r.bad; i++ {
		key, _ := r.bytes()
		val, null := r.bytes()
		if !r.bad && !null && string(key) == telemetry.TraceparentHeader {
			return val, true
		}
	}
	return nil, false
}

// fieldReader reads the varint-framed fields of one record; any overrun sets bad.
type fieldReader struct {
	b   []byte
	bad bool
}

func (r *fieldReader) skip(n int) {
	if r.bad || n > len(r.b) {
		r.bad = true
		return
	}
	r.b = r.b[n:]
}

func (r *fieldReader) varint() int64 {
	if r.bad {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

// bytes reads a length-prefixed field; null reports a length of -1.
func (r *fieldReader) bytes() (v []byte, null bool) {
	n := r.varint()
	switch {
	case r.bad:
		return nil, false
	case n == -1:
		return nil, true
	case n < -1 || n > int64(len(r.b)):
		r.bad = true
		return nil, false
	}
	v = r.b[:n]
	r.b = r.b[n:]
	return v, false
}

// startApply starts the follower's replicate.apply span for the leader's records of a partition
// when tracing is on and their first record carries a sampled traceparent: the span is a child of
// that produce (so it sits in the produce's trace, sampled with it) and links to it. Records
// without a producer context get no span: there is no trace to attach the replication to.
func (s *fetchStream) startApply(k partKey, records []byte) trace.Span {
	tr := s.f.cfg.Tracer
	if tr == nil || len(records) == 0 {
		return nil
	}
	v, ok := firstTraceparent(records)
	if !ok {
		return nil
	}
	sc, ok := telemetry.ParseTraceparent(string(v))
	if !ok || !sc.IsSampled() {
		return nil
	}
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), sc)
	_, span := tr.Start(ctx, "replicate.apply",
		trace.WithLinks(trace.Link{SpanContext: sc, Attributes: []attribute.KeyValue{attribute.String("runnel.link", "producer")}}),
		trace.WithAttributes(
			attribute.String("runnel.topic", k.topic),
			attribute.Int("runnel.partition", int(k.partition)),
			attribute.Int("runnel.leader", int(s.leader)),
			attribute.Int("runnel.batch.bytes", len(records)),
			attribute.Int64("runnel.offset", int64(binary.BigEndian.Uint64(records))), // the first batch's base offset
		))
	return span
}
