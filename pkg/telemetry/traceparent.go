package telemetry

import (
	"encoding/hex"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// TraceparentHeader is the record header that carries the trace context of the produce that wrote
// the record, as a W3C traceparent value ("00-<trace id>-<span id>-<flags>").
const TraceparentHeader = "traceparent"

// MaxLinks bounds the span links one span gets from the records it handles.
const MaxLinks = 128

// traceparentLen is the length of a version 00 traceparent value.
const traceparentLen = 55

// Traceparent formats sc as a W3C traceparent value; "" when sc is not valid.
func Traceparent(sc trace.SpanContext) string {
	if !sc.IsValid() {
		return ""
	}
	var b [traceparentLen]byte
	tid, sid := sc.TraceID(), sc.SpanID()
	b[0], b[1], b[2] = '0', '0', '-'
	hex.Encode(b[3:35], tid[:])
	b[35] = '-'
	hex.Encode(b[36:52], sid[:])
	b[52] = '-'
	hex.Encode(b[53:55], []byte{byte(sc.TraceFlags())})
	return string(b[:])
}

// ParseTraceparent reads a W3C traceparent value (Trace Context level 1): version 00 exactly 55
// characters, a later version (not ff) at least that long with a '-' after the flags; lowercase
// hex; trace id and span id not all zeros. The result is a remote span context. ok is false for
// anything else.
func ParseTraceparent(v string) (sc trace.SpanContext, ok bool) {
	if len(v) < traceparentLen || v[2] != '-' || v[35] != '-' || v[52] != '-' {
		return trace.SpanContext{}, false
	}
	var ver [1]byte
	if !lowerHex(ver[:], v[0:2]) || ver[0] == 0xff {
		return trace.SpanContext{}, false
	}
	if ver[0] == 0 && len(v) != traceparentLen || ver[0] != 0 && len(v) > traceparentLen && v[traceparentLen] != '-' {
		return trace.SpanContext{}, false
	}
	var tid trace.TraceID
	var sid trace.SpanID
	var flags [1]byte
	if !lowerHex(tid[:], v[3:35]) || !lowerHex(sid[:], v[36:52]) || !lowerHex(flags[:], v[53:55]) {
		return trace.SpanContext{}, false
	}
	sc = trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    tid,
		SpanID:     sid,
		TraceFlags: trace.TraceFlags(flags[0]) & trace.FlagsSampled,
		Remote:     true,
	})
	return sc, sc.IsValid()
}

// lowerHex decodes s (lowercase hex only) into dst, which has len(s)/2 bytes.
func lowerHex(dst []byte, s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	_, err := hex.Decode(dst, []byte(s))
	return err == nil
}

// Links gathers span links to the trace contexts of records (their traceparent headers), each
// context once, at most Max (MaxLinks when 0); the rest are counted in Dropped. The zero value is
// ready to use. It is not safe for concurrent use.
type Links struct {
	Max     int
	Dropped int

	links []trace.Link
	seen  map[[24]byte]struct{}
	last  string
}

// Add takes one record's traceparent value; empty and malformed values are ignored.
func (l *Links) Add(traceparent string) {
	if traceparent == "" || traceparent == l.last {
		return
	}
	sc, ok := ParseTraceparent(traceparent)
	if !ok {
		return
	}
	l.last = traceparent
	var key [24]byte
	tid, sid := sc.TraceID(), sc.SpanID()
	copy(key[:16], tid[:])
	copy(key[16:], sid[:])
	if _, dup := l.seen[key]; dup {
		return
	}
	limit := l.Max
	if limit <= 0 {
		limit = MaxLinks
	}
	if len(l.links) >= limit {
		l.Dropped++
		return
	}
	if l.seen == nil {
		l.seen = map[[24]byte]struct{}{}
	}
	l.seen[key] = struct{}{}
	l.links = append(l.links, trace.Link{SpanContext: sc})
}

// Len is the number of links gathered.
func (l *Links) Len() int { return len(l.links) }

// AddTo adds the links to span, and the number dropped as the attribute runnel.links.dropped.
func (l *Links) AddTo(span trace.Span) {
	for _, ln := range l.links {
		span.AddLink(ln)
	}
	if l.Dropped > 0 {
		span.SetAttributes(attribute.Int("runnel.links.dropped", l.Dropped))
	}
}
