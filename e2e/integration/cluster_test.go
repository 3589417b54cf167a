package integration

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/telemetry"
	gateway "github.com/runnel/runnel/services/gateway/server"
	metadata "github.com/runnel/runnel/services/metadata/server"
	storage "github.com/runnel/runnel/services/storage/server"
)

// cluster is one metadata node, some storage nodes and a gateway in this process.
type cluster struct {
	meta    *metadata.Server
	storage []*storage.Server
	gw      *gateway.Server
	client  runnelv1.GatewayServiceClient
}

// logBuf collects one service's log; a failed test prints it.
type logBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newTelemetry gives a service a text logger into a buffer that is printed if the test fails.
func newTelemetry(t *testing.T, name string) *telemetry.Telemetry {
	t.Helper()
	buf := &logBuf{}
	tel, err := telemetry.Setup(context.Background(), telemetry.Config{
		ServiceName: "runnel-" + name, NodeID: name, LogFormat: "text", LogWriter: buf,
	})
	if err != nil {
		t.Fatalf("telemetry %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = tel.Shutdown(context.Background())
		if t.Failed() {
			t.Logf("==== log of %s ====\n%s", name, tail(buf.String(), 6<<10))
		}
	})
	return tel
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// freeAddr returns a loopback address whose port was free a moment ago (etcd needs fixed ports).
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// run runs a service until the test ends; the cleanup cancels it and waits (bounded) for Run to
// return. It returns a channel that receives Run's result if it ends early.
func run(t *testing.T, name string, fn func(context.Context) error) <-chan error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }() // owned by the cleanup below
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s Run: %v", name, err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("%s did not stop within 30s", name)
		}
	})
	return done
}

// waitReady waits for ready (bounded) unless the service's Run ends first.
func waitReady(t *testing.T, name string, ready func() bool, done <-chan error) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !ready() {
		select {
		case err := <-done:
			t.Fatalf("%s stopped before it was ready: %v", name, err)
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready within 60s", name)
		}
	}
}

func closed(ch <-chan struct{}) func() bool {
	return func() bool {
		select {
		case <-ch:
			return true
		default:
			return false
		}
	}
}

// startCluster starts metadata, n storage nodes and a gateway, each ready, and a gRPC client of
// the gateway. Everything stops when the test ends (gateway first, metadata last).
func startCluster(t *testing.T, n int) *cluster {
	t.Helper()
	c := &cluster{}
	meta, err := metadata.New(metadata.Config{
		DataDir:        t.TempDir(),
		GRPCAddr:       "127.0.0.1:0",
		HTTPAddr:       "127.0.0.1:0",
		EtcdClientAddr: freeAddr(t),
		EtcdPeerAddr:   freeAddr(t),
		EtcdTickMs:     20,
		EtcdElectionMs: 200,
		SessionTimeout: 2 * time.Second,
		DrainTimeout:   2 * time.Second,
		Telemetry:      newTelemetry(t, "metadata"),
	})
	if err != nil {
		t.Fatalf("metadata: %v", err)
	}
	c.meta = meta
	done := run(t, "metadata", meta.Run)
	waitReady(t, "metadata", closed(meta.Ready()), done)

	for id := int32(1); id <= int32(n); id++ {
		s, err := storage.New(storage.Config{
			ID:            id,
			DataDir:       t.TempDir(),
			GRPCAddr:      "127.0.0.1:0",
			HTTPAddr:      "127.0.0.1:0",
			MetadataAddrs: []string{meta.GRPCAddr()},
			DrainTimeout:  2 * time.Second,
			Telemetry:     newTelemetry(t, fmt.Sprintf("storage-%d", id)),
		})
		if err != nil {
			t.Fatalf("storage %d: %v", id, err)
		}
		c.storage = append(c.storage, s)
		name := fmt.Sprintf("storage %d", id)
		waitReady(t, name, s.Ready, run(t, name, s.Run))
	}

	gw, err := gateway.New(gateway.Config{
		GRPCAddr:      "127.0.0.1:0",
		HTTPAddr:      "127.0.0.1:0",
		MetadataAddrs: []string{meta.GRPCAddr()},
		Linger:        time.Millisecond,
		DrainTimeout:  2 * time.Second,
		Telemetry:     newTelemetry(t, "gateway"),
	})
	if err != nil {
		t.Fatalf("gateway: %v", err)
	}
	c.gw = gw
	waitReady(t, "gateway", closed(gw.Ready()), run(t, "gateway", gw.Run))

	cc, err := grpc.NewClient(gw.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("gateway client: %v", err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	c.client = runnelv1.NewGatewayServiceClient(cc)
	return c
}
