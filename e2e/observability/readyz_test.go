package observability

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/runnel/runnel/e2e/harness"
)

// freeAddrs returns n loopback addresses that were free when asked.
func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().String())
	}
	for _, l := range ls {
		l.Close()
	}
	return out
}

// startBinary runs bin/<name> with args, its output in <temp dir>/<label>.log (logged when the
// test fails); the test's cleanup sends SIGTERM and, after 10 s, SIGKILL, and waits for it.
func startBinary(t *testing.T, label, name string, args ...string) {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), label+".log")
	out, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(harness.BinDir(t), name), args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		out.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		out.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("%s output:\n%s", label, tail(string(b), 4000))
		}
	})
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

// status GETs http://addr/path and returns the status code (0 when nothing answers).
func status(addr, path string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		return 0
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// waitStatus waits until GET addr/path answers code.
func waitStatus(t *testing.T, label, addr, path string, code int, timeout time.Duration) {
	t.Helper()
	harness.Eventually(t, timeout, func() error {
		if got := status(addr, path); got != code {
			return fmt.Errorf("%s %s = %d, want %d", label, path, got, code)
		}
		return nil
	})
}

// /readyz says ready only once a service can serve: a gateway and a storage node started before
// any metadata node answer 503 while alive (/healthz 200); a metadata node of a two-node etcd
// cluster started alone answers 503 (etcd has no quorum); once the second metadata node is up,
// both metadata nodes, then the storage node (registered, snapshot applied) and the gateway
// (metadata cache filled) answer 200.
func TestReadyzUntilServing(t *testing.T) {
	a := freeAddrs(t, 12)
	gwGRPC, gwHTTP, stGRPC, stHTTP := a[0], a[1], a[2], a[3]
	type meta struct{ id, grpc, http, client, peer string }
	ms := []meta{{"m1", a[4], a[5], a[6], a[7]}, {"m2", a[8], a[9], a[10], a[11]}}
	metadataList := ms[0].grpc + "," + ms[1].grpc
	var peers []string
	for _, m := range ms {
		peers = append(peers, m.id+"=http://"+m.peer)
	}
	dir := t.TempDir()

	startBinary(t, "gateway", "runnel-gateway", "--id=g1", "--grpc-addr="+gwGRPC, "--http-addr="+gwHTTP,
		"--metadata="+metadataList, "--log-format=text")
	startBinary(t, "storage", "runnel-storage", "--id=1", "--data-dir="+filepath.Join(dir, "s1"),
		"--grpc-addr="+stGRPC, "--http-addr="+stHTTP, "--advertise-addr="+stGRPC, "--metadata="+metadataList,
		"--fsync=never", "--log-format=text")
	waitStatus(t, "gateway", gwHTTP, "/healthz", http.StatusOK, 10*time.Second)
	waitStatus(t, "storage", stHTTP, "/healthz", http.StatusOK, 10*time.Second)
	for _, s := range []struct{ label, addr string }{{"gateway", gwHTTP}, {"storage", stHTTP}} {
		if got := status(s.addr, "/readyz"); got != http.StatusServiceUnavailable {
			t.Fatalf("%s /readyz = %d without metadata, want 503", s.label, got)
		}
	}

	startMeta := func(m meta) {
		startBinary(t, m.id, "runnel-metadata", "--id="+m.id, "--data-dir="+filepath.Join(dir, m.id),
			"--grpc-addr="+m.grpc, "--http-addr="+m.http, "--etcd-client-addr="+m.client,
			"--etcd-peer-addr="+m.peer, "--initial-cluster="+strings.Join(peers, ","), "--log-format=text")
	}
	startMeta(ms[0])
	waitStatus(t, "m1", ms[0].http, "/healthz", http.StatusOK, 10*time.Second)
	for _, s := range []struct{ label, addr string }{{"m1", ms[0].http}, {"gateway", gwHTTP}, {"storage", stHTTP}} {
		if got := status(s.addr, "/readyz"); got != http.StatusServiceUnavailable {
			t.Fatalf("%s /readyz = %d with one metadata node of two (no etcd quorum), want 503", s.label, got)
		}
	}

	startMeta(ms[1])
	for _, s := range []struct{ label, addr string }{{"m1", ms[0].http}, {"m2", ms[1].http}, {"storage", stHTTP}, {"gateway", gwHTTP}} {
		waitStatus(t, s.label, s.addr, "/readyz", http.StatusOK, 25*time.Second)
	}
}
