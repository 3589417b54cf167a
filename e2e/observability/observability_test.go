package observability

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/runnel/runnel/e2e/harness"
)

// testCtx is a context for one test step, cancelled when the test ends.
func testCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// One cluster exporting its spans to a receiver in the test: a produce is one trace, the
// followers' replication and a consumer link to it, and the metrics move.
func TestTracesAndMetrics(t *testing.T) {
	rcv := StartReceiver(t)
	// RUNNEL_GROUP_LAG_INTERVAL is the gateway's --group-lag-interval (the other services have no
	// such flag and ignore it).
	c := harness.Start(t, harness.Options{Env: append(rcv.Env(), "RUNNEL_GROUP_LAG_INTERVAL=200ms")})
	t.Run("one produce is one trace", func(t *testing.T) { produceTrace(t, c, rcv) })
	t.Run("metrics move", func(t *testing.T) { metricsMove(t, c) })
}

// createFull creates a one-partition RF 3 topic with min.insync.replicas 2 and waits for its full
// ISR; it returns the leader.
func createFull(t *testing.T, ctx context.Context, c *harness.Cluster, topic string) int32 {
	t.Helper()
	rest := c.Client()
	if _, err := rest.CreateTopic(ctx, harness.CreateTopicRequest{Name: topic, Partitions: 1, ReplicationFactor: 3,
		Configs: map[string]string{"min.insync.replicas": "2"}}); err != nil {
		t.Fatalf("create %s: %v", topic, err)
	}
	var leader int32
	harness.Eventually(t, 20*time.Second, func() error {
		p, err := rest.PartitionState(ctx, topic, 0)
		if err != nil {
			return err
		}
		if p.Leader <= 0 || !p.FullISR() {
			return fmt.Errorf("partition %s", p)
		}
		leader = p.Leader
		return nil
	})
	return leader
}

func produceTrace(t *testing.T, c *harness.Cluster, rcv *Receiver) {
	ctx := testCtx(t, time.Minute)
	rest := c.Client()
	leader := createFull(t, ctx, c, "traced")
	resp, err := rest.Produce(ctx, "traced", "all", []harness.ProduceRecord{harness.Text("k", "v")})
	if err != nil || len(resp.Results) != 1 || resp.Results[0].Offset == nil {
		t.Fatalf("produce: %+v, %v", resp, err)
	}

	// The gateway's REST span of the produce, named after the gRPC method.
	var produce Span
	rcv.Wait(t, 15*time.Second, func() error {
		spans := rcv.Spans(func(s Span) bool {
			return s.Service == "runnel-gateway" && s.Name == "runnel.v1.GatewayService/Produce" &&
				s.Attrs["http.route"] == "/v1/topics/{topic}/records"
		})
		if len(spans) != 1 {
			return fmt.Errorf("%d gateway Produce spans", len(spans))
		}
		produce = spans[0]
		return nil
	})
	if produce.Kind != tracepb.Span_SPAN_KIND_SERVER || produce.ParentID != "" {
		t.Errorf("produce span kind %v parent %q: want a root server span", produce.Kind, produce.ParentID)
	}
	tid, leaderID := produce.TraceID, strconv.Itoa(int(leader))
	inTrace := func(service, name, node string) []Span {
		return rcv.Spans(func(s Span) bool {
			return s.TraceID == tid && s.Service == service && s.Name == name && (node == "" || s.Node == node)
		})
	}
	// gateway → produce.send → Append (client) → the leader's Append (server) → log.append, isr.wait;
	// and on each follower replicate.apply, a child of the produce linked to it.
	rcv.Wait(t, 15*time.Second, func() error {
		send := inTrace("runnel-gateway", "produce.send", "")
		if len(send) != 1 || send[0].ParentID != produce.SpanID {
			return fmt.Errorf("produce.send spans %+v, want one child of the produce span", send)
		}
		var server *Span
		for _, s := range inTrace("runnel-storage", "runnel.v1.StorageService/Append", leaderID) {
			if s.Kind == tracepb.Span_SPAN_KIND_SERVER {
				server = &s
			}
		}
		if server == nil {
			return fmt.Errorf("no Append server span of leader %s in the trace", leaderID)
		}
		for _, name := range []string{"log.append", "isr.wait"} {
			if got := inTrace("runnel-storage", name, leaderID); len(got) != 1 || got[0].ParentID != server.SpanID {
				return fmt.Errorf("%s spans %+v, want one child of the leader's Append", name, got)
			}
		}
		followers := map[string]bool{}
		for _, s := range inTrace("runnel-storage", "replicate.apply", "") {
			if s.Node != leaderID && s.ParentID == produce.SpanID && s.LinksTo(tid, produce.SpanID) {
				followers[s.Node] = true
			}
		}
		if len(followers) != 2 {
			return fmt.Errorf("replicate.apply linked to the produce on followers %v, want both", followers)
		}
		return nil
	})

	// The record carries the produce's traceparent; a REST consume's span links to it.
	got, err := rest.Consume(ctx, "traced", 0, 0, 10)
	if err != nil || len(got.Records) != 1 {
		t.Fatalf("consume: %+v, %v", got, err)
	}
	wantTP := "00-" + tid + "-" + produce.SpanID + "-01"
	if tp := got.Records[0].Headers["traceparent"]; tp != wantTP {
		t.Fatalf("record traceparent %q, want %q", tp, wantTP)
	}
	rcv.Wait(t, 15*time.Second, func() error {
		for _, s := range rcv.Spans(func(s Span) bool { return s.Service == "runnel-gateway" && s.Name == "receive traced" }) {
			if s.Kind == tracepb.Span_SPAN_KIND_CONSUMER && s.LinksTo(tid, produce.SpanID) {
				return nil
			}
		}
		return fmt.Errorf("no receive span linked to the produce")
	})
}

// scrapeAll scrapes every service of the cluster.
func scrapeAll(ctx context.Context, c *harness.Cluster) (gateway Metrics, storage map[int32]Metrics, metadata []Metrics, err error) {
	ep := c.Endpoints()
	if gateway, err = Scrape(ctx, ep.Gateway[0].HTTP); err != nil {
		return nil, nil, nil, err
	}
	storage = map[int32]Metrics{}
	for _, s := range ep.Storage {
		if storage[s.ID], err = Scrape(ctx, s.HTTP); err != nil {
			return nil, nil, nil, err
		}
	}
	for _, m := range ep.Metadata {
		mm, err := Scrape(ctx, m.HTTP)
		if err != nil {
			return nil, nil, nil, err
		}
		metadata = append(metadata, mm)
	}
	return gateway, storage, metadata, nil
}

// expect is one metric that must reach a value.
type expect struct {
	name    string
	labels  map[string]string
	atLeast float64
	exactly bool // the value must equal atLeast
}

func (e expect) check(m Metrics) error {
	v, ok := m.Value(e.name, e.labels)
	switch {
	case !ok:
		return fmt.Errorf("%s%v: no sample", e.name, e.labels)
	case e.exactly && v != e.atLeast:
		return fmt.Errorf("%s%v = %v, want %v", e.name, e.labels, v, e.atLeast)
	case v < e.atLeast:
		return fmt.Errorf("%s%v = %v, want at least %v", e.name, e.labels, v, e.atLeast)
	}
	return nil
}

func metricsMove(t *testing.T, c *harness.Cluster) {
	ctx := testCtx(t, time.Minute)
	rest := c.Client()
	if _, _, _, err := scrapeAll(ctx, c); err != nil {
		t.Fatalf("/metrics: %v", err)
	}
	const topic, n = "measured", 10
	createFull(t, ctx, c, topic)
	var recs []harness.ProduceRecord
	for i := range n {
		recs = append(recs, harness.Text("", fmt.Sprint("v", i)))
	}
	if _, err := rest.Produce(ctx, topic, "all", recs); err != nil {
		t.Fatalf("produce: %v", err)
	}
	if got, err := rest.Consume(ctx, topic, 0, 0, 100); err != nil || len(got.Records) != n {
		t.Fatalf("consume: %d records, %v", len(got.Records), err)
	}
	m, err := rest.JoinGroup(ctx, "watchers", harness.JoinGroupRequest{Topics: []string{topic}})
	if err != nil {
		t.Fatalf("join: %v", err)
	}
	if err := rest.CommitOffsets(ctx, "watchers", harness.CommitOffsetsRequest{MemberID: m.MemberID, Generation: m.Generation,
		Offsets: []harness.OffsetCommit{{Topic: topic, Partition: 0, Offset: 4}}}); err != nil {
		t.Fatalf("commit: %v", err)
	}

	tl := map[string]string{"topic": topic}
	gatewayWant := []expect{
		{name: "runnel_gateway_produce_records_total", labels: tl, atLeast: n, exactly: true},
		{name: "runnel_gateway_produce_bytes_total", labels: tl, atLeast: 1},
		{name: "runnel_gateway_consume_records_total", labels: tl, atLeast: n},
		{name: "runnel_gateway_consume_bytes_total", labels: tl, atLeast: 1},
		{name: "runnel_gateway_request_latency_milliseconds", labels: map[string]string{"api": "Produce", "acks": "all"}, atLeast: 2},
		{name: "runnel_gateway_request_latency_milliseconds", labels: map[string]string{"api": "Consume"}, atLeast: 1},
		{name: "runnel_gateway_requests_total", labels: map[string]string{"api": "Produce", "code": "OK"}, atLeast: 2},
		{name: "runnel_group_lag", labels: map[string]string{"group": "watchers", "topic": topic, "partition": "0"}, atLeast: n - 4, exactly: true},
	}
	// Summed over the storage nodes: the leader appends and serves fetches.
	storageWant := []expect{
		{name: "runnel_storage_append_records_total", labels: tl, atLeast: n, exactly: true},
		{name: "runnel_storage_append_bytes_total", labels: tl, atLeast: 1},
		{name: "runnel_storage_fetch_records_total", labels: tl, atLeast: n},
		{name: "runnel_storage_fetch_bytes_total", labels: tl, atLeast: 1},
		{name: "runnel_storage_append_latency_milliseconds", labels: map[string]string{"acks": "all"}, atLeast: 2},
		{name: "runnel_storage_log_append_latency_milliseconds", labels: map[string]string{"fsync": "always"}, atLeast: 2},
		{name: "runnel_storage_fsync_latency_milliseconds", labels: map[string]string{"outcome": "ok"}, atLeast: 2},
		{name: "runnel_storage_under_replicated_partitions", atLeast: 0, exactly: true},
	}
	metadataWant := []expect{
		{name: "runnel_metadata_topics", atLeast: 2},
		{name: "runnel_metadata_controller", atLeast: 1, exactly: true},
		{name: "runnel_metadata_controller_elections_total", atLeast: 1},
		{name: "runnel_metadata_etcd_has_leader", atLeast: 1, exactly: true},
		{name: "runnel_controller_offline_partitions", atLeast: 0, exactly: true},
		{name: "runnel_controller_under_replicated_partitions", atLeast: 0, exactly: true},
	}
	harness.Eventually(t, 20*time.Second, func() error {
		gw, storage, metadata, err := scrapeAll(ctx, c)
		if err != nil {
			return err
		}
		for _, e := range gatewayWant {
			if err := e.check(gw); err != nil {
				return fmt.Errorf("gateway: %w", err)
			}
		}
		sum := Metrics{}
		for _, sm := range storage {
			for name, fam := range sm {
				if sum[name] == nil {
					sum[name] = fam
				} else {
					sum[name].Metric = append(sum[name].Metric, fam.Metric...)
				}
			}
		}
		for _, e := range storageWant {
			if err := e.check(sum); err != nil {
				return fmt.Errorf("storage: %w", err)
			}
		}
		for _, e := range metadataWant {
			if err := e.check(metadata[0]); err != nil {
				return fmt.Errorf("metadata: %w", err)
			}
		}
		return nil
	})
}
