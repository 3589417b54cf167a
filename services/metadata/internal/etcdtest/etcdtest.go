package etcdtest

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/runnel/runnel/services/metadata/internal/embedded"
)

// Timeout bounds the start and each wait.
const Timeout = 20 * time.Second

// Start runs a one-member etcd in a temporary directory and returns a client to it. It picks free
// ports, and picks again (up to 5 times) when one was taken meanwhile.
func Start(t testing.TB) *clientv3.Client {
	t.Helper()
	var e *embedded.Etcd
	for attempt := 0; ; attempt++ {
		var addrs [2]string
		for i := range addrs {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addrs[i] = l.Addr().String()
			l.Close()
		}
		var err error
		e, err = embedded.Start(embedded.Config{
			Name: "t1", Dir: t.TempDir(), ClientAddr: addrs[0], PeerAddr: addrs[1],
			InitialCluster: "t1=http://" + addrs[1], TickMs: 10, ElectionMs: 50,
		})
		if err == nil {
			break
		}
		if attempt == 4 || !strings.Contains(err.Error(), "address already in use") {
			t.Fatal(err)
		}
	}
	t.Cleanup(e.Close)
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	if err := e.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{e.ClientURL()}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Eventually polls cond every 10 ms until it holds, failing the test after timeout.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(timeout)
	for range 1_000_000 {
		if cond() {
			return
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
	}
	t.Fatalf("gave up waiting for %s", what)
}
