package replication_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/record"
	"github.com/runnel/runnel/pkg/telemetry"
)

// spansNamed returns the ended spans named name, of node (runnel.node.id) when node is not "".
func spansNamed(c *testCluster, name, node string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range c.spans.Ended() {
		if s.Name() != name {
			continue
		}
		if node != "" {
			v, ok := s.Resource().Set().Value("runnel.node.id")
			if !ok || v.AsString() != node {
				continue
			}
		}
		out = append(out, s)
	}
	return out
}

func isChild(s sdktrace.ReadOnlySpan, parent trace.SpanContext) bool {
	return s.Parent().TraceID() == parent.TraceID() && s.Parent().SpanID() == parent.SpanID()
}

// An acks=all append of a traced produce: the leader's Append server span has the log append
// and the ISR wait as children; the follower's replicate.apply span sits in the produce's trace
// and links to it. A batch without a traceparent gets no replicate.apply span.
func TestAppendAndReplicationSpans(t *testing.T) {
	c := newTracedCluster(t, 1, 2)
	c.topic("tr", []int32{1, 2}, []int32{1, 2}, 1, map[string]string{"min.insync.replicas": "2"})
	c.waitLeading(1, "tr")
	tel := c.nodes[1].tel
	conn, err := grpc.NewClient(c.nodes[1].srv.GRPCAddr(),
		append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, tel.DialOptions()...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := runnelv1.NewStorageServiceClient(conn)

	ctx, produce := tel.Tracer.Tracer("test").Start(context.Background(), "produce")
	tp := telemetry.Traceparent(produce.SpanContext())
	batch, err := record.Encode(nil, []record.Record{
		{Value: []byte("a"), Headers: []record.Header{{Key: telemetry.TraceparentHeader, Value: []byte(tp)}}},
		{Value: []byte("b")},
	}, record.EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	actx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := client.Append(actx, &runnelv1.AppendRequest{Topic: "tr", LeaderEpoch: -1, Acks: runnelv1.Acks_ACKS_ALL, Batch: batch, TimeoutMs: 10000}); err != nil {
		t.Fatal(err)
	}
	produce.End()

	var server, apply sdktrace.ReadOnlySpan
	eventually(t, "append and replication spans", func() bool {
		for _, s := range spansNamed(c, "runnel.v1.StorageService/Append", "1") {
			if s.SpanKind() == trace.SpanKindServer && s.SpanContext().TraceID() == produce.SpanContext().TraceID() {
				server = s
			}
		}
		applies := spansNamed(c, "replicate.apply", "2")
		if len(applies) > 0 {
			apply = applies[0]
		}
		return server != nil && apply != nil && len(spansNamed(c, "log.append", "1")) > 0 && len(spansNamed(c, "isr.wait", "1")) > 0
	})
	for _, name := range []string{"log.append", "isr.wait"} {
		if s := spansNamed(c, name, "1")[0]; !isChild(s, server.SpanContext()) {
			t.Errorf("%s is not a child of the Append server span", name)
		}
	}
	if !isChild(apply, produce.SpanContext()) {
		t.Errorf("replicate.apply parent %v, want the produce span", apply.Parent().SpanID())
	}
	if links := apply.Links(); len(links) != 1 || links[0].SpanContext.SpanID() != produce.SpanContext().SpanID() {
		t.Errorf("replicate.apply links %v, want the produce span", links)
	}

	// An untraced batch: replicated, no new replicate.apply span.
	c.mustAppend(1, "tr", acksAll, "plain", 3)
	c.waitReplicated(1, "tr")
	if n := len(spansNamed(c, "replicate.apply", "")); n != 1 {
		t.Errorf("%d replicate.apply spans, want only the traced batch's", n)
	}
	if t.Failed() {
		for _, s := range c.spans.Ended() {
			t.Log(fmt.Sprintf("%s parent %s", s.Name(), s.Parent().SpanID()))
		}
	}
}
