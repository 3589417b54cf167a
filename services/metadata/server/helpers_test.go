package server_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/runnel/runnel/services/metadata/internal/etcdtest"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
	"github.com/runnel/runnel/services/metadata/server"
)

const waitTimeout = 20 * time.Second

// freeAddrs returns n loopback addresses that were free a moment ago.
func freeAddrs(t testing.TB, n int) []string {
	t.Helper()
	addrs := make([]string, n)
	ls := make([]net.Listener, n)
	for i := range ls {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls[i], addrs[i] = l, l.Addr().String()
	}
	for _, l := range ls {
		l.Close()
	}
	return addrs
}

// testConfig is a single-node config with fast etcd timings, a temp data dir and free ports.
func testConfig(t testing.TB) server.Config {
	t.Helper()
	a := freeAddrs(t, 2)
	return server.Config{
		ID: "m1", DataDir: t.TempDir(),
		GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0",
		EtcdClientAddr: a[0], EtcdPeerAddr: a[1],
		EtcdTickMs: 10, EtcdElectionMs: 50,
		SessionTimeout: 30 * time.Second, MaxPartitions: 100,
		DrainTimeout: 2 * time.Second,
	}
}

func addrInUse(err error) bool {
	return err != nil && strings.Contains(err.Error(), "address already in use")
}

// newServer builds a server; when repick is set and an etcd port was taken meanwhile, it picks
// other ports and tries again (a few times).
func newServer(t testing.TB, cfg server.Config, repick bool) (*server.Server, server.Config) {
	t.Helper()
	for attempt := 0; ; attempt++ {
		s, err := server.New(cfg)
		if err == nil {
			t.Cleanup(s.Close)
			return s, cfg
		}
		if !repick || !addrInUse(err) || attempt == 4 {
			t.Fatalf("server.New: %v", err)
		}
		a := freeAddrs(t, 2)
		cfg.EtcdClientAddr, cfg.EtcdPeerAddr, cfg.InitialCluster = a[0], a[1], ""
	}
}

// node is a running server with a client.
type node struct {
	srv    *server.Server
	cfg    server.Config
	client runnelv1.MetadataServiceClient
	stop   func() // stops Run and waits for it; safe twice
	// crashed is set by a test that crashed the node: Run's error is then expected.
	crashed atomic.Bool
}

// runServer runs s until the test ends (or stop), and dials it.
func runServer(t testing.TB, s *server.Server, cfg server.Config) *node {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	n := &node{srv: s, cfg: cfg}
	n.stop = sync.OnceFunc(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil && !n.crashed.Load() {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(waitTimeout):
			t.Errorf("Run did not return within %s of being stopped", waitTimeout)
		}
	})
	t.Cleanup(n.stop)
	conn, err := grpc.NewClient(s.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	n.client = runnelv1.NewMetadataServiceClient(conn)
	return n
}

func waitReady(t testing.TB, s *server.Server) {
	t.Helper()
	select {
	case <-s.Ready():
	case <-time.After(waitTimeout):
		t.Fatalf("server not ready within %s", waitTimeout)
	}
}

// startNode starts a ready single-node server from cfg (free ports picked again if taken).
func startNode(t testing.TB, cfg server.Config) *node {
	t.Helper()
	s, cfg := newServer(t, cfg, true)
	n := runServer(t, s, cfg)
	waitReady(t, s)
	return n
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	t.Cleanup(cancel)
	return ctx
}

// eventually polls cond until it holds or the timeout passes (bounded in time and count).
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	etcdtest.Eventually(t, timeout, what, cond)
}

// session is an open node session.
type session struct {
	stream grpc.BidiStreamingClient[runnelv1.NodeSessionRequest, runnelv1.NodeSessionResponse]
	cancel context.CancelFunc
	resp   *runnelv1.NodeSessionResponse
}

// openSession registers node id and returns the open session; the test's end closes it cleanly.
func openSession(t testing.TB, c runnelv1.MetadataServiceClient, id int32) *session {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := c.NodeSession(ctx)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	s := &session{stream: stream, cancel: cancel}
	t.Cleanup(func() { s.close() })
	if err := stream.Send(&runnelv1.NodeSessionRequest{Node: &runnelv1.Node{
		Id: id, GrpcAddr: fmt.Sprintf("127.0.0.1:%d", 7000+id), HttpAddr: fmt.Sprintf("127.0.0.1:%d", 7500+id),
	}}); err != nil {
		t.Fatal(err)
	}
	if s.resp, err = stream.Recv(); err != nil {
		t.Fatalf("register node %d: %v", id, err)
	}
	return s
}

// close half-closes the stream and waits for the server to end it (a clean deregistration).
func (s *session) close() error {
	defer s.cancel()
	if err := s.stream.CloseSend(); err != nil {
		return err
	}
	for range 1000 {
		if _, err := s.stream.Recv(); err != nil {
			return err
		}
	}
	return errors.New("stream did not end")
}

func clusterState(t testing.TB, c runnelv1.MetadataServiceClient) *runnelv1.GetClusterStateResponse {
	t.Helper()
	st, err := c.GetClusterState(ctxT(t), &runnelv1.GetClusterStateRequest{})
	if err != nil {
		t.Fatalf("GetClusterState: %v", err)
	}
	return st
}

func hasNode(st *runnelv1.GetClusterStateResponse, id int32) bool {
	for _, n := range st.GetNodes() {
		if n.GetId() == id {
			return true
		}
	}
	return false
}

func wantCode(t testing.TB, err error, code *rpcerr.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code.Name)
	}
	if !errors.Is(rpcerr.FromStatus(err), code) {
		t.Fatalf("got %v, want %s", err, code.Name)
	}
}
