package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/telemetry"
	"github.com/runnel/runnel/services/metadata/server"
)

func TestRestartKeepsTopics(t *testing.T) {
	first := startNode(t, testConfig(t))
	openSession(t, first.client, 1).close()
	// A node that closed cleanly is gone; create needs a live one, so keep one open.
	openSession(t, first.client, 2)
	created, err := first.client.CreateTopic(ctxT(t), &runnelv1.MetadataServiceCreateTopicRequest{
		Name: "durable", Partitions: 2, ReplicationFactor: 1, Configs: map[string]string{"retention.ms": "-1"}})
	if err != nil {
		t.Fatal(err)
	}
	first.stop()

	s, cfg := newServer(t, first.cfg, false) // same data dir and ports
	second := runServer(t, s, cfg)
	waitReady(t, s)
	st := clusterState(t, second.client)
	if len(st.GetTopics()) != 1 || st.GetTopics()[0].GetTopicId() != created.GetTopic().GetTopicId() ||
		st.GetTopics()[0].GetConfigs()["retention.ms"] != "-1" || len(st.GetPartitions()) != 2 {
		t.Fatalf("after restart: %v; want topic durable with its id, configs and 2 partitions", st)
	}
}

func TestThreeNodeCluster(t *testing.T) {
	a := freeAddrs(t, 6)
	var members []string
	for i := range 3 {
		members = append(members, fmt.Sprintf("m%d=http://%s", i+1, a[2*i+1]))
	}
	cluster := strings.Join(members, ",")
	nodes := make([]*node, 3)
	for i := range 3 {
		cfg := testConfig(t)
		cfg.ID = fmt.Sprintf("m%d", i+1)
		cfg.EtcdClientAddr, cfg.EtcdPeerAddr, cfg.InitialCluster = a[2*i], a[2*i+1], cluster
		s, cfg := newServer(t, cfg, false)
		nodes[i] = runServer(t, s, cfg)
	}
	for _, n := range nodes {
		waitReady(t, n.srv)
	}

	openSession(t, nodes[1].client, 1)
	openSession(t, nodes[2].client, 2)
	ch := watch(t, nodes[2].client)
	next(t, ch, "the reset", func(m *runnelv1.WatchResponse) bool { return m.GetReset_() })
	if _, err := nodes[0].client.CreateTopic(ctxT(t), &runnelv1.MetadataServiceCreateTopicRequest{Name: "shared", Partitions: 2, ReplicationFactor: 2}); err != nil {
		t.Fatal(err)
	}
	for i, n := range nodes {
		st := clusterState(t, n.client)
		if len(st.GetTopics()) != 1 || st.GetTopics()[0].GetName() != "shared" || len(st.GetNodes()) != 2 {
			t.Fatalf("metadata node m%d sees %v; want topic shared and 2 storage nodes", i+1, st)
		}
	}
	next(t, ch, "the topic on another member's watch", func(m *runnelv1.WatchResponse) bool {
		return len(m.GetTopics()) == 1 && m.GetTopics()[0].GetName() == "shared"
	})

	// Stop one by one: a stopping leader hands leadership to a running member first (members
	// stopped all at once would wait etcd's request timeout for that hand-over).
	for _, n := range nodes {
		n.stop()
	}
}

func TestReadinessAndMetrics(t *testing.T) {
	tel, err := telemetry.Setup(context.Background(), telemetry.Config{ServiceName: "runnel-metadata", NodeID: "m1", LogWriter: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tel.Shutdown(context.Background()) })
	cfg := testConfig(t)
	cfg.Telemetry = tel
	n := startNode(t, cfg)
	openSession(t, n.client, 1)
	if _, err := n.client.CreateTopic(ctxT(t), &runnelv1.MetadataServiceCreateTopicRequest{Name: "m", Partitions: 1, ReplicationFactor: 1}); err != nil {
		t.Fatal(err)
	}

	conn, err := grpc.NewClient(n.srv.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	h, err := healthpb.NewHealthClient(conn).Check(ctxT(t), &healthpb.HealthCheckRequest{})
	if err != nil || h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health %v, %v; want SERVING once ready", h, err)
	}
	get := func(path string) (int, string) {
		req, _ := http.NewRequestWithContext(ctxT(t), http.MethodGet, "http://"+n.srv.HTTPAddr()+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz %d, want 200", code)
	}
	_, body := get("/metrics")
	for _, want := range []string{"runnel_metadata_topics 1", "runnel_metadata_live_nodes 1",
		"runnel_metadata_etcd_has_leader 1", "runnel_metadata_etcd_is_leader 1", "runnel_metadata_etcd_db_size_bytes "} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestConfigRefused(t *testing.T) {
	cfg := testConfig(t)
	cfg.EtcdClientAddr = "127.0.0.1:0"
	if _, err := server.New(cfg); err == nil || !strings.Contains(err.Error(), "fixed port") {
		t.Fatalf("New with etcd port 0: %v", err)
	}
}
