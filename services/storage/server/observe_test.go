package server_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/pkg/telemetry"
	"github.com/runnel/runnel/services/storage/internal/metatest"
	"github.com/runnel/runnel/services/storage/server"
)

func TestMetrics(t *testing.T) {
	meta := metatest.Start(t, time.Minute)
	topic(meta, "m", "id1", 1, nodeID, []int32{nodeID}, nil)
	topic(meta, "followed", "id2", 1, 2, []int32{2, nodeID}, nil)
	n := startNode(t, meta, t.TempDir(), func(c *server.Config) { c.Telemetry = newTelemetry(t) })
	if _, err := appendBatch(n, "m", 0, runnelv1.Acks_ACKS_LEADER, encode(t, records(4, 10))); err != nil {
		t.Fatal(err)
	}
	if _, err := n.client.Fetch(context.Background(), &runnelv1.FetchRequest{Topic: "m", LeaderEpoch: -1}); err != nil {
		t.Fatal(err)
	}
	body := scrape(t, n)
	for _, want := range []string{
		`runnel_storage_append_records_total{topic="m"} 4`,
		`runnel_storage_append_bytes_total{topic="m"}`,
		`runnel_storage_append_latency_milliseconds_bucket{acks="1"`,
		`runnel_storage_fetch_bytes_total{topic="m"}`,
		`runnel_storage_fetch_records_total{topic="m"} 4`,
		`runnel_storage_log_append_latency_milliseconds_count{fsync="never"} 1`,
		`runnel_storage_partitions{role="leader"} 1`,
		`runnel_storage_partitions{role="follower"} 1`,
		`runnel_storage_requests_waiting{kind="fetch"} 0`,
		`runnel_storage_requests_waiting{kind="append"} 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", body)
	}
}

// newTelemetry is real telemetry (Prometheus /metrics) with logs discarded.
func newTelemetry(t *testing.T) *telemetry.Telemetry {
	t.Helper()
	tel, err := telemetry.Setup(context.Background(), telemetry.Config{ServiceName: "runnel-storage", NodeID: "1", LogWriter: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	return tel
}

// scrape returns the node's /metrics page.
func scrape(t *testing.T, n *node) string {
	t.Helper()
	resp, err := http.Get("http://" + n.srv.HTTPAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

func TestRetentionLoop(t *testing.T) {
	meta := metatest.Start(t, time.Minute)
	topic(meta, "r", "id1", 1, nodeID, []int32{nodeID}, map[string]string{"segment.bytes": "1024", "retention.bytes": "2048"})
	n := startNode(t, meta, t.TempDir(), func(c *server.Config) { c.RetentionCheckInterval = 10 * time.Millisecond })
	end := appendBatches(t, n, "r", 20)
	eventually(t, "retention moved the log start", func() bool {
		po := listOffsets(t, n, "r", 0)
		return po.GetLogStartOffset() > 0 && po.GetLogEndOffset() == end
	})
	po := listOffsets(t, n, "r", 0)
	_, err := n.client.Fetch(context.Background(), &runnelv1.FetchRequest{Topic: "r", Offset: 0, LeaderEpoch: -1})
	wantCode(t, err, rpcerr.OffsetOutOfRange)
	if got := fetchAll(t, n, "r", 0, po.GetLogStartOffset()); len(got) == 0 || got[0].Offset != po.GetLogStartOffset() {
		t.Fatalf("fetch from the new log start %d: %d records", po.GetLogStartOffset(), len(got))
	}
}
