package embedded

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// start starts a member on dir; with addrs empty it picks free ports (again if one was taken).
func start(t *testing.T, dir string, addrs []string) (*Etcd, []string) {
	t.Helper()
	for attempt := 0; ; attempt++ {
		a := addrs
		if a == nil {
			a = []string{freeAddr(t), freeAddr(t)}
		}
		e, err := Start(Config{Name: "e1", Dir: dir, ClientAddr: a[0], PeerAddr: a[1],
			InitialCluster: "e1=http://" + a[1], TickMs: 10, ElectionMs: 50})
		if err == nil {
			t.Cleanup(e.Close)
			return e, a
		}
		if addrs != nil || attempt == 4 || !strings.Contains(err.Error(), "address already in use") {
			t.Fatal(err)
		}
	}
}

func TestRestartOnExistingDir(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	e, addrs := start(t, dir, nil)
	if e.Existing() {
		t.Fatal("a fresh directory was taken for an existing member")
	}
	if err := e.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	if e.ClientURL() != "http://"+addrs[0] {
		t.Fatalf("client URL %s, want http://%s", e.ClientURL(), addrs[0])
	}
	e.Close()
	e.Close() // idempotent
	select {
	case <-e.Stopped():
	default:
		t.Fatal("Stopped not closed after Close")
	}

	again, _ := start(t, dir, addrs)
	if !again.Existing() {
		t.Fatal("restart on the same directory did not use the existing member")
	}
	if err := again.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestBadAddress(t *testing.T) {
	if _, err := Start(Config{Name: "e1", Dir: t.TempDir(), ClientAddr: "nowhere", PeerAddr: "127.0.0.1:1"}); err == nil {
		t.Fatal("Start accepted a client address without a port")
	}
}

// A member advertising a DNS name (as in Kubernetes) binds the separate listen address.
func TestListenPeerAddrWithAdvertisedName(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	client, listen := freeAddr(t), freeAddr(t)
	_, port, _ := net.SplitHostPort(listen)
	advertised := "localhost:" + port
	e, err := Start(Config{Name: "e1", Dir: t.TempDir(), ClientAddr: client, PeerAddr: advertised,
		ListenPeerAddr: listen, InitialCluster: "e1=http://" + advertised, TickMs: 10, ElectionMs: 50})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	if err := e.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", listen, 5*time.Second)
	if err != nil {
		t.Fatalf("nothing listens on the listen peer address %s: %v", listen, err)
	}
	conn.Close()
}
