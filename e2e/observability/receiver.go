package observability

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
)

// MaxKeptSpans bounds the spans a Receiver keeps; later ones are only counted.
const MaxKeptSpans = 200_000

// Span is one received span, flattened.
type Span struct {
	Service  string // resource service.name
	Node     string // resource runnel.node.id
	TraceID  string // hex
	SpanID   string // hex
	ParentID string // hex, "" for a root span
	Name     string
	Kind     tracepb.Span_SpanKind
	Links    []Link
	Attrs    map[string]string // string, int and bool attributes, formatted
}

// Link is one span link.
type Link struct{ TraceID, SpanID string }

// LinksTo reports whether the span links to span id of trace tid.
func (s Span) LinksTo(tid, sid string) bool {
	for _, l := range s.Links {
		if l.TraceID == tid && l.SpanID == sid {
			return true
		}
	}
	return false
}

// Receiver is an OTLP/gRPC trace receiver.
type Receiver struct {
	collectortrace.UnimplementedTraceServiceServer
	// Addr is the listen address (127.0.0.1:port).
	Addr string

	mu    sync.Mutex
	spans []Span
	count int
	srv   *grpc.Server
}

// StartReceiver listens on 127.0.0.1:0 and serves until the test ends.
func StartReceiver(t testing.TB) *Receiver {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("receiver: listen: %v", err)
	}
	r := &Receiver{Addr: lis.Addr().String(), srv: grpc.NewServer(grpc.MaxRecvMsgSize(64 << 20))}
	collectortrace.RegisterTraceServiceServer(r.srv, r)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = r.srv.Serve(lis)
	}()
	t.Cleanup(func() {
		r.srv.Stop()
		<-done
	})
	return r
}

// Endpoint is the value of OTEL_EXPORTER_OTLP_ENDPOINT for this receiver.
func (r *Receiver) Endpoint() string { return "http://" + r.Addr }

// Env is the environment that makes a service export its spans here quickly.
func (r *Receiver) Env() []string {
	return []string{
		"OTEL_EXPORTER_OTLP_ENDPOINT=" + r.Endpoint(),
		"OTEL_EXPORTER_OTLP_INSECURE=true",
		"OTEL_EXPORTER_OTLP_PROTOCOL=grpc",
		"OTEL_BSP_SCHEDULE_DELAY=100",
	}
}

// Export implements TraceServiceServer.
func (r *Receiver) Export(_ context.Context, req *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		res := attrs(rs.GetResource().GetAttributes())
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				r.count++
				if len(r.spans) >= MaxKeptSpans {
					continue
				}
				sp := Span{
					Service: res["service.name"], Node: res["runnel.node.id"],
					TraceID: hex.EncodeToString(s.GetTraceId()), SpanID: hex.EncodeToString(s.GetSpanId()),
					Name: s.GetName(), Kind: s.GetKind(), Attrs: attrs(s.GetAttributes()),
				}
				if len(s.GetParentSpanId()) > 0 {
					sp.ParentID = hex.EncodeToString(s.GetParentSpanId())
				}
				for _, l := range s.GetLinks() {
					sp.Links = append(sp.Links, Link{TraceID: hex.EncodeToString(l.GetTraceId()), SpanID: hex.EncodeToString(l.GetSpanId())})
				}
				r.spans = append(r.spans, sp)
			}
		}
	}
	return &collectortrace.ExportTraceServiceResponse{}, nil
}

func attrs(kvs []*commonpb.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		switch v := kv.GetValue().GetValue().(type) {
		case *commonpb.AnyValue_StringValue:
			m[kv.GetKey()] = v.StringValue
		case *commonpb.AnyValue_IntValue:
			m[kv.GetKey()] = fmt.Sprint(v.IntValue)
		case *commonpb.AnyValue_BoolValue:
			m[kv.GetKey()] = fmt.Sprint(v.BoolValue)
		}
	}
	return m
}

// Count is how many spans were received (kept or not).
func (r *Receiver) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.count
}

// Spans returns the kept spans that match (all when match is nil).
func (r *Receiver) Spans(match func(Span) bool) []Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Span
	for _, s := range r.spans {
		if match == nil || match(s) {
			out = append(out, s)
		}
	}
	return out
}

// Wait polls until find returns nil (every 100 ms, for at most timeout) and fails the test
// otherwise, with find's last error.
func (r *Receiver) Wait(t testing.TB, timeout time.Duration, find func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		err := find()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("spans not received within %v: %v (%d spans so far)", timeout, err, r.Count())
		}
		<-tick.C
	}
}
