package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/commitlog"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/storage/internal/metatest"
	"github.com/runnel/runnel/services/storage/server"
)

func exists(t *testing.T, path string) bool {
	t.Helper()
	_, err := os.Stat(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

// appendBatches appends count batches of 3 records and returns the log end.
func appendBatches(t *testing.T, n *node, topic string, count int) int64 {
	t.Helper()
	var end int64
	for range count {
		resp, err := appendBatch(n, topic, 0, runnelv1.Acks_ACKS_ALL, encode(t, records(3, 64)))
		if err != nil {
			t.Fatal(err)
		}
		end = resp.GetLogEndOffset()
	}
	return end
}

func TestRestartKeepsDataAndOffsets(t *testing.T) {
	meta := metatest.Start(t, time.Minute)
	topic(meta, "t", "id1", 1, nodeID, []int32{nodeID}, map[string]string{"segment.bytes": "1024"})
	dir := t.TempDir()
	n := startNode(t, meta, dir, func(c *server.Config) { c.Fsync = commitlog.FsyncPolicy{Mode: commitlog.FsyncAlways} })
	waitLeading(t, n, "t", 0)
	end := appendBatches(t, n, "t", 10) // several segments
	before := fetchAll(t, n, "t", 0, 0)
	n.stop(t)

	n = startNode(t, meta, dir)
	waitLeading(t, n, "t", 0)
	po := listOffsets(t, n, "t", 0)
	if po.GetLogEndOffset() != end || po.GetHighWatermark() != end {
		t.Fatalf("after restart %v, want log end and hw %d", po, end)
	}
	after := fetchAll(t, n, "t", 0, 0)
	if len(after) != len(before) {
		t.Fatalf("%d records after restart, %d before", len(after), len(before))
	}
	for i := range after {
		if after[i].Offset != before[i].Offset || string(after[i].Value) != string(before[i].Value) {
			t.Fatalf("record %d changed across the restart", i)
		}
	}
	resp, err := appendBatch(n, "t", 0, runnelv1.Acks_ACKS_ALL, encode(t, records(1, 10)))
	if err != nil || resp.GetBaseOffset() != end {
		t.Fatalf("append after restart: %v, %v; want base offset %d", resp, err, end)
	}
}

func TestTornTailRecovered(t *testing.T) {
	meta := metatest.Start(t, time.Minute)
	topic(meta, "t", "id1", 1, nodeID, []int32{nodeID}, nil)
	dir := t.TempDir()
	n := startNode(t, meta, dir)
	waitLeading(t, n, "t", 0)
	end := appendBatches(t, n, "t", 4) // 12 records
	n.stop(t)

	// A crash mid-write: the active segment ends inside the last batch.
	logs, err := filepath.Glob(filepath.Join(dir, "t-0", "*.log"))
	if err != nil || len(logs) == 0 {
		t.Fatalf("segments: %v, %v", logs, err)
	}
	slices.Sort(logs)
	active := logs[len(logs)-1]
	st, err := os.Stat(active)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(active, st.Size()-20); err != nil {
		t.Fatal(err)
	}

	n = startNode(t, meta, dir)
	waitLeading(t, n, "t", 0)
	want := end - 3 // the torn batch is gone
	if po := listOffsets(t, n, "t", 0); po.GetLogEndOffset() != want || po.GetHighWatermark() != want {
		t.Fatalf("after recovery %v, want log end and hw %d", po, want)
	}
	if got := fetchAll(t, n, "t", 0, 0); int64(len(got)) != want {
		t.Fatalf("fetched %d records, want %d", len(got), want)
	}
	resp, err := appendBatch(n, "t", 0, runnelv1.Acks_ACKS_ALL, encode(t, records(2, 10)))
	if err != nil || resp.GetBaseOffset() != want || resp.GetLastOffset() != want+1 {
		t.Fatalf("append after recovery: %v, %v; want base offset %d", resp, err, want)
	}
	if got := fetchAll(t, n, "t", 0, 0); int64(len(got)) != want+2 || got[len(got)-1].Offset != want+1 {
		t.Fatalf("fetched %d records after the new append", len(got))
	}
}

func TestTopicDeletedAndRecreated(t *testing.T) {
	meta := metatest.Start(t, time.Minute)
	topic(meta, "t", "id1", 1, nodeID, []int32{nodeID}, nil)
	dir := t.TempDir()
	n := startNode(t, meta, dir)
	waitLeading(t, n, "t", 0)
	appendBatches(t, n, "t", 2)
	pdir := filepath.Join(dir, "t-0")

	t.Run("deleted", func(t *testing.T) {
		meta.RemoveTopic("t")
		eventually(t, "partition dir removed", func() bool { return !exists(t, pdir) })
		_, err := appendBatch(n, "t", 0, runnelv1.Acks_ACKS_ALL, encode(t, records(1, 10)))
		wantCode(t, err, rpcerr.UnknownTopicOrPartition)
	})
	t.Run("recreated starts empty", func(t *testing.T) {
		topic(meta, "t", "id1", 1, nodeID, []int32{nodeID}, nil)
		waitLeading(t, n, "t", 0)
		appendBatches(t, n, "t", 2)
		// Same name, new id, without a deletion in between (as after a missed watch event).
		topic(meta, "t", "id2", 1, nodeID, []int32{nodeID}, nil)
		eventually(t, "new incarnation hosted", func() bool {
			var pm struct {
				TopicID string `json:"topic_id"`
			}
			b, err := os.ReadFile(filepath.Join(pdir, "partition.json"))
			return err == nil && json.Unmarshal(b, &pm) == nil && pm.TopicID == "id2"
		})
		waitLeading(t, n, "t", 0)
		if po := listOffsets(t, n, "t", 0); po.GetLogEndOffset() != 0 || po.GetLogStartOffset() != 0 {
			t.Fatalf("recreated topic %v, want an empty log", po)
		}
		resp, err := appendBatch(n, "t", 0, runnelv1.Acks_ACKS_ALL, encode(t, records(1, 10)))
		if err != nil || resp.GetBaseOffset() != 0 {
			t.Fatalf("first append to the recreated topic: %v, %v", resp, err)
		}
	})
	t.Run("deleted while the node is down", func(t *testing.T) {
		n.stop(t)
		meta.RemoveTopicQuietly("t")
		startNode(t, meta, dir) // ready = snapshot applied
		if exists(t, pdir) {
			t.Fatal("dir of a topic deleted while the node was down survived the snapshot")
		}
	})
}

func TestReadiness(t *testing.T) {
	meta := metatest.Start(t, time.Minute)
	dir := t.TempDir()
	// Metadata unreachable: the node serves health but is not ready.
	srv, err := server.New(server.Config{ID: nodeID, DataDir: dir, GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0",
		MetadataAddrs: []string{"127.0.0.1:1"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	status := func(path string) int {
		resp, err := http.Get("http://" + srv.HTTPAddr() + path)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	eventually(t, "healthz", func() bool { return status("/healthz") == http.StatusOK })
	if srv.Ready() || status("/readyz") != http.StatusServiceUnavailable {
		t.Fatal("ready without a metadata snapshot")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}

	// With metadata: ready, and metrics are served.
	topic(meta, "t", "id1", 1, nodeID, []int32{nodeID}, nil)
	n := startNode(t, meta, dir)
	if code := statusOf(t, n.srv.HTTPAddr(), "/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz = %d", code)
	}
	reg, ok := meta.Node(nodeID)
	if !ok || reg.GetGrpcAddr() != n.srv.GRPCAddr() || reg.GetHttpAddr() != n.srv.HTTPAddr() {
		t.Fatalf("registered %v, want the bound addresses", reg)
	}
}

func statusOf(t *testing.T, addr, path string) int {
	t.Helper()
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestNewRefuses(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		cfg  server.Config
		want string
	}{
		{"no id", server.Config{DataDir: dir}, "node id"},
		{"negative segment bytes", server.Config{ID: 1, DataDir: dir, SegmentBytes: -1}, "segment bytes"},
		{"bad fsync", server.Config{ID: 1, DataDir: dir, Fsync: commitlog.FsyncPolicy{Mode: commitlog.FsyncInterval}}, "fsync"},
		{"empty metadata address", server.Config{ID: 1, DataDir: dir, MetadataAddrs: []string{""}}, "metadata"},
		{"busy port", server.Config{ID: 1, DataDir: dir, GRPCAddr: "127.0.0.1:0", HTTPAddr: "256.0.0.1:1"}, "listen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := server.New(tt.cfg)
			if err == nil {
				_ = srv.Close()
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %q does not mention %q", err, tt.want)
			}
		})
	}
	t.Run("data dir of another node", func(t *testing.T) {
		cfg := server.Config{ID: 1, DataDir: dir, GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0"}
		srv, err := server.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := server.New(cfg); err == nil || !strings.Contains(err.Error(), "in use") {
			t.Fatalf("second node on a busy data dir: %v", err)
		}
		if err := srv.Close(); err != nil {
			t.Fatal(err)
		}
		cfg.ID = 2
		if _, err := server.New(cfg); err == nil || !strings.Contains(err.Error(), "belongs to node 1") {
			t.Fatalf("node 2 on node 1's data dir: %v", err)
		}
	})
}

func TestShutdownEndsLongPolls(t *testing.T) {
	meta := metatest.Start(t, time.Minute)
	topic(meta, "t", "id1", 1, nodeID, []int32{nodeID}, nil)
	n := startNode(t, meta, t.TempDir(), func(c *server.Config) {
		c.DrainTimeout = time.Minute
		c.Telemetry = newTelemetry(t)
	})
	waitLeading(t, n, "t", 0)
	done := make(chan error, 1)
	go func() {
		_, err := n.client.Fetch(context.Background(), &runnelv1.FetchRequest{Topic: "t", MaxWaitMs: 60_000, LeaderEpoch: -1})
		done <- err
	}()
	eventually(t, "long poll waiting", func() bool {
		return strings.Contains(scrape(t, n), `runnel_storage_requests_waiting{kind="fetch"} 1`)
	})
	start := time.Now()
	n.stop(t)
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("shutdown took %v with a long poll open", d)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("long poll ended with %v, want an empty answer", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("long poll still open after shutdown")
	}
	eventually(t, "session ended", func() bool { _, ok := meta.Node(nodeID); return !ok })
}

// A node that applied the metadata snapshot but could not register its session is not ready: the
// cluster does not know it yet (no leadership, no ISR membership).
func TestReadyOnlyOnceRegisteredAndSynced(t *testing.T) {
	meta := metatest.Start(t, time.Minute)
	meta.RefuseSessions(rpcerr.New(rpcerr.BrokerNotAvailable, "not now"))
	topic(meta, "r", "id1", 1, nodeID, []int32{nodeID}, nil)
	dir := t.TempDir()
	srv, err := server.New(server.Config{ID: nodeID, DataDir: dir, GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0",
		MetadataAddrs: []string{meta.Addr()}, DrainTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	// The snapshot is applied (the partition dir exists) while the session is refused.
	eventually(t, "snapshot applied", func() bool { return exists(t, filepath.Join(dir, "r-0")) })
	if code := statusOf(t, srv.HTTPAddr(), "/readyz"); code != http.StatusServiceUnavailable || srv.Ready() {
		t.Fatalf("/readyz = %d before the session registered, want 503", code)
	}
	meta.RefuseSessions(nil)
	eventually(t, "ready once registered", func() bool {
		return srv.Ready() && statusOf(t, srv.HTTPAddr(), "/readyz") == http.StatusOK
	})
	if _, ok := meta.Node(nodeID); !ok {
		t.Fatal("ready but not registered")
	}
}
