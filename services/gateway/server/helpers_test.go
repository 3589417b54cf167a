package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/telemetry"
	"github.com/runnel/runnel/services/gateway/internal/gatewaytest"
	"github.com/runnel/runnel/services/gateway/server"
)

// env is a gateway over a fake metadata service and fake storage nodes.
type env struct {
	meta   *gatewaytest.Metadata
	coord  *gatewaytest.Coordinator
	stores []*gatewaytest.Storage
	gw     *server.Server
	tel    *telemetry.Telemetry
	base   string // http://host:port
	client runnelv1.GatewayServiceClient
	http   *http.Client
}

// start runs a gateway with n fake storage nodes and a fake group coordinator (the second
// metadata address; the first, the fake metadata service, has no coordinator); mod adjusts its
// config.
func start(t testing.TB, n int, mod func(*server.Config)) *env {
	t.Helper()
	e := &env{http: &http.Client{Timeout: 20 * time.Second}}
	var nodes []*runnelv1.Node
	for i := 1; i <= n; i++ {
		s := gatewaytest.StartStorage(t, int32(i))
		e.stores = append(e.stores, s)
		nodes = append(nodes, s.Node())
	}
	e.meta = gatewaytest.StartMetadata(t, nodes...)
	e.coord = gatewaytest.StartCoordinator(t, e.meta)
	tel, err := telemetry.Setup(context.Background(), telemetry.Config{ServiceName: "runnel-gateway", NodeID: "g-test", LogWriter: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	e.tel = tel
	cfg := server.Config{
		GRPCAddr:      "127.0.0.1:0",
		HTTPAddr:      "127.0.0.1:0",
		MetadataAddrs: []string{e.meta.Addr, e.coord.Addr},
		Linger:        time.Millisecond,
		DrainTimeout:  2 * time.Second,
		Telemetry:     tel,
	}
	if mod != nil {
		mod(&cfg)
	}
	gw, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.gw = gw
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- gw.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("gateway Run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("gateway did not stop")
		}
		_ = tel.Shutdown(context.Background())
	})
	select {
	case <-gw.Ready():
	case err := <-done:
		t.Fatalf("gateway stopped before ready: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("gateway not ready within 10s")
	}
	e.base = "http://" + gw.HTTPAddr()
	cc, err := grpc.NewClient(gw.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	e.client = runnelv1.NewGatewayServiceClient(cc)
	return e
}

// createTopic creates a topic through the gateway's gRPC API.
func (e *env) createTopic(t testing.TB, name string, partitions, rf int32) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := e.client.CreateTopic(ctx, &runnelv1.CreateTopicRequest{Name: name, Partitions: partitions, ReplicationFactor: rf}); err != nil {
		t.Fatalf("create topic %s: %v", name, err)
	}
}

// do sends a REST request and decodes a JSON answer.
func (e *env) do(t testing.TB, method, path string, body io.Reader) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, e.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: answer %d is not JSON: %q", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

func (e *env) post(t testing.TB, path, body string) (int, map[string]any) {
	t.Helper()
	return e.do(t, http.MethodPost, path, strings.NewReader(body))
}

func (e *env) get(t testing.TB, path string) (int, map[string]any) {
	t.Helper()
	return e.do(t, http.MethodGet, path, http.NoBody)
}

// num reads a JSON number that protojson may have written as a string (int64).
func num(t testing.TB, v any) int64 {
	t.Helper()
	switch x := v.(type) {
	case float64:
		return int64(x)
	case string:
		var n json.Number = json.Number(x)
		i, err := n.Int64()
		if err != nil {
			t.Fatalf("not a number: %q", x)
		}
		return i
	}
	t.Fatalf("not a number: %#v", v)
	return 0
}

// eventually waits until cond holds, checking every few milliseconds, for at most d.
func eventually(t testing.TB, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", d)
		}
		<-tick.C
	}
}

// deadAddr returns a loopback address nobody listens on.
func deadAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := l.Addr().String()
	l.Close()
	return a
}

func jsonBody(t testing.TB, v any) *bytes.Reader {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b)
}
