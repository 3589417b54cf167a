package svc

import (
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServerReadinessAndShutdown(t *testing.T) {
	s, err := New(Config{GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", DrainTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	stop := sync.OnceValue(func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			return errors.New("Run did not return within 10s of cancel")
		}
	})
	t.Cleanup(func() { stop() })

	base := "http://" + s.HTTPAddr()
	if code, _ := httpGet(t, base+"/healthz"); code != 200 {
		t.Fatalf("/healthz = %d", code)
	}
	if code, _ := httpGet(t, base+"/readyz"); code != 503 {
		t.Fatalf("/readyz before SetReady = %d, want 503", code)
	}
	conn, err := grpc.NewClient(s.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	hc := healthpb.NewHealthClient(conn)
	st, err := hc.Check(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil || st.Status != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Fatalf("health before ready = %v, %v", st, err)
	}
	s.SetReady(true)
	if code, _ := httpGet(t, base+"/readyz"); code != 200 {
		t.Fatalf("/readyz after SetReady = %d, want 200", code)
	}
	st, err = hc.Check(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil || st.Status != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health after ready = %v, %v", st, err)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run = %v", err)
	}
}

func TestParseFlagsEnv(t *testing.T) {
	t.Setenv("RUNNEL_DATA_DIR", "/from/env")
	t.Setenv("RUNNEL_NODE_ID", "7")
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	dir := fs.String("data-dir", "./data", "where data lives")
	id := fs.Int("node-id", 0, "node id")
	if err := ParseFlags(fs, []string{"--node-id", "3"}); err != nil {
		t.Fatal(err)
	}
	if *dir != "/from/env" || *id != 3 {
		t.Fatalf("data-dir=%q node-id=%d: the command line must win over the env, the env over the default", *dir, *id)
	}
	t.Setenv("RUNNEL_NODE_ID", "x")
	fs2 := flag.NewFlagSet("y", flag.ContinueOnError)
	fs2.Int("node-id", 0, "node id")
	if err := ParseFlags(fs2, nil); err == nil || !strings.Contains(err.Error(), "RUNNEL_NODE_ID") {
		t.Fatalf("bad env value: err = %v, want one naming RUNNEL_NODE_ID", err)
	}
}

func TestSplitAddrs(t *testing.T) {
	got := SplitAddrs(" a:1, ,b:2,")
	if len(got) != 2 || got[0] != "a:1" || got[1] != "b:2" {
		t.Fatalf("SplitAddrs = %q", got)
	}
}
